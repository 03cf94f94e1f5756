// The Tensor Views review's cases: as_strided and narrow check their arithmetic (a huge size
// cannot wrap into an in-bounds view), squeeze of a dim list keeps the other dims' strides,
// and a view whose base was written reports its new history (is_leaf, retain_grad, grad_fn's
// name) as PyTorch's regenerated grad_fn does.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "support/helpers.h"

namespace ember {
namespace {

TEST(ViewEdges, AsStridedAndNarrowCheckOverflow) {
  const Tensor x = arange(10, dtype(kFloat32));
  EXPECT_EMBER_ERROR(x.as_strided({(int64_t{1} << 62) + 1}, {4}, 0), "Storage size calculation overflowed");
  EXPECT_EMBER_ERROR(x.as_strided({int64_t{1} << 40, int64_t{1} << 40}, {int64_t{1} << 30, 1}, 0),
                     "Storage size calculation overflowed");
  EXPECT_EMBER_ERROR(x.as_strided({11}, {1}, 0), "out of bounds for storage of size 40");
  EXPECT_EQ(x.as_strided({0, int64_t{1} << 62}, {1, 1}, 0).numel(), 0);  // empty: nothing to check
  EXPECT_EQ(x.as_strided({3}, {3}, 1).sizes(), (Dims{3}));
  const Tensor six = zeros({6});
  EXPECT_EMBER_ERROR(six.narrow(0, 1, std::numeric_limits<int64_t>::max()),
                     "start (1) + length (9223372036854775807) exceeds dimension size (6).");
  EXPECT_EQ(six.narrow(0, 1, 5).sizes(), (Dims{5}));
}

TEST(ViewEdges, SqueezeOfADimListKeepsStrides) {
  const Tensor base = zeros({2, 7, 3});
  const Tensor x = base.as_strided({2, 1, 3}, {1, 7, 2}, 0);
  const Tensor squeezed = x.squeeze(std::vector<int64_t>{1});
  EXPECT_EQ(squeezed.sizes(), (Dims{2, 3}));
  EXPECT_EQ(squeezed.strides(), (Dims{1, 2}));
  const Tensor kept = x.squeeze(std::vector<int64_t>{0});  // size 2: kept with its stride
  EXPECT_EQ(kept.strides(), (Dims{1, 7, 2}));
  EXPECT_EQ(squeezed.data_ptr(), x.data_ptr());
}

TEST(ViewEdges, AViewOfAWrittenBaseReportsItsNewHistory) {
  const Tensor w = ones({4}).requires_grad_(true);
  Tensor b = zeros({4});
  const Tensor v = b.narrow(0, 1, 2);
  EXPECT_FALSE(v.requires_grad());
  b.copy_(w);  // b now has history; v is a view of it
  EXPECT_FALSE(v.is_leaf());
  EXPECT_TRUE(v.requires_grad());
  EXPECT_EQ(v.grad_fn_name(), v.grad_fn()->name());
  v.retain_grad();
  (v * 3.0).sum().backward();
  EXPECT_TRUE(equal(v.grad(), full({2}, 3.0)));
  EXPECT_TRUE(equal(w.grad(), tensor(std::vector<float>{0, 3, 3, 0})));
}

// requires_grad() read first (nothing else read since the write) already sees the base's
// history: it used to stay false until is_leaf or grad_fn was read, and a check like
// `if (v.requires_grad()) v.sum().backward()` skipped a gradient PyTorch computes.
TEST(ViewEdges, RequiresGradOfAViewSeesItsWrittenBase) {
  const Tensor w = ones({3}).requires_grad_(true);
  Tensor b = full({3}, 2.0);
  const Tensor v = b.select(0, 2);
  const Tensor untouched = zeros({3}).select(0, 0);
  b.mul_(w);
  EXPECT_TRUE(v.requires_grad());
  EXPECT_TRUE(b.requires_grad());
  EXPECT_FALSE(untouched.requires_grad());
  (v * 2.0).backward();
  EXPECT_TRUE(equal(w.grad(), tensor(std::vector<float>{0, 0, 4})));  // v = 2 * w[2]
  // A view made before its base came to require grad, with no write since: False, as
  // PyTorch's (its grad_fn is regenerated only after a write).
  Tensor later = zeros({3});
  const Tensor early = later.narrow(0, 0, 2);
  later.requires_grad_(true);
  EXPECT_FALSE(early.requires_grad());
  // A view made in no_grad of a base that gets history by a write keeps its no_grad mode.
  Tensor c = full({3}, 2.0);
  Tensor inside;
  {
    const NoGradGuard no_grad;
    inside = c.narrow(0, 0, 2);
  }
  c.mul_(w);
  EXPECT_TRUE(c.requires_grad());
  EXPECT_FALSE(inside.requires_grad());
}

}  // namespace
}  // namespace ember
