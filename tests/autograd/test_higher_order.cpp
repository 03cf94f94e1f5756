// Higher-order gradients (create_graph, Note [Higher-order gradients] in
// autograd/engine.h): gradgradcheck of every op whose backward is recorded, PyTorch
// 1.13's numbers for a gradient penalty and for backward(create_graph) on .grad, and
// PyTorch's error where ember cannot differentiate a backward.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "autograd/gradcheck.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using Inputs = std::vector<Tensor>;
using testing::error_of;

Tensor input(const Dims& shape, double lo = -1.0, double hi = 1.0) { return testing::grad_input(shape, lo, hi); }

void expect_gradgradcheck(const autograd::GradcheckFn& fn, const Inputs& in) {
  const auto r = autograd::gradgradcheck_report(fn, in);
  EXPECT_TRUE(r.ok) << r.message;
}

Tensor f64(const std::vector<double>& values, const Dims& shape, bool requires_grad = true) {
  return tensor(values, shape, TensorOptions(kFloat64).requires_grad(requires_grad));
}

void expect_values(const Tensor& t, const std::vector<double>& expected, double tol = 1e-12) {
  ASSERT_TRUE(t.defined());
  const auto got = t.to_vector<double>();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], tol) << "element " << i;
}

class HigherOrder : public ::testing::Test {
 protected:
  void SetUp() override { manual_seed(4321); }
};

