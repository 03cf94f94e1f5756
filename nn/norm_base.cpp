// nn::NormBase: the parameters and buffers of BatchNorm and InstanceNorm, registered in
// PyTorch's order, num_batches_tracked optional in a state dict, and their common repr.
#include "nn/norm_base.h"

#include <sstream>

#include "core/factories.h"
#include "core/grad_mode.h"
#include "nn/repr.h"

namespace ember::nn {

namespace {
Tensor if_enabled(bool on, Tensor t) { return on ? std::move(t) : Tensor(); }
}  // namespace

NormBase::NormBase(std::string type_name, int64_t c, bool affine, bool track)
    : Module(std::move(type_name)),
      num_features(c),
      weight(register_parameter("weight", if_enabled(affine, ones({c})))),
      bias(register_parameter("bias", if_enabled(affine, zeros({c})))),
      running_mean(register_buffer("running_mean", if_enabled(track, zeros({c})))),
      running_var(register_buffer("running_var", if_enabled(track, ones({c})))),
      num_batches_tracked(register_buffer("num_batches_tracked", if_enabled(track, zeros({}, kInt64)))) {}

void NormBase::reset_running_stats() {
  NoGradGuard no_grad;
  if (running_mean.defined()) running_mean.zero_();
  if (running_var.defined()) running_var.fill_(1.0);
  if (num_batches_tracked.defined()) num_batches_tracked.zero_();
}

void NormBase::reset_parameters() {
  reset_running_stats();
  NoGradGuard no_grad;
  if (weight.defined()) weight.fill_(1.0);
  if (bias.defined()) bias.zero_();
}

std::vector<std::string> NormBase::optional_state_keys() const {
  if (!num_batches_tracked.defined()) return {};
  return {"num_batches_tracked"};
}

std::string NormBase::norm_repr(double eps, std::optional<double> momentum, bool affine, bool track) const {
  std::ostringstream os;
  os << num_features << ", eps=" << detail::python_float(eps) << ", momentum=";
  if (momentum)
    os << detail::python_float(*momentum);
  else
    os << "None";
  os << ", affine=" << (affine ? "True" : "False") << ", track_running_stats=" << (track ? "True" : "False");
  return os.str();
}

}  // namespace ember::nn
