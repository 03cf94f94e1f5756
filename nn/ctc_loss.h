// nn::CTCLoss(blank = 0, reduction = "mean", zero_infinity = false) over
// nn::functional::ctc_loss; forward takes log_probs, targets and both lengths, as PyTorch's.
#pragma once
#include <cstdint>
#include <string_view>

#include "nn/functional/ctc_loss.h"
#include "nn/module.h"

namespace ember::nn {

class CTCLoss : public Module {
 public:
  explicit CTCLoss(int64_t blank = 0, functional::Reduction reduction = functional::Reduction::Mean,
                   bool zero_infinity = false);
  CTCLoss(int64_t blank, std::string_view reduction, bool zero_infinity = false);
  Tensor forward(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                 const Tensor& target_lengths);
  Tensor operator()(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                    const Tensor& target_lengths) {
    return forward(log_probs, targets, input_lengths, target_lengths);
  }
  // An Error: the loss needs its targets and lengths (the one-input form that Sequential calls).
  Tensor forward(const Tensor& input) override;
  using Module::operator();

  const int64_t blank;
  const functional::Reduction reduction;
  const bool zero_infinity;
};

}  // namespace ember::nn
