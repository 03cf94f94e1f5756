// In-place ops on views (Note [In-place ops on views] in autograd/view_history.h): the
// base's gradient as PyTorch computes it (each expected value is PyTorch 1.13's for the
// same program), views taken before an in-place op on their base, copies into slices of
// a tensor that did not require grad, views of leaves refused, and a gradcheck.
#include <string>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using testing::expect_gradcheck;
using testing::expect_values;
using testing::grad_input;
using testing::leaf;

Tensor values(const std::vector<double>& v, const Dims& shape) { return tensor(v, shape, dtype(kFloat64)); }

TEST(InPlaceOnViews, TheBaseSeesTheOpOnItsSlice) {
  const Tensor x = leaf({1, 1, 1}, {3});
  Tensor a = x * 1.0;
  a.slice(0, 0, 1).mul_(3.0);
  EXPECT_EQ(a.grad_fn()->name(), "CopySlices");
  expect_values(a, {3, 1, 1}, 0.0);
  a.sum().backward();
  expect_values(x.grad(), {3, 1, 1}, 0.0);
}

// An expanded view (its elements alias) regenerated after its base changed sums its
// gradient into the base (the index path); a transposed view written in place moves it
// by strided copies. PyTorch 1.13: [24, 30, 36, 42] and [0, 3, 2, 3, 12, 5].
TEST(InPlaceOnViews, ExpandedAndTransposedViewsAfterTheBaseChanged) {
  const Tensor x = leaf({1, 1, 1, 1}, {4});
  Tensor a = x * 1.0;
  const Tensor e = a.unsqueeze(0).expand({3, 4});
  a.mul_(2.0);
  EXPECT_EQ(e.grad_fn()->name(), "AsStridedBackward");
  (e * arange(0, 12, 1, dtype(kFloat64)).view({3, 4})).sum().backward();
  expect_values(x.grad(), {24, 30, 36, 42}, 0.0);

  const Tensor y = leaf({0, 1, 2, 3, 4, 5}, {6});
  Tensor b = y * 1.0;
  const Tensor t = b.view({2, 3}).t();
  b.add_(1.0);
  t.select(0, 1).mul_(3.0);
  (b * arange(0, 6, 1, dtype(kFloat64))).sum().backward();
  expect_values(y.grad(), {0, 3, 2, 3, 12, 5}, 0.0);
}

TEST(InPlaceOnViews, ReshapingViewsAndRelu) {
  const Tensor x = leaf({1, 1, 1}, {3});
  Tensor a = x * 1.0;
  a.unsqueeze(0).mul_(values({1, 2, 3}, {1, 3}));
  a.sum().backward();
  expect_values(x.grad(), {1, 2, 3}, 0.0);

  const Tensor y = leaf({-1, 2, -3, 4}, {4});
  Tensor b = y * 1.0;
  b.view({2, 2}).relu_();
  b.sum().backward();
  expect_values(y.grad(), {0, 1, 0, 1}, 0.0);
}

TEST(InPlaceOnViews, ChainsOfSelectsOnAClone) {
  const Tensor x = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor a = x.clone();
  a.select(0, 0).mul_(2.0);
  a.select(1, 1).add_(a.select(1, 0));
  (a * arange(0, 6, 1, dtype(kFloat64)).view({2, 3})).sum().backward();
  expect_values(x.grad(), {2, 2, 4, 7, 4, 5}, 0.0);
}

TEST(InPlaceOnViews, AnOperandThatRequiresGradAndATransposedView) {
  const Tensor x = leaf({1, 2, 3, 4}, {4}), w = leaf({10, 20}, {2});
  Tensor a = x * 1.0;
  a.slice(0, 1, 3).mul_(w);
  (a * a).sum().backward();
  expect_values(x.grad(), {2, 400, 2400, 8}, 1e-9);
  expect_values(w.grad(), {80, 360}, 1e-9);

  const Tensor y = leaf({1, 2, 3, 4}, {2, 2});
  Tensor b = y * 1.0;
  b.t().select(0, 0).add_(b.select(0, 1));  // column 0 += row 1
  (b * values({1, 2, 3, 4}, {2, 2})).sum().backward();
  expect_values(y.grad(), {1, 2, 4, 7}, 0.0);
}

TEST(InPlaceOnViews, CopyIntoASliceOfATensorWithoutGrad) {
  const Tensor x = leaf({1, 2, 3}, {3});
  Tensor y = zeros({3}, dtype(kFloat64));
  y.slice(0, 1, 2).copy_(x.slice(0, 0, 1) * 5.0);
  EXPECT_TRUE(y.requires_grad());
  EXPECT_EQ(y.grad_fn()->name(), "CopySlices");
  y.sum().backward();
  expect_values(x.grad(), {5, 0, 0}, 0.0);
}