TEST_F(HigherOrder, SecondDerivativeOfACube) {
  Tensor x = f64({1, 2, 3}, {3});
  Tensor g = autograd::grad({x.pow(3.0).sum()}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
  expect_values(g, {3, 12, 27});
  ASSERT_TRUE(g.requires_grad());
  Tensor gg = autograd::grad({g.sum()}, {x})[0];
  expect_values(gg, {6, 12, 18});
  EXPECT_FALSE(gg.requires_grad());  // no create_graph the second time: a plain gradient
}

TEST_F(HigherOrder, WithoutCreateGraphTheGradientHasNoHistory) {
  Tensor x = f64({1, 2, 3}, {3});
  Tensor g = autograd::grad({(x * x).sum()}, {x})[0];
  EXPECT_FALSE(g.requires_grad());
  EXPECT_EQ(g.grad_fn(), nullptr);
  (x * x).sum().backward();
  EXPECT_FALSE(x.grad().requires_grad());
}

TEST_F(HigherOrder, BackwardWithCreateGraphAccumulatesLikePyTorch) {
  // PyTorch 1.13: y.backward(create_graph=True) gives x.grad 3x^2 with a grad_fn, then
  // x.grad.sum().backward() adds 6x into it: [9, 24, 45].
  Tensor x = f64({1, 2, 3}, {3});
  x.pow(3.0).sum().backward({}, std::nullopt, /*create_graph=*/true);
  expect_values(x.grad(), {3, 12, 27});
  ASSERT_TRUE(x.grad().requires_grad());
  x.grad().sum().backward();
  expect_values(x.grad(), {9, 24, 45});
  // A second create_graph backward adds out of place, keeping both histories.
  Tensor z = f64({1, 2}, {2});
  (z * z).sum().backward({}, std::nullopt, true);
  (z * z * z).sum().backward({}, std::nullopt, true);
  expect_values(z.grad(), {2 + 3, 4 + 12});
  expect_values(autograd::grad({z.grad().sum()}, {z})[0], {2 + 6, 2 + 12});
  // .grad's history reaches the leaf again (PyTorch's reference cycle, which ember warns
  // about too): resetting .grad, as the warning says, frees it.
  x.mutable_grad() = Tensor();
  z.mutable_grad() = Tensor();
}

TEST_F(HigherOrder, AGradientThatDependsOnNoInputStaysConnectedAsInPyTorch) {
  // PyTorch 1.13: the gradient of leaky_relu (or relu, abs) made with create_graph
  // requires grad, and its derivative is zeros (not an error, not None).
  Tensor x = f64({-1.0, 2.0}, {2});
  for (const auto& f : std::vector<std::function<Tensor(const Tensor&)>>{
           [](const Tensor& t) { return F::leaky_relu(t, 0.2); }, [](const Tensor& t) { return t.relu(); },
           [](const Tensor& t) { return t.abs(); }}) {
    Tensor g = autograd::grad({f(x).sum()}, {x}, {}, std::nullopt, true)[0];
    ASSERT_TRUE(g.requires_grad());
    expect_values(autograd::grad({g.sum()}, {x})[0], {0.0, 0.0});
  }
  // Also when the incoming gradient has a history of its own (here through w).
  Tensor w = f64({3.0, 4.0}, {2});
  Tensor gx = autograd::grad({(x.relu() * w).sum()}, {x}, {}, std::nullopt, true)[0];
  const auto both = autograd::grad({gx.sum()}, {x, w}, {}, std::nullopt, false, /*allow_unused=*/true);
  expect_values(both[0], {0.0, 0.0});
  expect_values(both[1], {0.0, 1.0});
  // A convolution's bias gradient likewise (PyTorch: requires_grad=True), through x and w
  // only: PyTorch's convolution_backward reads them, not the bias.
  Tensor in = input({1, 2, 4, 4}), cw = input({3, 2, 3, 3}), b = input({3});
  auto grads = autograd::grad({F::conv2d(in, cw, b).sum()}, {in, cw, b}, {}, std::nullopt, true);
  EXPECT_TRUE(grads[2].requires_grad());
  expect_values(autograd::grad({grads[2].sum()}, {in})[0], std::vector<double>(32, 0.0));
  const auto second = autograd::grad({grads[0].sum() + grads[1].sum()}, {in, cw, b}, {}, std::nullopt, false, true);
  EXPECT_FALSE(second[2].defined());  // PyTorch: None
  EXPECT_EMBER_ERROR(autograd::grad({grads[0].sum()}, {b}), "appears to not have been used in the graph");
  // A gradient that is a constant has no history, as in PyTorch: x * c, clamp, a view.
  const Tensor c = f64({2.0, 5.0}, {2}, false);
  for (const auto& f : std::vector<std::function<Tensor(const Tensor&)>>{
           [&](const Tensor& t) { return t * c; }, [](const Tensor& t) { return t.clamp(-0.5, 0.5); },
           [](const Tensor& t) { return t.view({2, 1}); }}) {
    Tensor g = autograd::grad({f(x).sum()}, {x}, {}, std::nullopt, true)[0];
    EXPECT_FALSE(g.requires_grad());
  }
}

TEST_F(HigherOrder, ZeroGradDropsTheHistoryOfACreateGraphGradient) {
  // PyTorch's zero_grad(set_to_none=False) detaches .grad, so a loop of
  // backward(create_graph=True) does not add onto the previous iteration's freed graph.
  auto net = std::make_shared<nn::Linear>(3, 2);
  net->to(kFloat64);
  optim::SGD sgd(net->parameters(), {.lr = 0.1});
  const Tensor x = rand({4, 3}, kFloat64);
  for (int step = 0; step < 3; ++step) {
    net->zero_grad(/*set_to_none=*/false);
    EXPECT_TRUE(!net->weight.grad().defined() || !net->weight.grad().requires_grad());
    (*net)(x).tanh().pow(2.0).sum().backward({}, std::nullopt, /*create_graph=*/true);
    sgd.step();
  }
  sgd.zero_grad(false);
  EXPECT_FALSE(net->weight.grad().requires_grad());
  // Out of place under create_graph, as PyTorch: a .grad held from before is unchanged.
  Tensor y = f64({1, 2, 3}, {3});
  (y * y).sum().backward();
  const Tensor held = y.grad();
  (y * y).sum().backward({}, std::nullopt, true);
  expect_values(held, {2, 4, 6});
  expect_values(y.grad(), {4, 8, 12});
  y.mutable_grad() = Tensor();
  net->zero_grad();
}

TEST_F(HigherOrder, RetainGraphDefaultsToCreateGraph) {
  Tensor x = f64({0.5, -1.5}, {2});
  Tensor y = (x.tanh() * x).sum();
  autograd::grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true);
  EXPECT_NO_THROW(autograd::grad({y}, {x}));  // kept by the first call
  EXPECT_EMBER_ERROR(autograd::grad({y}, {x}), "Trying to backward through the graph a second time");
}

TEST_F(HigherOrder, GradForAnIntermediateRunsAndFreesNothingBehindIt) {
  // As in PyTorch: grad(y, h) takes h's gradient as it arrives; h's own node (and what
  // is behind it) neither runs nor loses its saved tensors, so a later backward works.
  Tensor x = f64({0.5, 1.5}, {2});
  Tensor h = x.exp();
  Tensor y = (h * h).sum();
  expect_values(autograd::grad({y}, {h})[0], {2 * std::exp(0.5), 2 * std::exp(1.5)});
  h.sum().backward();  // ExpBackward still has its saved output
  expect_values(x.grad(), {std::exp(0.5), std::exp(1.5)});
}

