// The engine and graph recording: requires_grad propagation, leaves, detach,
// accumulation over several uses, retain_graph, second-backward and no-graph errors,
// autograd::grad, and anomaly mode.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "autograd/engine.h"
#include "support/helpers.h"

namespace ember {
namespace {

using testing::expect_values;

using testing::leaf;

TEST(AutogradEngine, MulBackwardGivesOtherFactor) {
  Tensor x = leaf({1, 2, 3}, {3});
  Tensor w = leaf({4, 5, 6}, {3});
  Tensor y = (x * w).sum();
  ASSERT_NE(y.grad_fn(), nullptr);
  EXPECT_EQ(y.grad_fn()->name(), "SumBackward");
  y.backward();
  expect_values(x.grad(), {4, 5, 6});
  expect_values(w.grad(), {1, 2, 3});
}

TEST(AutogradEngine, RequiresGradPropagatesAndLeavesAreLeaves) {
  Tensor x = leaf({1, 2}, {2});
  Tensor c = tensor(std::vector<double>{3, 4}, {2});
  EXPECT_TRUE(x.is_leaf());
  EXPECT_TRUE(c.is_leaf());
  Tensor y = x * c;
  EXPECT_TRUE(y.requires_grad());
  EXPECT_FALSE(y.is_leaf());
  EXPECT_EQ(y.grad_fn()->name(), "MulBackward");
  Tensor z = c * 2.0;
  EXPECT_FALSE(z.requires_grad());
  EXPECT_EQ(z.grad_fn(), nullptr);
}

TEST(AutogradEngine, GradientsAccumulateOverUsesAndCalls) {
  Tensor x = leaf({2}, {1});
  Tensor y = x * x + x;  // dy/dx = 2x + 1 = 5
  y.sum().backward();
  expect_values(x.grad(), {5});
  (x * 3.0).sum().backward();  // accumulates: 5 + 3
  expect_values(x.grad(), {8});
}

TEST(AutogradEngine, BroadcastGradientsAreReducedToInputShape) {
  Tensor a = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = leaf({10, 20, 30}, {3});
  (a + b).sum().backward();
  expect_values(a.grad(), {1, 1, 1, 1, 1, 1});
  expect_values(b.grad(), {2, 2, 2});
  EXPECT_EQ(b.grad().sizes(), (Dims{3}));
}

TEST(AutogradEngine, SecondBackwardFailsUnlessRetained) {
  Tensor x = leaf({1, 2}, {2});
  Tensor y = (x * x).sum();
  y.backward({}, /*retain_graph=*/true);
  y.backward();
  expect_values(x.grad(), {4, 8});
  EXPECT_EMBER_ERROR(y.backward(), "Trying to backward through the graph a second time");
}

TEST(AutogradEngine, ImplicitGradOnlyForScalars) {
  Tensor x = leaf({1, 2}, {2});
  EXPECT_EMBER_ERROR((x * 2.0).backward(), "grad can be implicitly created only for scalar outputs");
  (x * 2.0).backward(ones({2}, kFloat64));
  expect_values(x.grad(), {2, 2});
}

TEST(AutogradEngine, BackwardWithoutGraphFails) {
  Tensor x = tensor(std::vector<double>{1}, {1});
  EXPECT_EMBER_ERROR(x.backward(), "element 0 of tensors does not require grad and does not have a grad_fn");
}

TEST(AutogradEngine, DetachSharesStorageAndVersionButNoHistory) {
  Tensor x = leaf({1, 2}, {2});
  Tensor y = x * 2.0;
  Tensor d = y.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_EQ(d.grad_fn(), nullptr);
  EXPECT_TRUE(d.is_alias_of(y));
  const auto before = y.version();
  d.add_(1.0);
  EXPECT_EQ(y.version(), before + 1);
  expect_values(y, {3, 5});
}

TEST(AutogradEngine, GradLeavesDotGradAlone) {
  Tensor x = leaf({3}, {1});
  Tensor y = (x * x * x).sum();  // 3x^2 = 27
  auto g = autograd::grad({y}, {x});
  ASSERT_EQ(g.size(), 1u);
  expect_values(g[0], {27});
  EXPECT_FALSE(x.grad().defined());
}

TEST(AutogradEngine, GradOfIntermediate) {
  Tensor x = leaf({2}, {1});
  Tensor h = x * 3.0;
  Tensor y = (h * h).sum();  // dy/dh = 2h = 12
  auto g = autograd::grad({y}, {h});
  expect_values(g[0], {12});
}

TEST(AutogradEngine, GradUnusedInputIsAnError) {
  Tensor x = leaf({1}, {1});
  Tensor z = leaf({1}, {1});
  Tensor y = (x * 2.0).sum();
  EXPECT_EMBER_ERROR(autograd::grad({y}, {z}), "appears to not have been used in the graph");
}

TEST(AutogradEngine, AnomalyModeNamesTheForwardOp) {
  Tensor x = leaf({0.0, 1.0}, {2});
  autograd::DetectAnomalyGuard anomaly;
  Tensor y = (x.sqrt() * 0.0).sum();  // 0 * d sqrt(x)/dx at 0 = 0 * inf = NaN
  ::testing::internal::CaptureStderr();
  EXPECT_EMBER_ERROR(y.backward(), "Function 'SqrtBackward' returned nan values in its 0th output.");
  // the NaN check's failure is reported as any other error in a node (PyTorch's "Error detected in")
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("Error detected in SqrtBackward. The forward op ran at: "),
            std::string::npos);
  EXPECT_EMBER_ERROR((x.sqrt() * 0.0).sum().backward(), "The forward op ran at: outside any module's forward");
  // inside a module, the module's path (PyTorch's stored forward trace, as ember can give it)
  auto net =
      std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{std::make_shared<nn::Linear>(2, 2)});
  {
    NoGradGuard no_grad;
    net->get_parameter("0.weight").fill_(std::nan(""));
  }
  EXPECT_EMBER_ERROR((*net)(ones({1, 2}).requires_grad_()).sum().backward(), "The forward op ran at: module '0'");
  // An infinite gradient is a value, not an anomaly (PyTorch checks NaN only).
  Tensor z = leaf({0.0, 1.0}, {2});
  z.sqrt().sum().backward();
  EXPECT_TRUE(std::isinf(z.grad().to_vector<double>()[0]));
  EXPECT_EQ(z.grad().to_vector<double>()[1], 0.5);
}

