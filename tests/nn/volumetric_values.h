// What the tests checked against PyTorch's values share (the 3-D family, attention, recurrent
// layers): the wave inputs and parameters the values were computed from, and PyTorch's report
// of a result (sum, cos-weighted sum, picked elements).
#pragma once
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <utility>
#include <vector>

namespace ember::testing {

// sin(0.37 * i + phase) * scale over `shape`, float64: the Python's ar(shape, phase, scale).
inline Tensor wave_at(const Dims& shape, double phase, double scale = 1.0) {
  return ember::sin(arange(shape_numel(shape), TensorOptions(kFloat64)).mul(0.37).add(phase)).mul(scale).reshape(shape);
}
// sin(0.37 * i) over `shape`: the Python's ar(*shape) = (torch.arange(n) * 0.37).sin().
inline Tensor wave(const Dims& shape) { return wave_at(shape, 0.0); }

// cos(i) over t's shape, float64: the weights of PyTorch's weighted sum (the Python's cosw).
inline Tensor cos_weights(const Tensor& t) {
  return ember::cos(arange(t.numel(), TensorOptions(kFloat64))).reshape(t.sizes());
}

// The Python's set_params: the module in float64, its i-th parameter (named_parameters' order,
// PyTorch's) ar(shape, 0.5 * (i + 1), 0.4).
inline void set_params(nn::Module& m) {
  m.to(kFloat64);
  NoGradGuard no_grad;
  int i = 0;
  for (auto& [name, p] : m.named_parameters()) p.copy_(wave_at(p.sizes(), 0.5 * ++i, 0.4));
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
  EXPECT_NEAR((out.to(kFloat64) * cos_weights(out)).sum().item<double>(), want.weighted, tol);
  const auto v = out.to_vector<double>();
  for (const auto& [i, value] : want.picks) EXPECT_NEAR(v[i], value, tol) << "at " << i;
}

}  // namespace ember::testing
