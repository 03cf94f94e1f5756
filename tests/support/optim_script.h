// The optimizer tests' shared script (tests/nn/test_optim_more.cpp, test_optim_extra.cpp and
// their PyTorch 1.13 references optim_torch_values*.h): the start point, the gradient of
// step k, the checked steps, the state-dict keys after one step, and the strided-parameter check.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/factories.h"
#include "core/native.h"
#include "core/tensor.h"
#include "nn/optim/optimizer.h"
#include "support/helpers.h"

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

// A [4, 3] parameter updated `steps` times as a contiguous tensor and as a transposed view
// (with a transposed gradient too): the staged update gives the same bits, parameter and
// state (Note [Staged optimizer operands] in nn/optim/fused_update.h), and it moved.
template <typename Opt, typename Options>
void expect_strided_matches_contiguous(const char* what, const Options& options, int steps = 8) {
  SCOPED_TRACE(what);
  const std::vector<double> v = random_values(12, 7);
  Tensor dense = tensor(v, {4, 3}, kFloat32).requires_grad_(true);
  Tensor strided = native::transpose(native::clone(native::transpose(dense.detach(), 0, 1)), 0, 1).requires_grad_(true);
  ASSERT_FALSE(strided.is_contiguous());
  Opt a({dense}, options), b({strided}, options);
  for (int k = 0; k < steps; ++k) {
    const Tensor g = tensor(random_values(12, 20 + k), {4, 3}, kFloat32);
    dense.mutable_grad() = g;
    strided.mutable_grad() = native::transpose(native::clone(native::transpose(g, 0, 1)), 0, 1);
    a.step();
    b.step();
  }
  EXPECT_EQ(dense.to_vector<double>(), strided.to_vector<double>());
  EXPECT_NE(dense.to_vector<double>(), v);
  const optim::StateDict sa = a.state_dict(), sb = b.state_dict();
  ASSERT_EQ(keys_of(sa), keys_of(sb));
  for (size_t i = 0; i < sa.size(); ++i)
    EXPECT_EQ(sa[i].second.to_vector<double>(), sb[i].second.to_vector<double>()) << sa[i].first;
}

// ---------------------------------------------------------------- PyTorch's trajectories

// Steps an optimizer 20 times from kStart in `dtype` with the script's gradients, comparing
// the parameter with `expected` after each of kCheckedSteps. A second parameter without a
// gradient rides along: PyTorch skips it, so it keeps its values and gets no state.
// Returns the optimizer's state_dict after the 20 steps.
template <typename Opt, typename Options>
optim::StateDict expect_torch_trajectory(const char* what, const Options& options, DType dtype, const Rows& expected,
                             double tol) {
  SCOPED_TRACE(std::string(what) + " " + std::string(dtype_name(dtype)));
  Tensor p = tensor(kStart, {5}, TensorOptions(dtype)).requires_grad_(true);
  Tensor idle = tensor(std::vector<double>{3.0, -4.0}, {2}, TensorOptions(dtype)).requires_grad_(true);
  Opt opt({p, idle}, options);
  size_t checked = 0;
  for (int k = 1; k <= 20; ++k) {
    set_script_grad(p, k);
    opt.step();
    if (checked < expected.size() && kCheckedSteps[checked] == k) {
      SCOPED_TRACE("step " + std::to_string(k));
      expect_values(p, expected[checked], tol);  // tol 0: the same bits
      ++checked;
    }
  }
  EXPECT_EQ(checked, expected.size());
  EXPECT_EQ(idle.to_vector<double>(), (std::vector<double>{3.0, -4.0}));
  const optim::StateDict state = opt.state_dict();
  for (const auto& [key, value] : state) EXPECT_NE(key.rfind("state.1.", 0), 0u) << key;
  return state;
}

template <typename Opt, typename Options>
optim::StateDict expect_f64(const char* what, const Options& options, const Rows& expected) {
  return expect_torch_trajectory<Opt>(what, options, kFloat64, expected, 1e-12);
}
template <typename Opt, typename Options>
optim::StateDict expect_f32(const char* what, const Options& options,
                            const std::vector<std::vector<float>>& expected) {
  return expect_torch_trajectory<Opt>(what, options, kFloat32, as_rows(expected), 0.0);
}

}  // namespace ember::testing