// Two roots of one node (one tensor twice, or two outputs of one node) run it once with the
// sum of their gradients; its edges were counted twice and the graph behind it never ran.
TEST(AutogradEngine, RootsSharingANodeRunItOnce) {
  Tensor x = leaf({1.0, 2.0, 4.0}, {3});
  Tensor y = x * 2.0;
  autograd::backward({y, y}, {ones({3}, kFloat64), ones({3}, kFloat64)});
  expect_values(x.grad(), {4.0, 4.0, 4.0}, 0.0);
  Tensor w = leaf({1.0, 2.0, 6.0}, {3});
  auto [v, m] = var_mean(w);
  autograd::backward({v, m}, {full({}, 1.0, kFloat64), full({}, 3.0, kFloat64)});
  // d var / dw = 2 (w - 3) / 2, d mean / dw = 1/3: times 1 and 3
  expect_values(w.grad(), {-2.0 + 1.0, -1.0 + 1.0, 3.0 + 1.0}, 1e-12);
  Tensor u = leaf({3.0}, {1});
  Tensor z = u * u;
  const autograd::tensor_list g = autograd::grad({z, z}, {u}, {ones({1}, kFloat64), ones({1}, kFloat64)}, true);
  expect_values(g[0], {12.0}, 0.0);
  EXPECT_EMBER_ERROR(autograd::grad({z}, {}), "grad requires non-empty inputs.");
  // materialize_grads (PyTorch 2.1): an unused input gets zeros, and implies allow_unused.
  Tensor unused = leaf({1.0, 2.0}, {2});
  const autograd::tensor_list both =
      autograd::grad({z.sum()}, {u, unused}, {}, true, false, /*allow_unused=*/false, /*materialize_grads=*/true);
  expect_values(both[0], {6.0}, 0.0);
  ASSERT_TRUE(both[1].defined());
  expect_values(both[1], {0.0, 0.0}, 0.0);
  EXPECT_TRUE(both[1].requires_grad());  // PyTorch's zeros_like(input, requires_grad=True)
  z.sum().backward();  // the graph was not run and freed by the refused call
  expect_values(u.grad(), {6.0}, 0.0);
}

