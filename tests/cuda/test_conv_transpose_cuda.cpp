// conv_transpose2d, conv_transpose1d and conv1d on CUDA (cuDNN's convolution graphs run
// the other way round, Note [Transposed convolution]): values and gradients equal to the
// CPU's in float64, float32 (TF32 off) and channels-last. Skipped without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <functional>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::NoTf32;

namespace F = nn::functional;

// f(x, w, b) on the CPU and on CUDA: outputs and the gradients of (f * g).sum() for all
// three within tol; the CUDA output keeps the input's layout.
void expect_cuda_matches_cpu(const Tensor& x, const Tensor& w, const Tensor& b, double tol,
                             const std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>& f) {
  const auto leaf = [](const Tensor& t, bool cuda) {
    return (cuda ? t.cuda() : t.clone()).detach().requires_grad_(true);
  };
  const Tensor xc = leaf(x, false), wc = leaf(w, false), bc = leaf(b, false);
  const Tensor xg = leaf(x, true), wg = leaf(w, true), bg = leaf(b, true);
  const Tensor yc = f(xc, wc, bc), yg = f(xg, wg, bg);
  ASSERT_TRUE(yg.device().is_cuda());
  EXPECT_EQ(yg.suggest_memory_format(), x.suggest_memory_format());
  EXPECT_LT(testing::max_abs_diff(yc.detach(), yg.detach().cpu()), tol);
  const Tensor g = randn(yc.sizes(), x.dtype());
  (yc * g).sum().backward();
  (yg * g.cuda()).sum().backward();
  EXPECT_LT(testing::max_abs_diff(xc.grad(), xg.grad().cpu()), tol);
  EXPECT_LT(testing::max_abs_diff(wc.grad(), wg.grad().cpu()), tol);
  EXPECT_LT(testing::max_abs_diff(bc.grad(), bg.grad().cpu()), tol);
}


TEST(CudaConvTranspose, MatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const NoTf32 no_tf32;
  manual_seed(11);
  const auto up = [](const Tensor& x, const Tensor& w, const Tensor& b) {
    return F::conv_transpose2d(x, w, b, 2, 1, 1);  // a decoder's 2x upsampling
  };
  const auto odd = [](const Tensor& x, const Tensor& w, const Tensor& b) {
    return F::conv_transpose2d(x, w, b, {3, 1}, {0, 2}, {2, 0}, 2, {1, 2});
  };
  for (const DType dt : {kFloat64, kFloat32}) {
    SCOPED_TRACE(dtype_name(dt));
    const double tol = dt == kFloat64 ? 1e-12 : 1e-4;
    expect_cuda_matches_cpu(randn({4, 8, 7, 7}, dt), randn({8, 6, 3, 3}, dt), randn({6}, dt), tol, up);
    expect_cuda_matches_cpu(randn({2, 4, 5, 6}, dt), randn({4, 3, 2, 3}, dt), randn({6}, dt), tol, odd);
  }
  expect_cuda_matches_cpu(randn({4, 8, 7, 7}).contiguous(MemoryFormat::ChannelsLast), randn({8, 6, 3, 3}),
                          randn({6}), 1e-4, up);
}

TEST(CudaConvTranspose, OneDimensionalFormsMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const NoTf32 no_tf32;
  manual_seed(12);
  expect_cuda_matches_cpu(randn({3, 4, 17}, kFloat64), randn({6, 2, 5}, kFloat64), randn({6}, kFloat64), 1e-12,
                          [](const Tensor& x, const Tensor& w, const Tensor& b) { return F::conv1d(x, w, b, 2, 2, 1, 2); });
  expect_cuda_matches_cpu(randn({3, 4, 9}, kFloat64), randn({4, 3, 4}, kFloat64), randn({3}, kFloat64), 1e-12,
                          [](const Tensor& x, const Tensor& w, const Tensor& b) {
                            return F::conv_transpose1d(x, w, b, 2, 1, 1);
                          });
}

}  // namespace
}  // namespace ember
