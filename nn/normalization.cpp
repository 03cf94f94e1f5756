// nn::LayerNorm, nn::RMSNorm and nn::GroupNorm: parameters, PyTorch's constructor check and repr; the
// math is nn::functional::layer_norm / group_norm.
#include "nn/normalization.h"

#include <sstream>

#include "core/factories.h"
#include "core/grad_mode.h"
#include "nn/functional/norm.h"
#include "nn/repr.h"

namespace ember::nn {

namespace {
Tensor if_enabled(bool on, Tensor t) { return on ? std::move(t) : Tensor(); }
// normalized_shape as a Python tuple: "(4,)", "(2, 3)".
std::string shape_tuple(const Dims& shape) { return detail::python_tuple(shape.vec()); }
}  // namespace

LayerNorm::LayerNorm(Dims shape, double eps_, bool affine, bool with_bias)
    : Module("LayerNorm"),
      normalized_shape(std::move(shape)),
      eps(eps_),
      elementwise_affine(affine),
      weight(register_parameter("weight", if_enabled(affine, ones(normalized_shape)))),
      bias(register_parameter("bias", if_enabled(affine && with_bias, zeros(normalized_shape)))) {}

namespace {
// PyTorch's reset_parameters of the affine norms: weight ones, bias zeros, where present.
void reset_affine(Tensor& weight, Tensor* bias) {
  NoGradGuard no_grad;
  if (weight.defined()) weight.fill_(1.0);
  if (bias != nullptr && bias->defined()) bias->zero_();
}
}  // namespace

void LayerNorm::reset_parameters() { reset_affine(weight, &bias); }
void RMSNorm::reset_parameters() { reset_affine(weight, nullptr); }
void GroupNorm::reset_parameters() { reset_affine(weight, &bias); }

Tensor LayerNorm::forward(const Tensor& input) {
  return functional::layer_norm(input, normalized_shape, weight, bias, eps);
}

std::string LayerNorm::extra_repr() const {
  std::ostringstream os;
  os << shape_tuple(normalized_shape) << ", eps=" << detail::python_float(eps)
     << ", elementwise_affine=" << (elementwise_affine ? "True" : "False");
  return os.str();
}

RMSNorm::RMSNorm(Dims shape, std::optional<double> eps_, bool affine)
    : Module("RMSNorm"),
      normalized_shape(std::move(shape)),
      eps(eps_),
      elementwise_affine(affine),
      weight(register_parameter("weight", if_enabled(affine, ones(normalized_shape)))) {}

Tensor RMSNorm::forward(const Tensor& input) { return functional::rms_norm(input, normalized_shape, weight, eps); }

std::string RMSNorm::extra_repr() const {  // PyTorch's: "(4,), eps=None, elementwise_affine=True"
  std::ostringstream os;
  os << shape_tuple(normalized_shape) << ", eps=";
  if (eps)
    os << detail::python_float(*eps);
  else os << "None";
  os << ", elementwise_affine=" << (elementwise_affine ? "True" : "False");
  return os.str();
}

GroupNorm::GroupNorm(int64_t groups, int64_t channels, double eps_, bool affine_)
    : Module("GroupNorm"),
      num_groups(groups),
      num_channels(channels),
      eps(eps_),
      affine(affine_),
      weight(register_parameter("weight", if_enabled(affine_, ones({channels})))),
      bias(register_parameter("bias", if_enabled(affine_, zeros({channels})))) {
  EMBER_CHECK(groups > 0 && channels % groups == 0, "num_channels must be divisible by num_groups");
}

Tensor GroupNorm::forward(const Tensor& input) {
  return functional::group_norm(input, num_groups, weight, bias, eps);
}

std::string GroupNorm::extra_repr() const {
  std::ostringstream os;
  os << num_groups << ", " << num_channels << ", eps=" << detail::python_float(eps)
     << ", affine=" << (affine ? "True" : "False");
  return os.str();
}

}  // namespace ember::nn