// Note [Gradient layout] (autograd/record.cpp): the docs' example of PyTorch's contract, a
// leaf stored transposed under create_graph, and a slice (not dense: row-major).
TEST(AutogradEngine, LeafGradientsHaveTheLeafsLayout) {
  Tensor p = zeros({2, 3, 4}, kFloat64).permute({2, 0, 1}).detach().requires_grad_(true);
  ASSERT_EQ(p.strides(), (Dims{1, 12, 4}));
  (p * 2.0).sum().backward();
  EXPECT_EQ(p.grad().strides(), p.strides());
  EXPECT_TRUE(equal(p.grad(), full({4, 2, 3}, 2.0, kFloat64)));
  (p + 1.0).sum().backward();  // added into the held gradient: its layout stays
  EXPECT_EQ(p.grad().strides(), p.strides());
  EXPECT_TRUE(equal(p.grad(), full({4, 2, 3}, 3.0, kFloat64)));
  p.mutable_grad().detach_();  // a tensor of its own, not a view (PyTorch's empty_strided + copy_)
  {
    const EnableGradGuard grad_mode;
    p.mutable_grad().add_(p.detach() * 0.0);  // PyTorch's `p.grad += wd * p`
  }

  // A Linear(in, 1) weight's gradient: size-1 dims' strides do not matter, so it is kept as
  // it comes (no copy), and the row-major layout holds.
  Tensor head = zeros({1, 4}, kFloat64).requires_grad_(true);
  const Tensor x = leaf({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4}).detach();
  const void* incoming = nullptr;
  head.register_hook([&](const Tensor& g) {
    incoming = g.data_ptr();
    return g;
  });
  nn::functional::linear(x, head).sum().backward();
  EXPECT_EQ(head.grad().data_ptr(), incoming);
  expect_values(head.grad(), {6, 8, 10, 12}, 0.0);

  Tensor w = leaf({1, 2, 3, 4, 5, 6}, {2, 3}).t().detach().requires_grad_(true);  // [3, 2], strides [1, 3]
  (w * w).sum().backward(Tensor(), std::nullopt, /*create_graph=*/true);
  EXPECT_EQ(w.grad().strides(), (Dims{1, 3}));
  EXPECT_TRUE(w.grad().requires_grad());
  expect_values(w.grad().contiguous(), {2, 8, 4, 10, 6, 12}, 0.0);
  const Tensor second = autograd::grad({w.grad().sum()}, {w})[0];  // d(sum 2w)/dw through the copy
  expect_values(second.contiguous(), {2, 2, 2, 2, 2, 2}, 0.0);
  (w * w).sum().backward(Tensor(), std::nullopt, /*create_graph=*/true);  // added out of place, laid out again
  EXPECT_EQ(w.grad().strides(), (Dims{1, 3}));
  expect_values(w.grad().contiguous(), {4, 16, 8, 20, 12, 24}, 0.0);
  w.mutable_grad() = Tensor();  // the gradient's history holds w: break the cycle

  Tensor s = zeros({4, 6}, kFloat64).narrow(1, 0, 3).detach().requires_grad_(true);
  (s * 3.0).sum().backward();
  EXPECT_EQ(s.grad().strides(), (Dims{3, 1}));
  EXPECT_TRUE(equal(s.grad(), full({4, 3}, 3.0, kFloat64)));
}

TEST(AutogradEngine, RequiresGradOnlyForFloatingLeaves) {
  Tensor i = zeros({2}, kInt64);
  EXPECT_EMBER_ERROR(i.requires_grad_(), "floating point");
  Tensor x = leaf({1}, {1});
  Tensor y = x * 2.0;
  EXPECT_EMBER_ERROR(y.requires_grad_(false), "leaf variables");
}

TEST(AutogradEngine, DiamondGraphSumsBothPaths) {
  Tensor x = leaf({1, 2}, {2});
  Tensor a = x.exp();
  Tensor b = x * 2.0;
  Tensor y = (a * b).sum();  // d/dx (2x e^x) = 2 e^x (1 + x)
  y.backward();
  expect_values(x.grad(), {2 * std::exp(1.0) * 2, 2 * std::exp(2.0) * 3}, 1e-9);
}

TEST(AutogradEngine, InplaceOnLeafRequiringGradFails) {
  Tensor x = leaf({1}, {1});
  EXPECT_EMBER_ERROR(x.mul_(2.0), "a leaf Variable that requires grad is being used in an in-place operation");
  NoGradGuard g;
  x.mul_(2.0);  // allowed under no_grad (optimizer steps)
  expect_values(x, {2});
}

