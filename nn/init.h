// Parameter initialisation as torch.nn.init: PyTorch's functions, arguments, defaults and
// messages, each filling a tensor in place under no_grad (so a parameter stays a leaf and
// its version is bumped) and returning it. uniform() makes the layers' default parameters.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/factories.h"
#include "core/grad_mode.h"

namespace ember::nn::init {

namespace detail {
bool skipping_init();  // a SkipInitGuard lives on this thread
}
// torch.nn.utils.skip_init's effect on this thread while it lives: uniform() (the layers'
// default draws) returns uninitialised memory and the random initialisers below (uniform_,
// normal_, trunc_normal_, xavier_*, kaiming_*, orthogonal_, sparse_) leave their tensor as it
// is, so nothing is drawn from the default generator. Constant fills still run.
class SkipInitGuard {
 public:
  SkipInitGuard();
  ~SkipInitGuard();
  SkipInitGuard(const SkipInitGuard&) = delete;
  SkipInitGuard& operator=(const SkipInitGuard&) = delete;

 private:
  bool previous_;
};

// U(-bound, bound): kaiming_uniform_(a = sqrt(5)) reduces to bound = 1/sqrt(fan_in)
// for weights, and PyTorch uses the same bound for biases.
inline Tensor uniform(const Dims& shape, double bound) {
  if (detail::skipping_init()) return empty(shape);
  NoGradGuard no_grad;
  Tensor t = rand(shape);
  t.mul_(2.0 * bound).sub_(bound);
  return t;
}

// The recommended gain for a nonlinearity: "linear", "conv1d", "conv2d", "conv3d",
// "conv_transpose1d/2d/3d", "sigmoid" 1; "tanh" 5/3; "relu" sqrt(2); "leaky_relu"
// sqrt(2 / (1 + slope^2)) (slope `param`, default 0.01); "selu" 3/4.
double calculate_gain(const std::string& nonlinearity, std::optional<double> param = std::nullopt);
// {fan_in, fan_out} of a weight [out, in, k...]: in * k..., out * k... (2 dims at least).
std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor);
// reset_parameters of the layers uniform() made: fresh U(-bound, bound) draws written into
// each defined parameter in place (1 / sqrt(fan_in) for Linear and the convolutions).
void redraw_uniform_(const std::vector<Tensor*>& params, double bound);

Tensor uniform_(Tensor tensor, double a = 0.0, double b = 1.0);
Tensor normal_(Tensor tensor, double mean = 0.0, double std = 1.0);
// N(mean, std) truncated to [a, b]: values drawn by the inverse CDF, as PyTorch's.
Tensor trunc_normal_(Tensor tensor, double mean = 0.0, double std = 1.0, double a = -2.0, double b = 2.0);
Tensor constant_(Tensor tensor, double value);
Tensor ones_(Tensor tensor);
Tensor zeros_(Tensor tensor);
Tensor eye_(Tensor tensor);                       // 2-D: the identity
Tensor dirac_(Tensor tensor, int64_t groups = 1);  // 3-5 D: convolution weights that copy channels
Tensor xavier_uniform_(Tensor tensor, double gain = 1.0);
Tensor xavier_normal_(Tensor tensor, double gain = 1.0);
// mode "fan_in" or "fan_out"; `a`: leaky_relu's negative slope.
Tensor kaiming_uniform_(Tensor tensor, double a = 0.0, const std::string& mode = "fan_in",
                        const std::string& nonlinearity = "leaky_relu");
Tensor kaiming_normal_(Tensor tensor, double a = 0.0, const std::string& mode = "fan_in",
                       const std::string& nonlinearity = "leaky_relu");
// A (semi-)orthogonal matrix over the first dim and the rest flattened, times gain.
Tensor orthogonal_(Tensor tensor, double gain = 1.0);
// 2-D: N(0, std) with ceil(sparsity * rows) entries of each column zeroed at random rows.
Tensor sparse_(Tensor tensor, double sparsity, double std = 0.01);

}  // namespace ember::nn::init

namespace ember::nn::utils {
// torch.nn.utils.skip_init(module_cls, *args): the module made with its parameters left
// uninitialised (init::SkipInitGuard), for the caller to fill, e.g. from a checkpoint.
template <typename M, typename... Args>
std::shared_ptr<M> skip_init(Args&&... args) {
  const init::SkipInitGuard skip;
  return std::make_shared<M>(std::forward<Args>(args)...);
}

}  // namespace ember::nn::utils
