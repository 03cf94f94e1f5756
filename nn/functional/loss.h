// Losses and (log-)softmax for nn::functional (PyTorch names and defaults):
// log_softmax, softmax, nll_loss, cross_entropy (one fused node), mse_loss.
// Each runs as fused row kernels on the tensor's own device (DeviceOps softmax_rows, ...).
#pragma once
#include <string_view>

#include "core/tensor.h"

namespace ember::nn::functional {

enum class Reduction { None, Mean, Sum };

// "none" | "mean" | "sum"; anything else is an error naming the value.
Reduction reduction_from_string(std::string_view name);

// Numerically stable (max subtracted); float32/float64; any dim.
Tensor log_softmax(const Tensor& x, int64_t dim);
Tensor softmax(const Tensor& x, int64_t dim);

// log_probs [N, C] (or [C] with a 0-dim target); targets int64 in [0, C).
Tensor nll_loss(const Tensor& log_probs, const Tensor& targets, Reduction reduction = Reduction::Mean);
Tensor nll_loss(const Tensor& log_probs, const Tensor& targets, std::string_view reduction);

// log_softmax + nll_loss in one pass and one node ("CrossEntropyLossBackward");
// label_smoothing in [0, 1] mixes the one-hot target with the uniform distribution.
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, Reduction reduction = Reduction::Mean,
                     double label_smoothing = 0.0);
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, std::string_view reduction,
                     double label_smoothing = 0.0);

// (input - target)^2, broadcasting, reduced.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
Tensor mse_loss(const Tensor& input, const Tensor& target, std::string_view reduction);

}  // namespace ember::nn::functional
