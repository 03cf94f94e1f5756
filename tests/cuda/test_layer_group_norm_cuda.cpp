// layer_norm and group_norm on CUDA (cuda/norm.cu) give the CPU's values and gradients
// (x, weight, bias) in float64, float32 and bfloat16, for warp rows, block rows, many rows
// (image chunks of the parameter gradients) and a channels-last group_norm input; and the
// create_graph path (composed ops) gives the CPU's second derivative. Skips without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <cmath>
#include <functional>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using Norm = std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>;

struct Case {
  const char* name;
  Dims x;
  int64_t params;
  Norm f;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all{
      {"layer_norm warp rows", {6, 9, 40}, 40, [](auto& x, auto& w, auto& b) { return F::layer_norm(x, {40}, w, b); }},
      {"layer_norm block rows", {3, 2, 1500}, 1500,
       [](auto& x, auto& w, auto& b) { return F::layer_norm(x, {1500}, w, b); }},
      {"layer_norm 2-D shape", {700, 4, 8}, 32, [](auto& x, auto& w, auto& b) {
         return F::layer_norm(x, {4, 8}, w.reshape({4, 8}), b.reshape({4, 8}));
       }},
      {"group_norm", {5, 12, 7, 3}, 12, [](auto& x, auto& w, auto& b) { return F::group_norm(x, 3, w, b); }},
      {"group_norm many images", {300, 8, 10}, 8, [](auto& x, auto& w, auto& b) { return F::group_norm(x, 2, w, b); }},
      {"group_norm channels-last", {4, 8, 5, 5}, 8, [](auto& x, auto& w, auto& b) {
         return F::group_norm(x.contiguous(MemoryFormat::ChannelsLast), 4, w, b);
       }},
  };
  return all;
}

TEST(LayerGroupNormCuda, ForwardAndBackwardMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  struct Precision {
    DType dtype;
    double tol;
  };
  for (const Case& c : cases()) {
    for (const Precision p : {Precision{kFloat64, 1e-10}, Precision{kFloat32, 1e-4}, Precision{kBFloat16, 5e-2}}) {
      SCOPED_TRACE(std::string(c.name) + " " + std::string(dtype_name(p.dtype)));
      const Tensor x0 = (randn(c.x) * 2.0 + 5.0).to(p.dtype), g0 = randn(c.x).to(p.dtype);
      const Tensor w0 = (rand({c.params}) + 0.5).to(p.dtype), b0 = randn({c.params}).to(p.dtype);
      std::vector<Tensor> results[2];
      for (int d = 0; d < 2; ++d) {
        const Device device = d ? Device::cuda(0) : Device::cpu();
        // detach(): to() returns x0 itself on the CPU, so without it the CPU run would make
        // x0 a leaf and the CUDA run's copy a non-leaf, whose grad() is undefined.
        const Tensor x = x0.to(device).detach().requires_grad_(true), w = w0.to(device).detach().requires_grad_(true),
                     b = b0.to(device).detach().requires_grad_(true);
        const Tensor y = c.f(x, w, b);
        y.backward(g0.to(device));
        results[d] = {y.cpu(), x.grad().cpu(), w.grad().cpu(), b.grad().cpu()};
      }
      const char* what[] = {"y", "grad x", "grad weight", "grad bias"};
      for (size_t i = 0; i < 4; ++i) {
        const Tensor got = results[1][i].to(kFloat64), want = results[0][i].to(kFloat64);
        // Parameter gradients sum over every row: scale the tolerance by their size.
        const double tol = p.tol * (i >= 2 ? 1.0 + std::sqrt(static_cast<double>(x0.numel() / c.params)) : 1.0);
        EXPECT_TRUE(allclose(got, want, tol, tol)) << what[i] << ": max diff " << testing::max_abs_diff(got, want);
      }
    }
  }
}

TEST(LayerGroupNormCuda, SecondDerivativeMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Tensor x0 = randn({4, 6, 5}, kFloat64), w0 = rand({6}, kFloat64) + 0.5, v = randn({4, 6, 5}, kFloat64);
  std::vector<Tensor> results[2];
  for (int d = 0; d < 2; ++d) {
    const Device device = d ? Device::cuda(0) : Device::cpu();
    const Tensor x = x0.to(device).detach().requires_grad_(true), w = w0.to(device).detach().requires_grad_(true);
    const Tensor y = F::group_norm(x, 2, w) + F::layer_norm(x, {5});
    const Tensor gx = autograd::grad({(y * y).sum()}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
    const auto gg = autograd::grad({(gx * v.to(device)).sum()}, {x, w});
    results[d] = {gx.detach().cpu(), gg[0].cpu(), gg[1].cpu()};
  }
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(allclose(results[1][i], results[0][i], 1e-10, 1e-10)) << i;
}

}  // namespace
}  // namespace ember
