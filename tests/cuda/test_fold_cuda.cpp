// unfold / fold on CUDA against the CPU: exact copies and sums, forward and backward, for
// strided, dilated and padded geometries. Skips without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

TEST(FoldCuda, UnfoldAndFoldMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Tensor x0 = randn({3, 4, 11, 9}, dtype(kFloat64));
  Tensor results[2], grads[2];
  for (int d = 0; d < 2; ++d) {
    const Tensor x = x0.to(d ? Device::cuda(0) : Device::cpu()).detach().requires_grad_(true);
    const Tensor cols = F::unfold(x, {3, 2}, {1, 2}, {1, 0}, {2, 1});
    const Tensor image = F::fold(cols * cols, {11, 9}, {3, 2}, {1, 2}, {1, 0}, {2, 1});
    image.sum().backward();
    results[d] = image.detach().cpu();
    grads[d] = x.grad().cpu();
  }
  EXPECT_LT(testing::max_abs_diff(results[0], results[1]), 1e-12);
  EXPECT_LT(testing::max_abs_diff(grads[0], grads[1]), 1e-12);
}

}  // namespace
}  // namespace ember
