// The in-place PyTorch spellings (Note [PyTorch spellings]) as named writes into a float64
// tensor, each kept differentiable around values in [-1, 1]: shared by the CPU checks
// (tests/core/test_pytorch_spellings.cpp) and their CUDA twin.
#pragma once
#include <ember/ember.h>

#include <functional>
#include <utility>
#include <vector>

namespace ember::testing {

using SpellingWrite = std::function<void(Tensor&)>;

inline std::vector<std::pair<const char*, SpellingWrite>> in_place_spelling_writes() {
  return {
      {"exp_", [](Tensor& t) { t.exp_(); }},
      {"log_", [](Tensor& t) { t.add_(2.0).log_(); }},
      {"sqrt_", [](Tensor& t) { t.add_(2.0).sqrt_(); }},
      {"abs_", [](Tensor& t) { t.abs_(); }},
      {"sigmoid_", [](Tensor& t) { t.sigmoid_(); }},
      {"tanh_", [](Tensor& t) { t.tanh_(); }},
      {"square_", [](Tensor& t) { t.square_(); }},
      {"pow_", [](Tensor& t) { t.pow_(3.0); }},
      {"cumsum_", [](Tensor& t) { t.cumsum_(1); }},
      {"masked_fill_", [](Tensor& t) { t.masked_fill_(t.gt(0.5), 0.25); }},
      {"clamp_min_", [](Tensor& t) { t.clamp_min_(-0.4); }},
      {"fill_diagonal_", [](Tensor& t) { t.fill_diagonal_(0.75); }},
  };
}

}  // namespace ember::testing
