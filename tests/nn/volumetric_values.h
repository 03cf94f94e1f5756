// What the 3-D family's tests share: the wave input the PyTorch values were computed from,
// and PyTorch's report of a result (sum, cos-weighted sum, picked elements).
#pragma once
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <utility>
#include <vector>

namespace ember::testing {

// sin(0.37 * i) over `shape`: the Python's ar(*shape) = (torch.arange(n) * 0.37).sin().
inline Tensor wave(const Dims& shape) {
  return ember::sin(arange(shape_numel(shape), TensorOptions(kFloat64)).mul(0.37)).reshape(shape);
}

// PyTorch's report of a result: its sum, its sum weighted by cos(i), and picked elements.
struct Report {
  Dims shape;
  double sum, weighted;
  std::vector<std::pair<size_t, double>> picks;
};

inline void expect_report(const Tensor& out, const Report& want, double tol = 1e-12) {
  ASSERT_EQ(out.sizes(), want.shape);
  EXPECT_NEAR(out.sum().item<double>(), want.sum, tol);
  const Tensor weights = ember::cos(arange(out.numel(), TensorOptions(kFloat64))).reshape(out.sizes());
  EXPECT_NEAR((out.to(kFloat64) * weights).sum().item<double>(), want.weighted, tol);
  const auto v = out.to_vector<double>();
  for (const auto& [i, value] : want.picks) EXPECT_NEAR(v[i], value, tol) << "at " << i;
}

}  // namespace ember::testing
