// nn::CTCLoss: PyTorch's constructor arguments, forward through nn::functional::ctc_loss.
#include "nn/ctc_loss.h"

#include "core/error.h"

namespace ember::nn {

CTCLoss::CTCLoss(int64_t blank, functional::Reduction reduction, bool zero_infinity)
    : Module("CTCLoss"), blank(blank), reduction(reduction), zero_infinity(zero_infinity) {}

CTCLoss::CTCLoss(int64_t blank, std::string_view reduction, bool zero_infinity)
    : CTCLoss(blank, functional::reduction_from_string(reduction), zero_infinity) {}

Tensor CTCLoss::forward(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                        const Tensor& target_lengths) {
  return functional::ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity);
}

Tensor CTCLoss::forward(const Tensor& /*input*/) {
  EMBER_FAIL(
      "CTCLoss.forward() missing 3 required positional arguments: 'targets', 'input_lengths', and "
      "'target_lengths' (call forward(log_probs, targets, input_lengths, target_lengths))");
}

}  // namespace ember::nn
