// alpha_dropout, feature_alpha_dropout and gumbel_softmax: PyTorch's formulas (ATen's
// _dropout_impl for the alpha forms, torch.nn.functional.gumbel_softmax) composed of
// bernoulli / rand draws and differentiable ops, so any device and autograd come with them.
#include "nn/functional/random_layers.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "core/factories.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "nn/functional/in_place.h"
#include "nn/functional/loss.h"

namespace ember::nn::functional {

namespace {

// SELU's alpha * scale: the value a dropped element takes before the affine correction.
constexpr double kAlphaPrime = 1.7580993408473766;

Tensor alpha_dropout_with(const Tensor& x, double p, bool training, bool feature, const char* op) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, "dropout probability has to be between 0 and 1, but got ", p);
  if (p == 0.0 || !training || x.numel() == 0) return x;
  EMBER_CHECK(is_floating(x.dtype()), op, ": expected a floating-point input, but got ", dtype_torch_name(x.dtype()));
  if (p == 1.0) return x * 0.0;  // before the noise's shape is checked, as PyTorch's
  if (feature) EMBER_CHECK(x.dim() >= 2, "Feature dropout requires at least 2 dimensions in the input");
  Dims noise_shape = x.sizes();
  if (feature) {
    for (size_t d = 2; d < noise_shape.size(); ++d) noise_shape[d] = 1;
  }
  const Tensor keep = bernoulli(zeros(noise_shape, TensorOptions().dtype(x.dtype()).device(x.device())), 1.0 - p);
  const double a = 1.0 / std::sqrt((kAlphaPrime * kAlphaPrime * p + 1.0) * (1.0 - p));
  // PyTorch's: b = (keep - 1) * alpha' * a + alpha' * a * p; out = x * (keep * a) + b.
  const Tensor shift = (keep - 1.0) * (kAlphaPrime * a) + kAlphaPrime * a * p;
  return x * (keep * a) + shift;
}

// inplace: the result written into x (PyTorch's mul_ and add_; x's node named as the
// add's). Its multiplication keeps the mask's factor only, so no copy of x is taken.
Tensor alpha_dropout_into(const Tensor& x, double p, bool training, bool feature, const char* op, bool inplace) {
  if (!inplace || p == 0.0 || !training || x.numel() == 0) return alpha_dropout_with(x, p, training, feature, op);
  return detail::overwrite_with(
      "AddBackward", x, [&](const Tensor& in) { return alpha_dropout_with(in, p, training, feature, op); },
      /*f_keeps_input=*/false);
}

}  // namespace

Tensor alpha_dropout(const Tensor& x, double p, bool training, bool inplace) {
  EMBER_PROFILE_OP("alpha_dropout");
  return alpha_dropout_into(x, p, training, false, "alpha_dropout", inplace);
}

Tensor feature_alpha_dropout(const Tensor& x, double p, bool training, bool inplace) {
  EMBER_PROFILE_OP("feature_alpha_dropout");
  return alpha_dropout_into(x, p, training, true, "feature_alpha_dropout", inplace);
}

Tensor gumbel_softmax(const Tensor& logits, double tau, bool hard, int64_t dim) {
  EMBER_PROFILE_OP("gumbel_softmax");
  EMBER_CHECK(is_floating(logits.dtype()), "gumbel_softmax: expected floating-point logits, but got ",
              dtype_torch_name(logits.dtype()));
  const int64_t rank = std::max<int64_t>(logits.dim(), 1);  // a 0-dim tensor has dims -1 and 0
  EMBER_CHECK(dim >= -rank && dim < rank, "Dimension out of range (expected to be in range of [", -rank, ", ", rank - 1,
              "], but got ", dim, ")");
  if (logits.dim() == 0) return gumbel_softmax(logits.reshape({1}), tau, hard, 0).reshape({});
  if (is_reduced_float(logits.dtype())) return gumbel_softmax(logits.to(kFloat32), tau, hard, dim).to(logits.dtype());
  const int64_t d = dim < 0 ? dim + rank : dim;
  // E = -log(1 - U) ~ Exp(1) from U ~ [0, 1), kept above 0 so that g = -log(E) is finite.
  const Tensor uniform = rand(logits.sizes(), TensorOptions().dtype(logits.dtype()).device(logits.device()));
  const Tensor exponential = clamp(-log1p(-uniform), std::numeric_limits<float>::min(), std::nullopt);
  const Tensor gumbels = (logits - log(exponential)) / tau;
  const Tensor y_soft = softmax(gumbels, d);
  if (!hard) return y_soft;
  const Tensor index = std::get<1>(y_soft.detach().max(d, true));
  const Tensor y_hard = zeros_like(logits).scatter(d, index, 1.0);
  return y_hard - y_soft.detach() + y_soft;
}

}  // namespace ember::nn::functional