TEST_F(HigherOrder, GradgradcheckElementwise) {
  Inputs in{input({2, 3}), input({3}, 0.5, 2.0)};
  expect_gradgradcheck([](const Inputs& x) { return x[0] * x[1] + x[0] * x[0]; }, in);
  expect_gradgradcheck([](const Inputs& x) { return x[0] / x[1]; }, in);
  expect_gradgradcheck([](const Inputs& x) { return sub(x[0], x[1], 0.5) * x[1]; }, in);
  expect_gradgradcheck([](const Inputs& x) { return (x[0] - 2.0) * (3.0 - x[0]) / 4.0 + 2.0 / x[1]; }, in);
  expect_gradgradcheck([](const Inputs& x) { return maximum(x[0], x[1]) * minimum(x[0], x[1]); }, in);
  Inputs pos{input({2, 3}, 0.5, 2.0), input({2, 1}, 0.5, 2.0)};
  expect_gradgradcheck([](const Inputs& x) { return pow(x[0], x[1]); }, pos);
  expect_gradgradcheck([](const Inputs& x) { return x[0].pow(3.0) + x[0].pow(0.5) + x[0].pow(0.0); }, pos);
  expect_gradgradcheck([](const Inputs& x) { return x[0].exp() + x[0].log() + x[0].sqrt(); }, pos);
  expect_gradgradcheck([](const Inputs& x) { return x[0].sigmoid() * x[0].tanh() - x[0].neg(); }, in);
  expect_gradgradcheck([](const Inputs& x) { return x[0].abs() * x[0] + x[0].clamp(-0.5, 0.5) * x[0]; }, in);
  expect_gradgradcheck([](const Inputs& x) { return x[0].relu() * x[0]; }, in);
  expect_gradgradcheck([](const Inputs& x) { return F::leaky_relu(x[0], 0.1) * x[0]; }, in);
  expect_gradgradcheck([](const Inputs& x) { return where(x[0].gt(0.0), x[0] * x[0], x[1].exp()); }, in);
  expect_gradgradcheck([](const Inputs& x) { return where(x[0].gt(0.0), 2.0, x[0] * x[0]); }, in);
}

TEST_F(HigherOrder, GradgradcheckReductionsAndProducts) {
  Inputs in{input({3, 4}), input({4, 2})};
  expect_gradgradcheck([](const Inputs& x) { return matmul(x[0], x[1]).tanh(); }, in);
  expect_gradgradcheck([](const Inputs& x) { return mm(x[0].exp(), x[1]) * mm(x[0], x[1]); }, in);
  expect_gradgradcheck([](const Inputs& x) { return x[0].sum({1}).pow(2.0) + x[0].mean() * x[0].mean({0}, true).sum(); }, in);
  expect_gradgradcheck([](const Inputs& x) { return amax(x[0] * x[0], {1}, false) + x[0].max() * x[0].min(); }, in);
  expect_gradgradcheck([](const Inputs& x) { return std::get<0>((x[0] * x[0]).max(1, false)); }, in);
  Inputs batched{input({2, 3, 4}), input({2, 4, 2})};
  expect_gradgradcheck([](const Inputs& x) { return bmm(x[0], x[1]).sigmoid(); }, batched);
  Inputs vectors{input({4}), input({4, 3})};
  expect_gradgradcheck([](const Inputs& x) { return matmul(x[0], x[1]).exp(); }, vectors);
  expect_gradgradcheck([](const Inputs& x) { return matmul(x[1].transpose(0, 1), x[0]).exp(); }, vectors);
}

TEST_F(HigherOrder, GradgradcheckViewsAndJoins) {
  Inputs in{input({2, 3, 4}), input({2, 3, 4})};
  expect_gradgradcheck([](const Inputs& x) { return (x[0].view({6, 4}) * x[1].reshape({6, 4})).exp(); }, in);
  expect_gradgradcheck([](const Inputs& x) { return x[0].transpose(0, 2).tanh() * x[1].permute({2, 1, 0}); }, in);
  expect_gradgradcheck([](const Inputs& x) { return x[0].slice(2, 1, 4, 2).pow(2.0) * x[1].select(1, 2).sum(); }, in);
  expect_gradgradcheck([](const Inputs& x) { return x[0].narrow(1, 1, 2).exp() + x[0].flatten(1).sum(); }, in);
  expect_gradgradcheck([](const Inputs& x) { return x[0].sum({2}, true).expand({2, 3, 4}) * x[1]; }, in);
  expect_gradgradcheck([](const Inputs& x) { return x[0].unsqueeze(1).squeeze(1).clone().contiguous() * x[1]; }, in);
  expect_gradgradcheck([](const Inputs& x) { return cat({x[0], x[1] * x[1]}, 1).sigmoid(); }, in);
  expect_gradgradcheck([](const Inputs& x) { return stack({x[0] * x[1], x[1]}, 0).tanh(); }, in);
  const Tensor index = tensor(std::vector<int64_t>{2, 0, 2}, {3});
  expect_gradgradcheck([&](const Inputs& x) { return index_select(x[0] * x[1], 1, index).exp(); }, in);
}

