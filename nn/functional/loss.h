// Losses and (log-)softmax for nn::functional (PyTorch names and defaults):
// log_softmax, softmax, nll_loss, cross_entropy (one fused node each, class weights and
// ignore_index included), mse_loss, l1_loss, smooth_l1_loss, huber_loss,
// binary_cross_entropy and binary_cross_entropy_with_logits.
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
// F.softmax(x, dim, dtype=...) / F.log_softmax: x cast to dtype before the op, as PyTorch's.
Tensor log_softmax(const Tensor& x, int64_t dim, DType dtype);
Tensor softmax(const Tensor& x, int64_t dim, DType dtype);

// log_probs [N, C] (or [C] with a 0-dim target, or [N, C, d...] with targets [N, d...]);
// targets int64 in [0, C) or PyTorch's default ignore_index -100 (a row that adds nothing;
// ClassLossOptions below takes another ignore_index, or none).
// One pass, one node ("NllLossBackward").
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

// The elementwise losses of nn/functional/pointwise_loss.cpp: one fused kernel for the
// loss terms (core/loss_functors.h), the reduction, and one node whose backward is one
// fused kernel per input that needs a gradient (composed of differentiable ops under
// create_graph, so every order works). Floating inputs (float32, float64, bfloat16).
// |input - target|, broadcasting; gradients for input and target.
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
Tensor l1_loss(const Tensor& input, const Tensor& target, std::string_view reduction);
// 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target, broadcasting);
// beta >= 0 (beta = 0 is l1_loss).
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
                      double beta = 1.0);
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, std::string_view reduction, double beta = 1.0);
// 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta); delta > 0.
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
                  double delta = 1.0);
Tensor huber_loss(const Tensor& input, const Tensor& target, std::string_view reduction, double delta = 1.0);
// -weight (target log(input) + (1 - target) log(1 - input)), each log clamped at -100;
// input in [0, 1], target of input's shape and dtype; weight (a constant) broadcasts to it.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                            Reduction reduction = Reduction::Mean);
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                            std::string_view reduction);
// binary_cross_entropy(sigmoid(input), target) in the stable form, with pos_weight p
// weighing the positive term: -weight (p target log sigmoid(input) + (1 - target)
// log(1 - sigmoid(input))); weight and pos_weight (constants) broadcast to input's shape.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                                        Reduction reduction = Reduction::Mean, const Tensor& pos_weight = {});
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        std::string_view reduction, const Tensor& pos_weight = {});
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        const Tensor& pos_weight, Reduction reduction = Reduction::Mean);

}  // namespace ember::nn::functional