TEST(InPlaceOnViews, ViewsTakenBeforeTheBaseChanged) {
  const Tensor x = leaf({1, 1, 1}, {3});
  Tensor a = x * 1.0;
  const Tensor v = a.view({3});
  a.mul_(2.0);
  EXPECT_EQ(v.grad_fn()->name(), "AsStridedBackward");
  (v * values({1, 2, 3}, {3})).sum().backward();
  expect_values(x.grad(), {2, 4, 6}, 0.0);

  const Tensor y = leaf({1, 2, 3}, {3});
  Tensor b = y * 1.0;
  Tensor first = b.slice(0, 0, 2);
  first.mul_(4.0);  // through one view; read through another, overlapping one
  (b.slice(0, 1, 3) * values({1, 10}, {2})).sum().backward();
  expect_values(y.grad(), {0, 4, 10}, 0.0);
}

TEST(InPlaceOnViews, AViewOfALeafThatRequiresGradIsRefused) {
  Tensor l = leaf({1, 1, 1}, {3});
  EXPECT_EMBER_ERROR(l.slice(0, 0, 2).mul_(2.0),
                     "a view of a leaf Variable that requires grad is being used in an in-place operation");
  expect_values(l, {1, 1, 1}, 0.0);
  {
    NoGradGuard no_grad;  // as weight initialisation does
    l.slice(0, 0, 2).mul_(2.0);
  }
  expect_values(l, {2, 2, 1}, 0.0);
}

TEST(InPlaceOnViews, DetachInPlaceIsForBasesOnly) {
  const Tensor x = leaf({1, 2, 3}, {3});
  Tensor a = x * 1.0;
  Tensor v = a.slice(0, 0, 2);
  EXPECT_EMBER_ERROR(v.detach_(), "Can't detach views in-place. Use detach() instead.");
  EXPECT_FALSE(v.detach().requires_grad());
  a.detach_();
  EXPECT_FALSE(a.requires_grad());
}

TEST(InPlaceOnViews, Gradcheck) {
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        Tensor a = in[0] * 1.0;
        a.select(1, 2).mul_(in[1]);
        a.slice(0, 1, 3).transpose(0, 1).add_(in[2]);
        return a * a;
      },
      {grad_input({3, 4}), grad_input({3}), grad_input({4, 2})});
}


// A view taken while its base needed no grad: once the base has history, the view reads
// it (PyTorch: x.grad = [6], and [10, 20, 0] for the whole-base copy).
TEST(InPlaceOnViews, AViewTakenBeforeItsBaseGainedGrad) {
  const Tensor x = leaf({5}, {1});
  Tensor out = zeros({3}, dtype(kFloat64));
  const Tensor w = out.slice(0, 1, 2);
  out.slice(0, 1, 2).copy_(x * 2.0);
  (w * values({3}, {1})).sum().backward();
  expect_values(x.grad(), {6}, 0.0);

  const Tensor y = leaf({1, 2, 3}, {3});
  Tensor base = zeros({3}, dtype(kFloat64));
  const Tensor first_two = base.slice(0, 0, 2);
  base.copy_(y);
  (values({10, 20}, {2}) * first_two).sum().backward();  // the view second: it decides what is saved
  expect_values(y.grad(), {10, 20, 0}, 0.0);
}

// div_ by a tensor that requires grad keeps self from before the write, so later writes
// to the storage are fine (PyTorch: y.grad = [-0.5, -0.25, -0.09375], n.grad = [-2.25, -4/3]).
TEST(InPlaceOnViews, DivideInPlaceThenWriteAgain) {
  const Tensor x = leaf({1, 2, 3}, {3}), y = leaf({2, 4, 8}, {3});
  Tensor a = x * 1.0;
  a.div_(y);
  a.mul_(2.0);
  a.sum().backward();
  expect_values(y.grad(), {-0.5, -0.25, -0.09375}, 1e-15);

  const Tensor m = leaf({1, 2, 3, 4}, {2, 2}), n = leaf({2, 3}, {2});
  Tensor b = m * 1.0;
  b.select(1, 0).div_(n.select(0, 0));
  b.select(1, 1).div_(n.select(0, 1));
  b.sum().backward();
  expect_values(n.grad(), {-1.0, -2.0 / 3.0}, 1e-15);
}