TEST_F(HigherOrder, GradgradcheckLossesAndSoftmax) {
  Inputs in{input({4, 5}), input({4, 5})};
  expect_gradgradcheck([](const Inputs& x) { return F::log_softmax(x[0], 1) * x[1]; }, in);
  expect_gradgradcheck([](const Inputs& x) { return F::softmax(x[0], 0) * x[1]; }, in);
  expect_gradgradcheck([](const Inputs& x) { return F::mse_loss(x[0].tanh(), x[1]); }, in);
  expect_gradgradcheck([](const Inputs& x) { return F::mse_loss(x[0], x[1], F::Reduction::None); }, in);
  // Class-probability targets are composed of differentiable ops, the weight included.
  Tensor probs = F::softmax(testing::grad_input({4, 5}).detach(), 1);
  Inputs weighted{input({4, 5}), input({5}, 0.5, 2.0)};
  expect_gradgradcheck(
      [&](const Inputs& x) { return F::cross_entropy(x[0], probs, F::ClassLossOptions{.weight = x[1]}); }, weighted);
}

TEST_F(HigherOrder, GradgradcheckConvolution) {
  // Every order is the device's three convolution kernels (Note [Convolution's double
  // backward]): strides, padding, dilation, groups, bias, and an output size the
  // transposed convolution cannot infer (7 with stride 2).
  Inputs in{input({2, 4, 7, 6}), input({6, 2, 3, 2}), input({6})};
  expect_gradgradcheck([](const Inputs& x) { return F::conv2d(x[0], x[1], x[2], {2, 1}, {1, 0}, 1, 2).tanh(); }, in);
  expect_gradgradcheck([](const Inputs& x) { return F::conv2d(x[0], x[1], x[2], 1, 2, {2, 1}, 2).pow(2.0); }, in);
  Inputs plain{input({1, 2, 5, 5}), input({3, 2, 3, 3})};
  expect_gradgradcheck([](const Inputs& x) { return F::leaky_relu(F::conv2d(x[0], x[1]), 0.2) * F::conv2d(x[0], x[1]); },
                       plain);
  // Third order: the second derivatives are recorded ops too.
  Tensor xs = input({1, 1, 4, 4}), ws = input({1, 1, 2, 2});
  const auto third = [](const Inputs& x) {
    EnableGradGuard grad_mode;
    Tensor y = F::conv2d(x[0], x[1]).pow(3.0).sum();
    Tensor gw = autograd::grad({y}, {x[1]}, {}, std::nullopt, true)[0];
    return autograd::grad({gw.pow(2.0).sum()}, {x[0]}, {}, std::nullopt, true)[0];
  };
  testing::expect_gradcheck(third, {xs, ws});
}

TEST_F(HigherOrder, GradgradcheckMaxPooling) {
  // The gradient's derivative gathers at the winners (window-local indices), overlapping
  // windows and padding included; NCHW and channels-last, 3-D input.
  Inputs in{input({2, 3, 7, 6}), input({2, 3, 4, 4}), input({2, 3, 3, 3}), input({3, 3, 3})};
  expect_gradgradcheck([](const Inputs& x) { return F::max_pool2d(x[0].pow(2.0), {3, 2}, 2, 1) * x[1]; }, in);
  expect_gradgradcheck([](const Inputs& x) { return F::max_pool2d(x[0] * x[0], 2) * x[2]; }, in);
  expect_gradgradcheck(
      [](const Inputs& x) {
        return F::max_pool2d(x[0].tanh().contiguous(MemoryFormat::ChannelsLast), 3, 1) * x[0].narrow(2, 0, 5).narrow(3, 0, 4);
      },
      in);
  expect_gradgradcheck([](const Inputs& x) { return F::max_pool2d(x[0][0].exp(), 2) * x[3]; }, in);
}

TEST_F(HigherOrder, GradgradcheckAveragePooling) {
  Inputs in{input({2, 3, 7, 6}), input({2, 3, 4, 4}), input({2, 3, 3, 3})};
  expect_gradgradcheck([](const Inputs& x) { return F::avg_pool2d(x[0].pow(2.0), {3, 2}, 2, 1) * x[1]; }, in);
  expect_gradgradcheck([](const Inputs& x) { return F::adaptive_avg_pool2d(x[0].tanh(), 3) * x[2]; }, in);
}

