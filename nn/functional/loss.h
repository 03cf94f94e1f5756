// Losses and (log-)softmax for nn::functional (PyTorch names and defaults):
// log_softmax, softmax, nll_loss, cross_entropy (one fused node each, class weights and
// ignore_index included), mse_loss.
// Each runs as fused row kernels on the tensor's own device (DeviceOps softmax_rows, ...).
#pragma once
#include <optional>
#include <string_view>

#include "core/tensor.h"

namespace ember::nn::functional {

enum class Reduction { None, Mean, Sum };

// "none" | "mean" | "sum"; anything else is an error naming the value.
Reduction reduction_from_string(std::string_view name);

// Numerically stable (max subtracted); float32/float64; any dim.
Tensor log_softmax(const Tensor& x, int64_t dim);
Tensor softmax(const Tensor& x, int64_t dim);

// log_probs [N, C] (or [C] with a 0-dim target, or [N, C, d...] with targets [N, d...]);
// targets int64 in [0, C) (these two
// overloads take no ignore_index: a target of -100 is out of bounds; ClassLossOptions
// below has PyTorch's default). One pass, one node ("NllLossBackward").
Tensor nll_loss(const Tensor& log_probs, const Tensor& targets, Reduction reduction = Reduction::Mean);
Tensor nll_loss(const Tensor& log_probs, const Tensor& targets, std::string_view reduction);

// log_softmax + nll_loss in one pass and one node ("CrossEntropyLossBackward");
// label_smoothing in [0, 1] mixes the one-hot target with the uniform distribution.
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, Reduction reduction = Reduction::Mean,
                     double label_smoothing = 0.0);
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, std::string_view reduction,
                     double label_smoothing = 0.0);

// PyTorch's further options of the class-index losses, in the same fused kernels, with
// PyTorch's formulas: row i adds w[t_i] * -log p[i, t_i] (with smoothing s: (1 - s)
// times that plus s / C * sum_j w[j] * -log p[i, j]), rows whose target is ignore_index
// add nothing (and get a zero gradient), and "mean" divides by the sum of w[t_i] over the
// rows kept (NaN when none is). The weight is a constant: no gradient flows into it.
// Nothing is read back to the host, so a captured CUDA graph may hold any of these.
struct ClassLossOptions {
  Tensor weight = {};                           // [C] in the input's dtype and device: PyTorch's weight=
  std::optional<int64_t> ignore_index = -100;   // PyTorch's ignore_index= and its default; nullopt: none
  Reduction reduction = Reduction::Mean;
  double label_smoothing = 0.0;  // cross_entropy only
};
// Both also take PyTorch's K-dimensional form (input [N, C, d1, ..., dk], targets [N, d1,
// ..., dk]: the loss of every position; "none" keeps the targets' shape), and
// cross_entropy takes class probabilities (a floating target of the input's shape: per
// sample -sum_c w[c] y[c] log p[c], y smoothed as y (1 - s) + s / C, "mean" over samples;
// composed of differentiable ops; ignore_index must then be negative, as in PyTorch).
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const ClassLossOptions& options);
Tensor nll_loss(const Tensor& log_probs, const Tensor& targets, const ClassLossOptions& options);

// (input - target)^2, broadcasting, reduced.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
Tensor mse_loss(const Tensor& input, const Tensor& target, std::string_view reduction);

}  // namespace ember::nn::functional
