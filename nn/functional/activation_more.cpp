// hardswish, hardsigmoid, prelu, selu, celu, logsigmoid, softsign, tanhshrink, the
// shrinks, threshold, glu, softmin and rrelu, composed of ember's differentiable ops (argument
// checks with PyTorch's messages first). The inplace forms write into x (Note [In-place
// activations] in nn/functional/in_place.h).
#include "nn/functional/activation_more.h"

#include <cmath>

#include "core/autocast.h"
#include "core/dtype.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "core/shape.h"
#include "nn/functional/basic.h"
#include "nn/functional/in_place.h"
#include "nn/functional/loss.h"

namespace ember::nn::functional {

// Note [Gradients at the kinks]
// PyTorch's backward kernels fix the derivative at each kink by the comparison they use:
// hardswish's is x / 3 + 0.5 on the closed [-3, 3] (so -0.5 at -3 and 1.5 at 3),
// hardsigmoid's 1/6 only on the open (-3, 3), the shrinks' and threshold's are 0 where
// |x| <= lambd (x <= threshold), prelu's weight * g where x <= 0, logsigmoid's 0.5 at 0.
// A clamp or an abs in a composition would pick its own convention there, so each
// piecewise activation is written as where(comparison, branch, branch) with PyTorch's
// comparison: where sends the gradient to the branch it took (0 to the other), and each
// branch is a polynomial (or finite everywhere), so the branch not taken cannot turn a
// zero gradient into NaN (0 * inf). The float64 tests check every kink against PyTorch.
// Second derivatives agree everywhere but at a kink itself, where PyTorch's double-backward
// formulas pick 0 (hardswish at ±3, selu and celu at 0) and the composition the branch's
// own value (1/3 for hardswish, elu's second derivative for selu and celu).

namespace {
// PyTorch's floating-only kernels refuse integers: "hardswish_cpu" not implemented for 'Long'.
void check_floating_kernel(const char* kernel, const Tensor& x) {
  EMBER_CHECK(is_floating(x.dtype()), "\"", kernel, x.is_cuda() ? "_cuda" : "_cpu", "\" not implemented for '",
              dtype_torch_name(x.dtype()), "'");
}
}  // namespace

Tensor hardswish(const Tensor& x, bool inplace) {
  EMBER_PROFILE_OP("hardswish");
  check_floating_kernel("hardswish", x);
  if (inplace) return detail::overwrite_with("HardswishBackward", x, [](const Tensor& in) { return hardswish(in); });
  return where(x < -3.0, 0.0, where(x <= 3.0, x * (x + 3.0) / 6.0, x));
}

Tensor hardsigmoid(const Tensor& x, bool inplace) {
  EMBER_PROFILE_OP("hardsigmoid");
  check_floating_kernel("hardsigmoid", x);
  if (inplace) {
    return detail::overwrite_with("HardsigmoidBackward", x, [](const Tensor& in) { return hardsigmoid(in); });
  }
  return where(x <= -3.0, 0.0, where(x >= 3.0, 1.0, x / 6.0 + 0.5));
}

Tensor prelu(const Tensor& x_in, const Tensor& weight_in) {
  EMBER_PROFILE_OP("prelu");
  // on PyTorch's autocast lower-precision list, as conv2d and linear (Note [Autocast])
  check_floating_kernel("prelu", x_in);
  const auto [x, weight] = autocast::cast_inputs(autocast::CastPolicy::LowerPrecision, x_in, weight_in);
  EMBER_CHECK(weight.dim() <= 1, "prelu: Expected `weight` to be a scalar or 1D tensor, but got ndim = ",
              weight.dim());
  const int64_t channels = x.dim() >= 2 ? x.size(1) : 1;
  const int64_t parameters = weight.numel();
  // PyTorch refuses a 0-dim x only with a weight per channel; one weight takes any x.
  EMBER_CHECK(x.dim() > 0 || parameters == 1, "Not allow zero-dim input tensor.");
  EMBER_CHECK(parameters == 1 || parameters == channels,
              "Mismatch of parameter numbers and input channel size. Found parameter numbers = ", parameters,
              " and channel size = ", channels, ".");
  Dims shape;  // [C, 1, ..., 1]: one value per channel of dim 1 (a scalar for a 1-D x)
  if (x.dim() >= 2) {
    shape.push_back(parameters);
    for (int64_t d = 2; d < x.dim(); ++d) shape.push_back(1);
  }
  return where(x > 0.0, x, weight.reshape(shape) * x);
}

Tensor selu(const Tensor& x, bool inplace) {
  EMBER_PROFILE_OP("selu");
  check_floating_kernel("elu", x);  // PyTorch's selu runs the elu kernel
  constexpr double kAlpha = 1.6732632423543772848170429916717;
  constexpr double kScale = 1.0507009873554804934193349852946;
  if (inplace) {
    if (detail::writes_in_place_unrecorded(x)) {  // the out-of-place form's two roundings
      native::activation_(UnaryOp::Elu, x, UnaryArgs{.p0 = kAlpha});
      native::mul_(x, kScale);
      return x;
    }
    return detail::overwrite_with("EluBackward", x, [](const Tensor& in) { return selu(in); });
  }
  return elu(x, kAlpha) * kScale;
}

Tensor selu_(const Tensor& x) { return selu(x, /*inplace=*/true); }

Tensor celu(const Tensor& x, double alpha, bool inplace) {
  EMBER_PROFILE_OP("celu");
  check_floating_kernel("elu", x);
  EMBER_CHECK(alpha != 0.0, "ZeroDivisionError: alpha cannot be 0 for CELU");
  if (inplace) return detail::overwrite_with("CeluBackward", x, [&](const Tensor& in) { return celu(in, alpha); });
  // elu(x / alpha) is finite for every x, so the branch not taken passes no NaN back.
  return where(x > 0.0, x, elu(x / alpha, 1.0) * alpha);
}

Tensor celu_(const Tensor& x, double alpha) { return celu(x, alpha, /*inplace=*/true); }

Tensor logsigmoid(const Tensor& x) {
  EMBER_PROFILE_OP("logsigmoid");
  check_floating_kernel("log_sigmoid", x);
  // -|x| written with where, so its derivative at 0 is -1 and dy/dx(0) = 0 + 0.5.
  const Tensor negative = x < 0.0;
  return where(negative, x, 0.0) - log1p(exp(where(negative, x, -x)));
}

Tensor softsign(const Tensor& x) {
  EMBER_PROFILE_OP("softsign");
  return x / (abs(x) + 1.0);
}

Tensor tanhshrink(const Tensor& x) {
  EMBER_PROFILE_OP("tanhshrink");
  return x - functional::tanh(x);
}

Tensor hardshrink(const Tensor& x, double lambd) {
  EMBER_PROFILE_OP("hardshrink");
  check_floating_kernel("hardshrink", x);
  // PyTorch: (x >= -lambd && x <= lambd) ? 0 : x (NaN stays NaN)
  return where((x >= -lambd) & (x <= lambd), 0.0, x);
}

Tensor softshrink(const Tensor& x, double lambd) {
  EMBER_PROFILE_OP("softshrink");
  check_floating_kernel("softshrink", x);
  EMBER_CHECK(lambd >= 0.0, "lambda must be greater or equal to 0, but found to be ", lambd, ".");
  return where(x > lambd, x - lambd, where(x < -lambd, x + lambd, 0.0));
}

Tensor threshold(const Tensor& x, double threshold, double value, bool inplace) {
  EMBER_PROFILE_OP("threshold");
  // where's node keeps the comparison only, so the in-place form takes no copy of x.
  if (inplace) {
    return detail::overwrite_with(
        "ThresholdBackward", x, [&](const Tensor& in) { return functional::threshold(in, threshold, value); },
        /*f_keeps_input=*/false);
  }
  // PyTorch: x <= threshold ? value : x (NaN stays NaN); an integer x keeps its dtype, with
  // threshold and value cast to it (truncated), as PyTorch's.
  if (!is_floating(x.dtype())) {
    return where(x <= std::trunc(threshold), full({}, value, TensorOptions(x.dtype()).device(x.device())), x);
  }
  return where(x <= threshold, value, x);
}

Tensor threshold_(const Tensor& x, double threshold, double value) {
  return functional::threshold(x, threshold, value, /*inplace=*/true);
}

Tensor glu(const Tensor& x, int64_t dim) {
  EMBER_PROFILE_OP("glu");
  check_floating_kernel("glu", x);
  EMBER_CHECK(x.dim() > 0, "glu does not support scalars because halving size must be even");
  const int64_t d = wrap_dim(dim, x.dim());
  const int64_t size = x.size(d);
  EMBER_CHECK(size % 2 == 0, "Halving dimension must be even, but dimension ", d, " is size ", size);
  return x.narrow(d, 0, size / 2) * functional::sigmoid(x.narrow(d, size / 2, size / 2));
}

Tensor softmin(const Tensor& x, int64_t dim) {
  EMBER_PROFILE_OP("softmin");
  return softmax(-x, dim);
}
Tensor softmin(const Tensor& x, int64_t dim, DType dtype) { return softmax(-x.to(dtype), dim, dtype); }

Tensor rrelu(const Tensor& x, double lower, double upper, bool training, bool inplace) {
  EMBER_PROFILE_OP("rrelu");
  EMBER_CHECK(lower <= upper, "Lower bound should be less than or equal to the upper bound");
  if (!training) return leaky_relu(x, (lower + upper) / 2, inplace);
  if (inplace) {
    return detail::overwrite_with("RreluWithNoiseBackward", x,
                                  [&](const Tensor& in) { return rrelu(in, lower, upper, true); });
  }
  EMBER_CHECK(is_floating(x.dtype()), "\"rrelu_with_noise\" not implemented for '", dtype_torch_name(x.dtype()), "'");
  // PyTorch's rrelu_with_noise: a slope from U(lower, upper) where x <= 0 (so a NaN passes).
  const Tensor u = rand(x.sizes(), TensorOptions(x.dtype()).device(x.device()));
  return x * where(x <= 0.0, u * (upper - lower) + lower, 1.0);
}

Tensor rrelu_(const Tensor& x, double lower, double upper, bool training) {
  return rrelu(x, lower, upper, training, /*inplace=*/true);
}

}  // namespace ember::nn::functional