TEST_F(HigherOrder, GradgradcheckInPlaceOps) {
  Inputs in{input({3, 4}), input({4}, 0.5, 2.0)};
  expect_gradgradcheck(
      [](const Inputs& x) {
        Tensor y = x[0] * 1.0;  // a non-leaf to write into
        y.mul_(x[0]).add_(x[1], 2.0).sub_(x[1] * x[1]).div_(x[1]).relu_();
        y.mul_(3.0).add_(1.0).clamp_(-2.0, 5.0).neg_().div_(2.0);
        return y * x[0];
      },
      in);
  // On a view, the base's history is PyTorch's CopySlices, differentiated twice as well.
  expect_gradgradcheck(
      [](const Inputs& x) {
        Tensor y = x[0] * 1.0;
        y.narrow(0, 0, 2).mul_(x[1]).add_(x[1], 2.0).relu_();
        return y * x[0];
      },
      in);
}

TEST_F(HigherOrder, IgnoredRowsStayZeroUnderANonFiniteScale) {
  // Every target ignored: the mean is NaN, and so is the gradient coming back through
  // loss^2; PyTorch's gradient and Hessian-vector product are zeros.
  Tensor x = input({2, 3});
  const Tensor t = tensor(std::vector<int64_t>{-100, -100}, {2});
  Tensor loss = F::cross_entropy(x, t, F::ClassLossOptions{});
  Tensor g = autograd::grad({loss + loss * loss / 2.0}, {x}, {}, std::nullopt, true)[0];
  expect_values(g, std::vector<double>(6, 0.0));
  expect_values(autograd::grad({g.sum()}, {x}, {}, std::nullopt, false, true)[0], std::vector<double>(6, 0.0));
}

TEST_F(HigherOrder, GradgradcheckBatchNorm) {
  // Training (batch statistics recomputed with x's history) and eval (running statistics),
  // with and without the affine parameters, in either layout.
  Inputs in{input({3, 2, 3, 2}), input({2}, 0.5, 1.5), input({2}), input({3, 2, 3, 2})};
  const Tensor running_mean = testing::grad_input({2}).detach(), running_var = testing::grad_input({2}, 0.5, 2).detach();
  expect_gradgradcheck(
      [&](const Inputs& x) { return F::batch_norm(x[0], Tensor(), Tensor(), Tensor(), Tensor(), true).pow(3.0); }, in);
  for (bool training : {true, false}) {
    expect_gradgradcheck(
        [&](const Inputs& x) {
          return F::batch_norm(x[0], running_mean.clone(), running_var.clone(), x[1], x[2], training, 0.1, 1e-3) * x[3];
        },
        in);
    expect_gradgradcheck(
        [&](const Inputs& x) {
          return F::batch_norm(x[0].contiguous(MemoryFormat::ChannelsLast), running_mean.clone(), running_var.clone(),
                               x[1], x[2], training) *
                 x[3];
        },
        in);
  }
  // The recorded formula's first derivative is the kernel's.
  Tensor x = input({4, 3, 5, 5}), w = input({3}, 0.5, 1.5), b = input({3});
  const auto loss = [&] { return (F::batch_norm(x, Tensor(), Tensor(), w, b, true) * x).sum(); };
  const auto plain = autograd::grad({loss()}, {x, w, b});
  const auto recorded = autograd::grad({loss()}, {x, w, b}, {}, std::nullopt, true);
  for (size_t i = 0; i < 3; ++i) expect_values(recorded[i], plain[i].to_vector<double>(), 1e-10);
}

