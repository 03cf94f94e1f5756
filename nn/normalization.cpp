// nn::LayerNorm and nn::GroupNorm: parameters, PyTorch's constructor check and repr; the
// math is nn::functional::layer_norm / group_norm.
#include "nn/normalization.h"

#include <sstream>

#include "core/factories.h"
#include "nn/functional/norm.h"

namespace ember::nn {

namespace {
Tensor if_enabled(bool on, Tensor t) { return on ? std::move(t) : Tensor(); }
}  // namespace

LayerNorm::LayerNorm(Dims shape, double eps_, bool affine, bool with_bias)
    : Module("LayerNorm"),
      normalized_shape(std::move(shape)),
      eps(eps_),
      elementwise_affine(affine),
      weight(register_parameter("weight", if_enabled(affine, ones(normalized_shape)))),
      bias(register_parameter("bias", if_enabled(affine && with_bias, zeros(normalized_shape)))) {}

Tensor LayerNorm::forward(const Tensor& input) {
  return functional::layer_norm(input, normalized_shape, weight, bias, eps);
}

std::string LayerNorm::extra_repr() const {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < normalized_shape.size(); ++i) os << (i ? ", " : "") << normalized_shape[i];
  os << (normalized_shape.size() == 1 ? ",)" : ")") << ", eps=" << eps
     << ", elementwise_affine=" << (elementwise_affine ? "True" : "False");
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
  os << num_groups << ", " << num_channels << ", eps=" << eps << ", affine=" << (affine ? "True" : "False");
  return os.str();
}

}  // namespace ember::nn
