// nn::functional::pad and interpolate on CUDA (composed of index_select, cat and
// elementwise kernels): values and gradients equal to the CPU's. Skipped without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <functional>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

// f on the CPU and on CUDA from the same float64 input: outputs equal, and the gradients
// of (f(x) * g).sum() within 1e-12.
void expect_cuda_matches_cpu(const Tensor& x, const std::function<Tensor(const Tensor&)>& f) {
  const Tensor xc = x.detach().requires_grad_(true), xg = x.cuda().detach().requires_grad_(true);
  const Tensor yc = f(xc), yg = f(xg);
  EXPECT_TRUE(yg.device().is_cuda());
  EXPECT_LT(testing::max_abs_diff(yc.detach(), yg.detach().cpu()), 1e-12);
  const Tensor g = randn(yc.sizes(), kFloat64);
  (yc * g).sum().backward();
  (yg * g.cuda()).sum().backward();
  EXPECT_LT(testing::max_abs_diff(xc.grad(), xg.grad().cpu()), 1e-12);
}

TEST(CudaPadInterpolate, PadMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(6);
  const Tensor x = randn({2, 3, 5, 6}, kFloat64);
  const std::vector<std::function<Tensor(const Tensor&)>> fns{
      [](const Tensor& a) { return F::pad(a, {1, 2, -1, 3}, "constant", 0.5); },
      [](const Tensor& a) { return F::pad(a, {2, 3, 4, 1}, "reflect"); },
      [](const Tensor& a) { return F::pad(a, {3, -1, 2, 2}, "replicate"); },
      [](const Tensor& a) { return F::pad(a, {6, 1, 0, 5}, "circular"); },
      [](const Tensor& a) { return F::pad(a.select(0, 0), {2, 2}, "reflect"); },
  };
  for (size_t k = 0; k < fns.size(); ++k) {
    SCOPED_TRACE(k);
    expect_cuda_matches_cpu(x, fns[k]);
  }
}

TEST(CudaPadInterpolate, InterpolateMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(7);
  const Tensor x = randn({2, 3, 5, 6}, kFloat64);
  const std::vector<std::function<Tensor(const Tensor&)>> fns{
      [](const Tensor& a) { return F::interpolate(a, {7, 4}); },
      [](const Tensor& a) { return F::interpolate(a, {}, 1.7, "nearest-exact"); },
      [](const Tensor& a) { return F::interpolate(a, {}, {1.5, 0.7}, "bilinear"); },
      [](const Tensor& a) { return F::interpolate(a, {9, 11}, {}, "bilinear", true); },
      [](const Tensor& a) { return F::interpolate(a.flatten(2), 13, {}, "linear"); },
      [](const Tensor& a) { return F::interpolate(a.unsqueeze(2), {}, 1.5, "trilinear"); },
  };
  for (size_t k = 0; k < fns.size(); ++k) {
    SCOPED_TRACE(k);
    expect_cuda_matches_cpu(x, fns[k]);
  }
  // float32 on CUDA within rounding of the CPU's
  const Tensor xf = x.to(kFloat32);
  EXPECT_LT(testing::max_abs_diff(F::interpolate(xf, {}, 2.3, "bilinear"),
                                  F::interpolate(xf.cuda(), {}, 2.3, "bilinear").cpu()), 1e-6);
}

}  // namespace
}  // namespace ember
