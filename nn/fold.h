// nn::Unfold and nn::Fold over nn::functional::unfold / fold, with PyTorch's arguments
// (an int or a pair each) and repr.
#pragma once
#include <initializer_list>
#include <string>
#include <utility>

#include "nn/functional/fold.h"
#include "nn/module.h"

namespace ember::nn {

// torch.nn.Unfold(kernel_size, dilation=1, padding=0, stride=1)
class Unfold : public Module {
 public:
  explicit Unfold(IntOrPair kernel_size, IntOrPair dilation = 1, IntOrPair padding = 0, IntOrPair stride = 1);
  // Unfold({2, 3}): the kernel size (else {2, 3} could also read as Unfold(2, 3)).
  explicit Unfold(std::initializer_list<int64_t> kernel_size, IntOrPair dilation = 1, IntOrPair padding = 0,
                  IntOrPair stride = 1)
      : Unfold(IntOrPair(kernel_size), std::move(dilation), std::move(padding), std::move(stride)) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "kernel_size=(2, 3), dilation=1, padding=1, stride=2"

  const IntOrPair kernel_size, dilation, padding, stride;
};

// torch.nn.Fold(output_size, kernel_size, dilation=1, padding=0, stride=1)
class Fold : public Module {
 public:
  Fold(IntOrPair output_size, IntOrPair kernel_size, IntOrPair dilation = 1, IntOrPair padding = 0,
       IntOrPair stride = 1);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1"

  const IntOrPair output_size, kernel_size, dilation, padding, stride;
};

}  // namespace ember::nn
