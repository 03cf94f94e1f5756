// The optimizer tests' shared script (tests/nn/test_optim_more.cpp, test_optim_extra.cpp and
// their PyTorch 1.13 references optim_torch_values*.h): the start point, the gradient of
// step k, the checked steps, and the state-dict keys after one step.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "core/factories.h"
#include "core/tensor.h"
#include "nn/optim/optimizer.h"

namespace ember::testing {

using Rows = std::vector<std::vector<double>>;

inline const std::vector<double> kStart{1.0, -0.5, 0.25, 2.0, -1.5};
inline constexpr int kCheckedSteps[] = {1, 2, 3, 5, 10, 15, 20};

// The gradient of the references' script at step k: 0.5 * p - sin(0.7 k + i), computed
// in double and rounded to p's dtype.
inline void set_script_grad(Tensor& p, int k) {
  std::vector<double> g;
  const std::vector<double> values = p.to_vector<double>();
  for (size_t i = 0; i < values.size(); ++i) g.push_back(0.5 * values[i] - std::sin(0.7 * k + static_cast<double>(i)));
  p.mutable_grad() = tensor(g, p.sizes(), TensorOptions(p.dtype()));
}

template <typename T>
Rows as_rows(const std::vector<std::vector<T>>& rows) {
  Rows out;
  for (const auto& r : rows) out.emplace_back(r.begin(), r.end());
  return out;
}

inline std::vector<std::string> keys_of(const optim::StateDict& sd) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : sd) keys.push_back(key);
  return keys;
}

// The state_dict keys of an optimizer after one step of the script from kStart.
template <typename Opt, typename Options>
std::vector<std::string> keys_after_a_step(const Options& options) {
  Tensor p = tensor(kStart, {5}, kFloat64).requires_grad_(true);
  Opt opt({p}, options);
  set_script_grad(p, 1);
  opt.step();
  return keys_of(opt.state_dict());
}

}  // namespace ember::testing