TEST(InPlaceOnViews, ViewsMadeWithoutGradCannotBeWrittenWithGrad) {
  const std::string phrase = "A view was created in no_grad mode and is being modified inplace with grad mode enabled";
  const Tensor x = leaf({1, 2, 3}, {3});
  Tensor a = x * 1.0;
  Tensor v, w, u;
  {
    NoGradGuard no_grad;
    v = a.slice(0, 0, 2);
    w = x.slice(0, 0, 2);
  }
  EXPECT_EMBER_ERROR(v.mul_(2.0), phrase);
  EXPECT_EMBER_ERROR(w.mul_(2.0), phrase);
  expect_values(x, {1, 2, 3}, 0.0);
  {
    InferenceModeGuard inference;
    u = a.slice(0, 1, 3);
  }
  EXPECT_EMBER_ERROR(u.add_(1.0), "A view was created in inference mode");
  EXPECT_EMBER_ERROR(v.mul_(2.0), "both inside the no_grad block");  // PyTorch's wording
  Tensor uv;
  {
    NoGradGuard no_grad;  // a view of the inference-mode view keeps its mode (propagate_creation_meta)
    uv = u.slice(0, 0, 1);
  }
  EXPECT_EMBER_ERROR(uv.add_(1.0), "A view was created in inference mode");
  {
    NoGradGuard no_grad;  // both in no_grad: allowed, not tracked
    v.mul_(2.0);
  }
  Tensor plain = zeros({3}, dtype(kFloat64)), p;
  {
    NoGradGuard no_grad;
    p = plain.slice(0, 0, 1);
  }
  p.add_(1.0);  // nothing requires grad: nothing to record, allowed as in PyTorch
  EXPECT_EMBER_ERROR(p.copy_(x.slice(0, 0, 1)), phrase);  // it would record
}

// retain_grad follows the tensor's history across in-place ops (PyTorch 1.13: [10, 10]
// and [1, 1, 1]).
TEST(InPlaceOnViews, RetainGradFollowsInPlaceOps) {
  const Tensor x = leaf({1, 2, 3}, {3});
  Tensor a = x * 1.0;
  const Tensor v = a.slice(0, 0, 2);
  v.retain_grad();
  a.mul_(3.0);
  (v * 10.0).sum().backward();
  expect_values(v.grad(), {10, 10}, 0.0);

  Tensor b = x * 1.0;
  b.retain_grad();
  b.mul_(2.0);
  b.sum().backward();
  expect_values(b.grad(), {1, 1, 1}, 0.0);
}


// Overwritten values pass a zero gradient on, as PyTorch's: the leaf's .grad is zeros.
TEST(InPlaceOnViews, OverwritesGiveZeroGradients) {
  const Tensor x = leaf({1, 2}, {2}), y = leaf({3, 4}, {2});
  Tensor a = x * 1.0;
  a.zero_();
  a.sum().backward();
  ASSERT_TRUE(x.grad().defined());
  expect_values(x.grad(), {0, 0}, 0.0);
  Tensor b = x * 1.0;
  b.copy_(y);
  (b * 2.0).sum().backward();
  expect_values(x.grad(), {0, 0}, 0.0);
  expect_values(y.grad(), {2, 2}, 0.0);
}

// PyTorch's check_inplace: a view that requires grad whose base is a leaf, even where the
// leaf that requires grad is itself a view of a root that does not (reshape of arange).
TEST(InplaceViews, AViewOfALeafMadeFromAViewIsRefused) {
  Tensor l = arange(4.0).reshape({2, 2});
  l.requires_grad_(true);
  EXPECT_EMBER_ERROR(l.unbind(0)[0].mul_(2.0),
                     "a view of a leaf Variable that requires grad is being used in an in-place operation");
  EXPECT_EMBER_ERROR(l.narrow(1, 0, 1).add_(1.0),
                     "a view of a leaf Variable that requires grad is being used in an in-place operation");
  expect_values(l, {0, 1, 2, 3}, 0.0);  // refused before any write
  // a view taken before its base was made to require grad counts as one that does
  Tensor b = ones({4});
  Tensor v = b.narrow(0, 0, 2);
  b.requires_grad_(true);
  EXPECT_EMBER_ERROR(v.mul_(2.0), "a view of a leaf Variable that requires grad is being used in an in-place operation");
  // a view of a tensor that does not require grad still takes a recorded in-place op
  Tensor plain = zeros({4});
  const Tensor w = leaf({1.0, 2.0}, {2}).to(kFloat32).detach().requires_grad_(true);
  plain.narrow(0, 0, 2).add_(w);
  plain.sum().backward();
  expect_values(w.grad(), {1, 1}, 0.0);
}

}  // namespace
}  // namespace ember