// A 16-bit input with a float32 weight (batch norm under autocast) differentiates twice: a
// gradient penalty's weight gradient is float32's on the same values within bf16 roundings.
// A 16-bit weight (a half() model's, copied to float for the kernels) differentiates once.
TEST_F(HigherOrder, SixteenBitBatchNormDifferentiatesTwice) {
  const Tensor x_values = (input({6, 3, 4, 4}) * 2.0).detach();
  const Tensor c = input({6, 3, 4, 4}).detach();
  const Tensor w_values = input({3}, 0.5, 1.5).detach(), b_values = input({3}).detach();
  const Tensor running_mean = input({3}).detach(), running_var = input({3}, 0.5, 1.5).detach();
  for (bool training : {true, false}) {
    SCOPED_TRACE(training ? "train" : "eval");
    const auto penalty_grads = [&](DType dtype) {  // the same bf16 values in dtype
      const DType stat = compute_dtype(dtype);     // the weight's: the channel dtype
      const Tensor x = x_values.to(kBFloat16).to(dtype).requires_grad_(true);
      // fresh leaves (to() of the same dtype would give the shared values themselves)
      const Tensor w = w_values.clone().to(stat).requires_grad_(true);
      const Tensor b = b_values.clone().to(stat).requires_grad_(true);
      const Tensor y =
          F::batch_norm(x, running_mean.to(stat).clone(), running_var.to(stat).clone(), w, b, training, 0.1, 1e-3);
      const Tensor gx = autograd::grad({(y.to(kFloat64) * c).sum()}, {x}, {}, std::nullopt, true)[0];
      EXPECT_EQ(gx.dtype(), dtype);
      (gx.to(kFloat64) * gx.to(kFloat64)).sum().backward();
      return std::vector<Tensor>{x.grad(), w.grad(), b.grad()};
    };
    const auto wide = penalty_grads(kFloat64), narrow = penalty_grads(kBFloat16);
    ASSERT_TRUE(narrow[0].defined() && narrow[1].defined());
    EXPECT_EQ(narrow[0].dtype(), kBFloat16);
    EXPECT_EQ(narrow[1].dtype(), kFloat32);  // the weight's own
    // In eval the input's gradient (w * invstd * g) does not depend on x: x's is 0.
    for (size_t i = training ? 0 : 1; i < 2; ++i) {
      const double scale = wide[i].abs().max().item<double>();
      EXPECT_GT(scale, 0.0) << i;
      EXPECT_LE(testing::max_abs_diff(narrow[i].to(kFloat64), wide[i]), 0.05 * scale) << i;
    }
    if (!training) {
      EXPECT_EQ(narrow[0].abs().max().item<double>(), 0.0);
    }
  }
  const Tensor x16 = x_values.to(kBFloat16).requires_grad_(true), w16 = ones({3}, kBFloat16).requires_grad_(true);
  const Tensor y16 = F::batch_norm(x16, Tensor(), Tensor(), w16, Tensor(), true);
  const Tensor g16 = autograd::grad({(y16.to(kFloat64) * c).sum()}, {x16}, {}, std::nullopt, true)[0];
  EXPECT_EMBER_ERROR((g16.to(kFloat64) * g16.to(kFloat64)).sum().backward(), "is not implemented");
}

TEST_F(HigherOrder, GradgradcheckClassIndexLosses) {
  // The fused cross_entropy / nll_loss with every option (Hessian-vector products of a
  // classifier's loss, MAML-style inner steps).
  const Tensor t = tensor(std::vector<int64_t>{2, 0, -100, 3, 2}, {5});
  const Tensor t_valid = tensor(std::vector<int64_t>{2, 0, 1, 3, 2}, {5});
  const Tensor weight = testing::grad_input({4}, 0.5, 2.0).detach();
  Inputs in{input({5, 4}, -2.0, 2.0)};
  for (F::Reduction r : {F::Reduction::Mean, F::Reduction::Sum, F::Reduction::None}) {
    expect_gradgradcheck([&](const Inputs& x) { return F::cross_entropy(x[0].pow(3.0), t_valid, r); }, in);
    expect_gradgradcheck([&](const Inputs& x) { return F::cross_entropy(x[0], t_valid, r, 0.2) * 3.0; }, in);
    for (double smoothing : {0.0, 0.3})
      expect_gradgradcheck(
          [&](const Inputs& x) {
            return F::cross_entropy(x[0].tanh(), t, F::ClassLossOptions{.weight = weight, .reduction = r,
                                                                        .label_smoothing = smoothing});
          },
          in);
    expect_gradgradcheck(
        [&](const Inputs& x) {
          return F::nll_loss(F::log_softmax(x[0], 1), t, F::ClassLossOptions{.weight = weight, .reduction = r});
        },
        in);
  }
  // The K-dimensional form and a single sample.
  const Tensor t_spatial = tensor(std::vector<int64_t>{1, 0, 2, 2, 0, 1}, {2, 3});
  expect_gradgradcheck([&](const Inputs& x) { return F::cross_entropy(x[0], t_spatial); }, {input({2, 3, 3})});
  expect_gradgradcheck([&](const Inputs& x) { return F::cross_entropy(x[0], tensor(std::vector<int64_t>{1}, Dims{})); },
                       {input({3})});
  // With create_graph the first derivative is the fused kernel's.
  Tensor x = input({5, 4});
  const auto loss = [&] { return F::cross_entropy(x, t, F::ClassLossOptions{.weight = weight, .label_smoothing = 0.1}); };
  expect_values(autograd::grad({loss()}, {x}, {}, std::nullopt, true)[0], autograd::grad({loss()}, {x})[0].to_vector<double>(),
                1e-15);
}

