// PyTorch parity of the engine's edges: backward(inputs=...), detach_() keeping .grad and
// hooks, a leaf frozen between forward and backward, retain_grad under autograd::grad,
// mark_non_differentiable on an input, and the messages (a warning checked in a child
// process: it is logged once per process).
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "autograd/engine.h"
#include "autograd/hooks.h"
#include "support/helpers.h"

namespace ember {
namespace {

using autograd::AutogradContext;
using autograd::tensor_list;
using testing::expect_values;
using testing::leaf;

constexpr const char* kSecondTime = "Trying to backward through the graph a second time";

TEST(BackwardInputs, AccumulatesOnlyIntoTheGivenLeaves) {
  Tensor a = leaf({1, 2}, {2});
  Tensor b = leaf({3, 4}, {2});
  Tensor y = (a * b).sum();
  y.backward({}, /*retain_graph=*/true, /*create_graph=*/false, {a});
  expect_values(a.grad(), {3, 4});
  EXPECT_FALSE(b.grad().defined());
  y.backward({}, std::nullopt, false, {a, b});  // accumulates, as a full backward does
  expect_values(a.grad(), {6, 8});
  expect_values(b.grad(), {1, 2});
}

TEST(BackwardInputs, FillsANonLeafInputAndRunsOnlyWhatLeadsToIt) {
  Tensor a = leaf({1, 2}, {2});
  Tensor b = leaf({5, 7}, {2});
  Tensor h = a * b;
  Tensor y = (h * h).sum();
  autograd::backward({y}, {}, std::nullopt, false, {h});
  expect_values(h.grad(), {10, 28});  // 2h
  EXPECT_TRUE(h.retains_grad());       // as PyTorch's run_backward makes it
  EXPECT_FALSE(a.grad().defined());
  EXPECT_FALSE(b.grad().defined());
  // h's own node ran (as PyTorch's): what it saved is freed.
  EXPECT_EMBER_ERROR(autograd::backward({h.sum()}, {}, std::nullopt, false, {a}), kSecondTime);
}

TEST(BackwardInputs, ARetainedNonLeafInputIsFilledOnceWithItsHookedGradient) {
  Tensor a = leaf({1, 2}, {2});
  Tensor h = a * 3.0;
  h.retain_grad();
  h.register_hook([](const Tensor& g) { return g * 10.0; });
  Tensor y = (h * h).sum();
  y.backward({}, std::nullopt, false, {h, a, h});  // h's node runs (a lies behind it); h twice
  expect_values(h.grad(), {60, 120});  // 10 * 2h, once
  expect_values(a.grad(), {180, 360});
}

TEST(BackwardInputs, LeafHooksRunAndUnusedInputsAreLeftAlone) {
  Tensor a = leaf({1, 2}, {2});
  Tensor unused = leaf({5}, {1});
  int post = 0;
  a.register_hook([](const Tensor& g) { return g * 10.0; });
  autograd::register_post_accumulate_grad_hook(a, [&](const Tensor&) { ++post; });
  (a * 2.0).sum().backward({}, std::nullopt, false, {a, unused});
  expect_values(a.grad(), {20, 20});
  EXPECT_EQ(post, 1);
  EXPECT_FALSE(unused.grad().defined());
}

TEST(BackwardInputs, CreateGraphKeepsTheHistoryOfBothKinds) {
  Tensor a = leaf({2}, {1});
  Tensor h = a * a;
  Tensor y = (h * h).sum();  // a^4
  y.backward({}, std::nullopt, /*create_graph=*/true, {a, h});
  expect_values(a.grad(), {32});  // 4a^3
  expect_values(h.grad(), {8});   // 2h
  ASSERT_TRUE(a.grad().requires_grad());
  ASSERT_TRUE(h.grad().requires_grad());
  Tensor d2 = autograd::grad({a.grad().sum()}, {a})[0];
  expect_values(d2, {48});  // 12a^2
  // .grad with history holds the graph that holds the tensors: PyTorch's reference cycle,
  // broken as its create_graph warning says
  a.mutable_grad() = Tensor();
  h.mutable_grad() = Tensor();
}

TEST(BackwardInputs, AnInputThatDoesNotRequireGradIsPyTorchsError) {
  Tensor a = leaf({1}, {1});
  Tensor c = tensor(std::vector<double>{1}, {1});
  EXPECT_EMBER_ERROR((a * c).sum().backward({}, std::nullopt, false, {c}),
                     "One of the differentiated Tensors does not require grad");
}

TEST(DetachInPlace, KeepsGradAndARetainedGradientStillArrives) {
  Tensor x = leaf({1, 2}, {2});
  Tensor h = x * 2.0;
  h.retain_grad();
  Tensor y = (h * 3.0).sum();
  h.detach_();
  EXPECT_FALSE(h.requires_grad());
  EXPECT_TRUE(h.is_leaf());
  y.backward();  // crashed: detach_ dropped the tensor's autograd state
  expect_values(h.grad(), {3, 3});
  expect_values(x.grad(), {6, 6});

  Tensor w = leaf({1}, {1});
  (w * 4.0).sum().backward();
  w.detach_();
  ASSERT_TRUE(w.grad().defined());
  expect_values(w.grad(), {4});
}

TEST(FrozenLeaf, GetsNoGradientOnceItStopsRequiringGrad) {
  Tensor w = leaf({1, 2}, {2});
  Tensor x = leaf({3, 4}, {2});
  int post = 0;
  autograd::register_post_accumulate_grad_hook(w, [&](const Tensor&) { ++post; });
  Tensor y = (w * x).sum();
  w.requires_grad_(false);
  y.backward();
  EXPECT_FALSE(w.grad().defined());
  EXPECT_EQ(post, 0);
  expect_values(x.grad(), {1, 2});
}

TEST(FrozenLeaf, MovedIntoTheGraphInteriorIsPyTorchsError) {
  Tensor w = leaf({1, 2}, {2});
  Tensor y = (w * 2.0).sum();
  w.requires_grad_(false);
  Tensor other = leaf({1, 1}, {2});
  w.mul_(other);  // w is now an op's result
  EXPECT_FALSE(w.is_leaf());
  EXPECT_EMBER_ERROR(y.backward(), "leaf variable has been moved into the graph interior");
}

TEST(RetainGrad, IsFilledUnderAutogradGrad) {
  Tensor x = leaf({1, 2}, {2});
  Tensor h = x * 2.0;
  h.retain_grad();
  Tensor gx = autograd::grad({(h * h).sum()}, {x}, {}, /*retain_graph=*/true)[0];
  expect_values(gx, {8, 16});     // 8x
  expect_values(h.grad(), {4, 8});  // 2h
  EXPECT_FALSE(x.grad().defined());
  // h requested itself (its node captured, not run): its .grad too, as PyTorch 2.x
  Tensor k = x * 3.0;
  k.retain_grad();
  expect_values(autograd::grad({(k * k).sum()}, {k})[0], {6, 12});
  expect_values(k.grad(), {6, 12});
}

// Returns its input as it is, marked non-differentiable, and a differentiable double.
struct PassThroughMarked : autograd::Function<PassThroughMarked> {
  static tensor_list forward(AutogradContext* ctx, const Tensor& x) {
    ctx->mark_non_differentiable({x});
    return {x, x * 2.0};
  }
  static tensor_list backward(AutogradContext*, tensor_list g) { return {g[1] * 2.0}; }
};

TEST(CustomFunctionParity, AnInputMarkedNonDifferentiableComesBackDetached) {
  Tensor x = leaf({1, 2}, {2});
  tensor_list out = PassThroughMarked::apply(x);
  EXPECT_FALSE(out[0].requires_grad());
  EXPECT_TRUE(out[0].is_alias_of(x));
  EXPECT_TRUE(x.requires_grad());
  out[1].sum().backward();
  expect_values(x.grad(), {2, 2});
}

TEST(AutogradMessages, KeepPyTorchsSentencesWhole) {
  Tensor x = leaf({1}, {1});
  Tensor z = leaf({1}, {1});
  Tensor c = tensor(std::vector<double>{1}, {1});
  EXPECT_EMBER_ERROR(autograd::grad({(x * 2.0).sum()}, {z}),
                     "One of the differentiated Tensors appears to not have been used in the graph. Set "
                     "allow_unused=true if this is the desired behavior.");
  EXPECT_EMBER_ERROR(autograd::grad({(x * 2.0).sum()}, {c}), "One of the differentiated Tensors does not require grad");
  EXPECT_EMBER_ERROR(tensor(std::vector<int64_t>{1}, {1}).requires_grad_(true),
                     "only Tensors of floating point and complex dtype can require gradients");
}

TEST(AutogradMessages, GradOfANonLeafWarnsAsPyTorch) {
  testing::expect_logged_in_fresh_process(
      [] {
        Tensor h = leaf({1}, {1}) * 2.0;
        EXPECT_FALSE(h.grad().defined());
      },
      "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed");
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

// PyTorch's flatten returns the tensor itself when start_dim == end_dim (a 1-D tensor, or
// flatten(1) of [N, C]): no node, so a parameter flattened for a regulariser stays a leaf.
TEST(FlattenParity, OfOneDimIsTheTensorItselfAndRecordsNothing) {
  Tensor x = tensor(std::vector<float>{1, 2}).requires_grad_();
  Tensor y = x.flatten();
  EXPECT_TRUE(y.is_same(x));
  EXPECT_TRUE(x.is_leaf());
  (y * 3.0).sum().backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{3, 3}));
  Tensor m = ones({2, 3}).requires_grad_();
  EXPECT_TRUE(m.flatten(1).is_same(m));
  EXPECT_TRUE(m.is_leaf());
  Tensor h = m * 2.0;
  const auto node = h.grad_fn();
  EXPECT_TRUE(h.flatten(1).is_same(h));
  EXPECT_EQ(h.grad_fn(), node);  // a non-leaf keeps its own history
  h.sum().backward();
  EXPECT_EQ(m.grad().to_vector<float>(), std::vector<float>(6, 2.0f));
}

}  // namespace
}  // namespace ember