TEST(AutogradEngine, InplaceOnNonLeafRecords) {
  Tensor x = leaf({1, 2}, {2});
  Tensor y = x * 3.0;
  y.mul_(2.0);
  y.add_(1.0);
  EXPECT_EQ(y.grad_fn()->name(), "AddBackward");
  y.sum().backward();
  expect_values(x.grad(), {6, 6});
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

TEST(AutogradEngine, RetainGradKeepsNonLeafGradient) {
  Tensor x = tensor(std::vector<double>{1, 2}, {2}, TensorOptions(kFloat64).requires_grad(true));
  Tensor h = x * 3.0;
  h.retain_grad();
  EXPECT_TRUE(h.retains_grad());
  (h * h).sum().backward();
  testing::expect_values(h.grad(), {6, 12});
  testing::expect_values(x.grad(), {18, 36});
  Tensor k = x * 2.0;
  (k * 1.0).sum().backward();
  EXPECT_FALSE(k.grad().defined());  // not retained
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

TEST(AutogradEngine, TwoLeavesNeverShareOneGradTensor) {
  // add's backward hands one gradient to both inputs: each leaf gets its own .grad, so a
  // second backward accumulates 2c into each (not c + 2c into a shared one).
  manual_seed(1);
  Tensor a = randn({4}).requires_grad_(true), b = randn({4}).requires_grad_(true);
  const Tensor c = randn({4});
  ((a + b) * c).sum().backward();
  EXPECT_NE(a.grad().impl_ptr(), b.grad().impl_ptr());
  EXPECT_NE(a.grad().storage().get(), b.grad().storage().get());
  ((a + b) * c).sum().backward();
  EXPECT_TRUE(allclose(a.grad(), c * 2.0));
  EXPECT_TRUE(allclose(b.grad(), c * 2.0));
}

TEST(AutogradPrint, ShowsGradFnOrRequiresGrad) {
  Tensor x = tensor(std::vector<float>{1, 2}, {2}, TensorOptions().requires_grad(true));
  EXPECT_EQ(to_string(x), "tensor([1., 2.], requires_grad=True)");
  EXPECT_EQ(to_string(x * x), "tensor([1., 4.], grad_fn=<MulBackward>)");
  EXPECT_EQ(to_string(no_grad([&] { return x * x; })), "tensor([1., 4.])");
}

// y.mul_(y): the saved operand is the tensor written, so its gradient would come from the
// squared values. PyTorch's version check catches it; ember's too.
TEST(Engine, InPlaceOpOnItsOwnOperandIsCaughtAtBackward) {
  const Tensor x = leaf({3, 2}, {2});
  Tensor y = x * 1.0;
  y.mul_(y);
  EXPECT_EMBER_ERROR(y.sum().backward(), "modified by an inplace operation");
  Tensor z = x * 1.0;
  z.div_(z);
  EXPECT_EMBER_ERROR(z.sum().backward(), "modified by an inplace operation");
  Tensor w = x * 1.0;  // another operand: unchanged behaviour
  w.mul_(x);
  w.sum().backward();
  expect_values(x.grad(), {6, 4});
}

// Chains of 200,000 nodes: freeing them (and backward through them) must not recurse once per
// node (Note [Destroying a graph without recursion]); a shared node stays for its other owner.
TEST(Engine, LongChainsAreFreedWithoutRecursion) {
  const Tensor x = ones({2}, TensorOptions().requires_grad(true));
  Tensor kept;
  {
    Tensor y = x * 1.0;
    for (int i = 0; i < 200000; ++i) {
      y = y + 1.0;
      if (i == 1000) kept = y;
    }
  }  // the whole chain after `kept` goes here
  EXPECT_TRUE(kept.grad_fn() != nullptr);
  kept.sum().backward();
  expect_values(x.grad(), {1, 1});
  Tensor z = x * 1.0;
  for (int i = 0; i < 200000; ++i) z = z * 1.0;
  z.sum().backward();
  expect_values(x.grad(), {2, 2});
  {  // two edges to the same node (y + y), and tensor hooks holding the step before
    Tensor y = x * 1.0;
    for (int i = 0; i < 200000; ++i) y = y + y;
    Tensor w = x * 1.0;
    for (int i = 0; i < 200000; ++i) {
      const Tensor before = w;
      w = w + 1.0;
      w.register_hook([before](const Tensor& g) { return g; });
    }
  }
}

}  // namespace
}  // namespace ember