TEST_F(HigherOrder, EveryLayerOfTheSmallCnnDifferentiatesTwice) {
  // ember's small CNN in miniature (conv, batch norm in training, ReLU, max pooling,
  // linear, the fused cross_entropy): second derivatives for its weights and its input.
  const Tensor images = testing::grad_input({3, 1, 6, 6}).detach();
  const Tensor labels = tensor(std::vector<int64_t>{1, 0, 2}, {3});
  Inputs in{input({2, 1, 3, 3}), input({2}), input({2}, 0.5, 1.5), input({3, 2 * 3 * 3}), images.clone().requires_grad_(true)};
  expect_gradgradcheck(
      [&](const Inputs& p) {
        Tensor h = F::conv2d(p[4], p[0], p[1], 1, 1);
        h = F::batch_norm(h, Tensor(), Tensor(), p[2], Tensor(), /*training=*/true).relu();
        h = F::max_pool2d(h, 2).flatten(1);
        return F::cross_entropy(F::linear(h, p[3]), labels);
      },
      in);
}

TEST_F(HigherOrder, GradientPenaltyMatchesPyTorch) {
  // A WGAN-GP style penalty through linear -> tanh -> linear; the values are PyTorch
  // 1.13's for the same program (autograd.grad(create_graph=True), then backward).
  Tensor w1 = f64({0.5, -0.3, 0.2, 0.8, -0.6, 0.1}, {3, 2});
  Tensor b1 = f64({0.1, -0.2, 0.3}, {3});
  Tensor w2 = f64({0.7, -0.4, 0.25}, {1, 3});
  Tensor x = f64({1.0, -2.0, 0.5, 0.25}, {2, 2});
  Tensor out = F::linear(F::linear(x, w1, b1).tanh(), w2);
  Tensor g = autograd::grad({out.sum()}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
  Tensor gp = (g.pow(2.0).sum({1}).sqrt() - 1.0).pow(2.0).mean();
  gp.backward();
  EXPECT_NEAR(gp.item<double>(), 0.5361033199041586, 1e-12);
  expect_values(w1.grad(), {0.07268690531314978, 0.41677811222738803, -0.04270744100065463, -0.07565317404617222,
                            0.010279564533798854, 0.31187053215363525});
  expect_values(b1.grad(), {0.12311666621170161, -0.05309498091601441, -0.009432822536103669});
  expect_values(w2.grad(), {-0.22945248462961176, 0.4846916432807886, 0.072719219284792});
  expect_values(x.grad(), {0.015527359448526332, -0.08337967535301537, 0.04107167099578379, 0.0030254085030829913});
}

TEST_F(HigherOrder, ConvolutionalCriticsPenaltyPassesGradcheck) {
  // The penalty's gradient for the critic's parameters (a second derivative through
  // convolution, leaky ReLU, average pooling and linear) against finite differences.
  const Tensor x = testing::grad_input({2, 2, 9, 9}).detach().requires_grad_(true);
  const auto penalty = [&](const Inputs& p) {
    EnableGradGuard grad_mode;  // gradcheck evaluates under no_grad
    Tensor h = F::avg_pool2d(F::leaky_relu(F::conv2d(x, p[0], p[1], 2, 1), 0.2), 2).flatten(1);
    Tensor g = autograd::grad({F::linear(h, p[2]).sum()}, {x}, {}, std::nullopt, true)[0];
    return (g.pow(2.0).sum({1, 2, 3}).sqrt() - 1.0).pow(2.0).mean();
  };
  testing::expect_gradcheck(penalty, {input({4, 2, 3, 3}), input({4}), input({1, 16})});
}

TEST_F(HigherOrder, DropoutsSecondDerivativeUsesTheSameMask) {
  // Dropout's gradient is linear in the incoming gradient: d/dx <w, d(dropout(x)^2)/dx>
  // = 2 w * mask^2 * scale^2, with the mask of the forward.
  Tensor x = input({64});
  Tensor y = F::dropout(x, 0.5, /*training=*/true);
  Tensor g = autograd::grad({(y * y).sum()}, {x}, {}, std::nullopt, true)[0];
  Tensor w = rand({64}, kFloat64);
  Tensor gg = autograd::grad({(g * w).sum()}, {x})[0];
  const auto kept = y.ne(0.0).to(kFloat64).to_vector<double>();
  const auto wv = w.to_vector<double>(), ggv = gg.to_vector<double>();
  for (size_t i = 0; i < kept.size(); ++i) EXPECT_NEAR(ggv[i], 2.0 * wv[i] * kept[i] * 4.0, 1e-12) << i;
}

TEST_F(HigherOrder, InPlaceOnAViewIsDifferentiatedTwice) {
  // The base's history after an in-place op on one of its views (CopySlices) and a view's
  // history read again from its written base (AsStridedBackward) record their gradients
  // under create_graph (Note [Double backward through views] in autograd/view_history.cpp).
  const Inputs in{input({4, 5}), input({5}, 0.5, 2.0)};
  const std::vector<std::pair<const char*, std::function<Tensor(const Inputs&)>>> cases = {
      {"narrow mul_ by a row",
       [](const Inputs& x) {
         Tensor y = x[0] * 1.0;
         y.narrow(0, 1, 2).mul_(x[0].narrow(0, 0, 1));
         return y * y;
       }},
      {"select sin_",
       [](const Inputs& x) {
         Tensor y = x[0] * x[0];
         y.select(1, 2).sin_();
         return y * x[1];
       }},
      {"strided slice addcmul_",
       [](const Inputs& x) {
         Tensor y = x[0] * x[1];
         y.slice(1, 0, 5, 2).addcmul_(x[0].slice(1, 1, 4, 1), x[1].slice(0, 0, 3, 1), 0.5);
         return y.tanh();
       }},
      {"transposed view div_",
       [](const Inputs& x) {
         Tensor y = x[0].sin() + 2.0;
         y.t().narrow(0, 1, 3).div_(x[1].narrow(0, 1, 3).unsqueeze(1));
         return y * y;
       }},
      {"view of a view atan_, then the base",
       [](const Inputs& x) {
         Tensor y = x[0] * 2.0;
         y.narrow(0, 1, 3).narrow(1, 0, 2).atan_();
         y.mul_(x[1]);
         return y;
       }},
      {"copy_ into a slice",
       [](const Inputs& x) {
         Tensor y = x[0] * 1.0;
         y.narrow(1, 0, 3).copy_(x[1].narrow(0, 0, 3).pow(2.0).expand({4, 3}));
         return y * x[0];
       }},
      {"relu_ on a view",
       [](const Inputs& x) {
         Tensor y = x[0] * x[0] - 0.3;
         y.narrow(0, 0, 2).relu_();
         return y * y;
       }},
      {"a view read after its base is written",
       [](const Inputs& x) {
         Tensor y = x[0] * 1.0;
         Tensor v = y.narrow(0, 0, 2);
         y.mul_(x[1]);
         return v * v * x[0].narrow(0, 0, 2);
       }},
  };
  for (const auto& [name, f] : cases) {
    SCOPED_TRACE(name);
    expect_gradgradcheck(f, in);
  }
  // The recorded first derivative is the plain one, and the Hessian-vector product is the
  // out-of-place form's (rows 1-2 multiplied by row 0).
  Tensor x = input({4, 5});
  const auto in_place = [&] {
    Tensor y = x * 1.0;
    y.narrow(0, 1, 2).mul_(x.narrow(0, 0, 1));
    return (y * y * y).sum();
  };
  const auto out_of_place = [&] {
    Tensor y = cat({x.narrow(0, 0, 1), x.narrow(0, 1, 2) * x.narrow(0, 0, 1), x.narrow(0, 3, 1)}, 0);
    return (y * y * y).sum();
  };
  const Tensor plain = autograd::grad({in_place()}, {x})[0];
  const Tensor recorded = autograd::grad({in_place()}, {x}, {}, std::nullopt, true)[0];
  expect_values(recorded, plain.to_vector<double>());
  const Tensor v = input({4, 5});
  const Tensor hvp = autograd::grad({(recorded * v).sum()}, {x})[0];
  const Tensor reference = autograd::grad(
      {(autograd::grad({out_of_place()}, {x}, {}, std::nullopt, true)[0] * v).sum()}, {x})[0];
  expect_values(hvp, reference.to_vector<double>(), 1e-12);
}

TEST_F(HigherOrder, CrossEntropyWeightThatRequiresGradIsPyTorchsError) {
  Tensor logits = input({3, 4});
  Tensor t = tensor(std::vector<int64_t>{0, 3, 1}, {3});
  Tensor weight = input({4}, 0.5, 1.5);
  EXPECT_EMBER_ERROR(F::cross_entropy(logits, t, F::ClassLossOptions{.weight = weight}),
                     "not differentiable with respect to argument 'weight'");
  EXPECT_EMBER_ERROR(F::nll_loss(logits.detach(), t, F::ClassLossOptions{.weight = weight}),
                     "not differentiable with respect to argument 'weight'");
  NoGradGuard no_grad;  // fine without recording, as in PyTorch
  EXPECT_NO_THROW(F::cross_entropy(logits, t, F::ClassLossOptions{.weight = weight}));
}

}  // namespace
}  // namespace ember
