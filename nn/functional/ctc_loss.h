// nn::functional::ctc_loss (torch.nn.functional's): the connectionist temporal classification
// loss, -log of the summed probability of every alignment of a target to the input frames,
// by the forward-backward recursions in log space (Note [CTC loss as native ops]).
#pragma once
#include <cstdint>

#include "core/tensor.h"
#include "nn/functional/loss.h"

namespace ember::nn::functional {

// log_probs [T, N, C] (log-softmax over C; [T, C] for one sample), float32 or float64, on any
// device. targets int64: [N, S] padded (S at least every target length) or the targets
// concatenated, 1-D of sum(target_lengths) ([S] for one sample); values in [0, C) other than
// blank. input_lengths and target_lengths int64 [N] (0-dim or [1] for one sample), each
// input length at most T; they and the targets are read on the host, on any device.
// Per sample: -log p(target | input), inf where no alignment fits (0 with zero_infinity, which
// also zeroes its gradient). Mean divides each by its target length (at least 1) and averages
// over the batch, as PyTorch's. The gradient to log_probs is PyTorch's (exp(log_probs) minus
// the alignments' posterior per class), which is the true one once it flows through a
// log_softmax; there is no second derivative. An empty input with an empty target costs 0.
Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                const Tensor& target_lengths, int64_t blank = 0, Reduction reduction = Reduction::Mean,
                bool zero_infinity = false);

}  // namespace ember::nn::functional
