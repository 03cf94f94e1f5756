// Activation checkpointing (utils::checkpoint, checkpoint_sequential; Note [Activation
// checkpointing] in autograd/checkpoint.h): the same gradients, random masks and
// running statistics as without it, fewer saved bytes, recomputation freed as backward
// goes, and PyTorch's errors for a function that changes between its two runs.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

using testing::error_of;

// A small conv block and head in training mode: conv, batch norm, ReLU, max pooling,
// dropout, linear. Built from `seed` so two calls give the same weights.
std::shared_ptr<nn::Sequential> make_model(uint64_t seed, double p = 0.3) {
  manual_seed(seed);
  return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv2d>(1, 4, 3, nn::Conv2dOptions{.stride = 1, .padding = 1}),
      std::make_shared<nn::BatchNorm2d>(4), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Conv2d>(4, 4, 3, nn::Conv2dOptions{.stride = 1, .padding = 1}),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::Flatten>(), std::make_shared<nn::Dropout>(p),
      std::make_shared<nn::Linear>(4 * 4 * 4, 3)});
}

Tensor batch(uint64_t seed) {
  manual_seed(seed);
  return randn({5, 1, 8, 8});
}

void expect_same_tensors(const std::vector<Tensor>& a, const std::vector<Tensor>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].defined(), b[i].defined()) << what << " " << i;
    if (a[i].defined()) {
      EXPECT_TRUE(equal(a[i], b[i])) << what << " " << i << " differs by " << testing::max_abs_diff(a[i], b[i]);
    }
  }
}

std::vector<Tensor> grads_of(const nn::Module& m) {
  std::vector<Tensor> g;
  for (const Tensor& p : m.parameters()) g.push_back(p.grad());
  return g;
}

std::vector<Tensor> buffers_of(const nn::Module& m) {
  std::vector<Tensor> b;
  for (const auto& [name, t] : m.named_buffers()) b.push_back(t);
  return b;
}

// One training step's loss with the model run plainly or in `segments` checkpointed
// segments; the random stream starts at `seed` before the forward.
Tensor step_loss(const std::shared_ptr<nn::Sequential>& model, const Tensor& x, int64_t segments, uint64_t seed) {
  const Tensor targets = tensor(std::vector<int64_t>{0, 2, 1, 1, 0}, {5});
  manual_seed(seed);
  const Tensor out = segments == 0 ? (*model)(x) : utils::checkpoint_sequential(model, segments, x);
  return nn::functional::cross_entropy(out, targets);
}

TEST(Checkpoint, SequentialGivesTheSameLossGradientsMasksAndRunningStatistics) {
  for (const int64_t segments : {2, 3, 9}) {
    auto plain = make_model(7), ckpt = make_model(7);
    const Tensor x = batch(11).requires_grad_(true);
    const Tensor xc = x.detach().requires_grad_(true);
    const Tensor l1 = step_loss(plain, x, 0, 99);
    l1.backward();
    const Tensor after_plain = get_rng_state();
    const Tensor l2 = step_loss(ckpt, xc, segments, 99);
    l2.backward();
    EXPECT_TRUE(equal(l1, l2)) << segments;
    expect_same_tensors(grads_of(*plain), grads_of(*ckpt), "parameter gradient");
    expect_same_tensors({x.grad()}, {xc.grad()}, "input gradient");
    // batch norm's running statistics and num_batches_tracked moved once, not twice.
    expect_same_tensors(buffers_of(*plain), buffers_of(*ckpt), "buffer");
    // The random stream is where the plain run left it: the recomputation rewound it and put it back.
    EXPECT_TRUE(equal(get_rng_state(), after_plain)) << segments;
  }
}

TEST(Checkpoint, KeepsOnlyTheSegmentInputsAndFreesTheRecomputationAsBackwardGoes) {
  auto plain = make_model(7), ckpt = make_model(7);
  const Tensor x = batch(11);
  ASSERT_EQ(autograd::saved_tensor_stats().current_bytes, 0);
  int64_t plain_saved = 0, plain_peak_in_backward = 0;
  std::map<std::string, int64_t> plain_by_layer;
  {
    const Tensor loss = step_loss(plain, x, 0, 1);
    plain_saved = autograd::saved_tensor_stats().current_bytes;
    plain_by_layer = autograd::saved_tensor_stats().bytes_by_scope;
    autograd::reset_saved_tensor_peak();
    loss.backward();
    plain_peak_in_backward = autograd::saved_tensor_stats().peak_bytes;
  }
  EXPECT_EQ(autograd::saved_tensor_stats().current_bytes, 0);
  // Two segments: modules 0-3 checkpointed, 4-8 plain. The graph keeps the first
  // segment's input and what modules 4-8 save, nothing of modules 0-3.
  // ... and, outside the layers, what the loss saves (its logits and targets).
  int64_t expected = static_cast<int64_t>(x.numel()) * 4 + plain_saved;
  for (const char* layer : {"0", "1", "2", "3"}) expected -= plain_by_layer[layer];
  for (const char* layer : {"0", "1", "2", "3"}) EXPECT_GT(plain_by_layer[layer], 0) << layer;
  const Tensor loss = step_loss(ckpt, x, 2, 1);
  const auto after_forward = autograd::saved_tensor_stats();
  EXPECT_EQ(after_forward.current_bytes, expected);
  EXPECT_LT(after_forward.current_bytes, plain_saved);
  for (const char* layer : {"0", "1", "2", "3"}) EXPECT_EQ(after_forward.bytes_by_scope.count(layer), 0u) << layer;
  autograd::reset_saved_tensor_peak();
  loss.backward();
  EXPECT_EQ(autograd::saved_tensor_stats().current_bytes, 0);  // the recomputed tensors were freed
  // During backward the recomputed segment's tensors come and go: never more than the plain graph kept.
  EXPECT_LE(autograd::saved_tensor_stats().peak_bytes, plain_peak_in_backward);
}

TEST(Checkpoint, ParametersGetGradientsWhenTheInputNeedsNone) {
  // The reentrant checkpoint of PyTorch loses these; the graph-keeping one does not.
  Tensor w = tensor(std::vector<double>{1.5, -2.0, 0.5}, {3}, TensorOptions(kFloat64).requires_grad(true));
  const Tensor x = tensor(std::vector<double>{0.25, 1.0, -3.0}, {3}, TensorOptions(kFloat64));
  const Tensor y = utils::checkpoint([&](const Tensor& in) { return (in * w).tanh() * w; }, x);
  ASSERT_TRUE(y.requires_grad());
  y.sum().backward();
  // d/dw [tanh(x w) w] = tanh(x w) + w x (1 - tanh(x w)^2)
  const auto xv = x.to_vector<double>(), wv = w.detach().to_vector<double>(), g = w.grad().to_vector<double>();
  for (size_t i = 0; i < 3; ++i) {
    const double t = std::tanh(xv[i] * wv[i]);
    EXPECT_NEAR(g[i], t + wv[i] * xv[i] * (1 - t * t), 1e-14) << i;
  }
}

TEST(Checkpoint, GradcheckAndGradgradcheckThroughACheckpoint) {
  manual_seed(3);
  const Tensor w = testing::grad_input({4, 3});
  const Tensor x = testing::grad_input({2, 4});
  const autograd::GradcheckFn fn = [](const std::vector<Tensor>& in) {
    return utils::checkpoint([](const std::vector<Tensor>& a) { return std::vector<Tensor>{matmul(a[0], a[1]).sigmoid() * a[0].sum()}; },
                             in)[0];
  };
  testing::expect_gradcheck(fn, {x, w});
  const auto r = autograd::gradgradcheck_report(fn, {x, w});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(Checkpoint, RetainGraphRecomputesForTheSecondBackward) {
  Tensor w = tensor(std::vector<double>{0.5, -1.0}, {2}, TensorOptions(kFloat64).requires_grad(true));
  const Tensor y = utils::checkpoint([&](const Tensor& in) { return (in * w).exp().sum(); },
                                     tensor(std::vector<double>{2.0, 3.0}, {2}, TensorOptions(kFloat64)));
  y.backward({}, /*retain_graph=*/true);
  const std::vector<double> once = w.grad().to_vector<double>();
  EXPECT_EQ(autograd::saved_tensor_stats().current_bytes, 16);  // the input only, until the graph goes
  y.backward();
  const std::vector<double> twice = w.grad().to_vector<double>();
  EXPECT_DOUBLE_EQ(twice[0], 2 * once[0]);
  EXPECT_DOUBLE_EQ(twice[1], 2 * once[1]);
  EXPECT_DOUBLE_EQ(once[0], 2.0 * std::exp(1.0));
  EXPECT_NE(error_of([&] { y.backward(); }).find("Trying to backward through the graph a second time"),
            std::string::npos);
}

TEST(Checkpoint, AutogradGradOfAnInnerTensorAndNestedCheckpoints) {
  const Tensor x = tensor(std::vector<double>{0.3, -0.7, 1.1}, {3}, TensorOptions(kFloat64).requires_grad(true));
  auto inner = [](const Tensor& t) { return (t * t).tanh(); };
  auto outer = [&](const Tensor& t) { return utils::checkpoint(inner, t.exp()) * t; };
  const Tensor plain = ((x.exp() * x.exp()).tanh() * x).sum();
  const Tensor nested = utils::checkpoint(outer, x).sum();
  const Tensor g_plain = autograd::grad({plain}, {x})[0];
  const Tensor g_nested = autograd::grad({nested}, {x})[0];
  EXPECT_LT(testing::max_abs_diff(g_plain, g_nested), 1e-15);
  EXPECT_EQ(autograd::saved_tensor_stats().current_bytes, 0);
}

TEST(Checkpoint, CreateGraphThroughACheckpoint) {
  const Tensor x = tensor(std::vector<double>{0.5, 1.5}, {2}, TensorOptions(kFloat64).requires_grad(true));
  const Tensor y = utils::checkpoint([](const Tensor& t) { return t.pow(3.0).sum(); }, x);
  const Tensor g = autograd::grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
  ASSERT_TRUE(g.requires_grad());
  const Tensor gg = autograd::grad({g.sum()}, {x})[0];
  const auto v = gg.to_vector<double>();
  EXPECT_DOUBLE_EQ(v[0], 3.0);  // 6x
  EXPECT_DOUBLE_EQ(v[1], 9.0);
}

TEST(Checkpoint, InPlaceChangeOfAnInputBeforeBackwardIsAnError) {
  Tensor w = tensor(std::vector<double>{1, 2}, {2}, TensorOptions(kFloat64).requires_grad(true));
  Tensor x = tensor(std::vector<double>{3, 4}, {2}, TensorOptions(kFloat64));
  const Tensor y = utils::checkpoint([&](const Tensor& t) { return (t * w).sum(); }, x);
  x.add_(1.0);
  EXPECT_NE(error_of([&] { y.backward(); }).find("modified by an inplace operation"), std::string::npos);
}

TEST(Checkpoint, AFunctionThatChangesBetweenItsRunsIsAnError) {
  Tensor w = tensor(std::vector<double>{1, 2}, {2}, TensorOptions(kFloat64).requires_grad(true));
  const Tensor x = tensor(std::vector<double>{3, 4}, {2}, TensorOptions(kFloat64));
  int calls = 0;
  const Tensor more = utils::checkpoint([&](const Tensor& t) { return ++calls == 1 ? (t * w).sum() : (t * w).exp().sum(); }, x);
  const std::string count = error_of([&] { more.backward(); });
  EXPECT_NE(count.find("A different number of tensors was saved during the original forward and recomputation"),
            std::string::npos)
      << count;
  calls = 0;
  const Tensor other = utils::checkpoint(
      [&](const Tensor& t) { return ++calls == 1 ? (t * w).sum() : (t.slice(0, 0, 1) * w.slice(0, 0, 1)).sum(); }, x);
  const std::string meta = error_of([&] { other.backward(); });
  EXPECT_NE(meta.find("different metadata than during the forward pass"), std::string::npos) << meta;
  EXPECT_NE(meta.find("[2]"), std::string::npos) << meta;
}

TEST(Checkpoint, AFunctionThatModifiesItsInputInPlaceIsAClearErrorAtBackward) {
  // ReLU(inplace=true) as the first module of a segment: the recomputation cannot see the input as it was.
  auto model = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(3, 4), std::make_shared<nn::ReLU>(/*inplace=*/true), std::make_shared<nn::Linear>(4, 4),
      std::make_shared<nn::Linear>(4, 4), std::make_shared<nn::Linear>(4, 2)});
  const Tensor x = randn({2, 3});
  const Tensor y = utils::checkpoint_sequential(model, 3, x);  // segment 2 is the in-place ReLU alone
  const std::string message = error_of([&] { y.sum().backward(); });
  EXPECT_NE(message.find("the checkpointed function modified its input 0 in place"), std::string::npos) << message;
}

TEST(Checkpoint, AParameterChangedInPlaceBeforeBackwardIsAnError) {
  Tensor w = tensor(std::vector<double>{1, 2}, {2}, TensorOptions(kFloat64).requires_grad(true));
  const Tensor x = tensor(std::vector<double>{3, 4}, {2}, TensorOptions(kFloat64));
  // The last product saves w (for the gradient of the exp), so both runs would read it at backward.
  const Tensor plain = ((x * w).exp() * w).sum();
  const Tensor ckpt = utils::checkpoint([&](const Tensor& t) { return ((t * w).exp() * w).sum(); }, x);
  {
    NoGradGuard no_grad;
    w.add_(1.0);  // as an optimizer step would
  }
  EXPECT_NE(error_of([&] { plain.backward(); }).find("modified by an inplace operation"), std::string::npos);
  const std::string message = error_of([&] { ckpt.backward(); });
  EXPECT_NE(message.find("modified by an inplace operation"), std::string::npos) << message;
  EXPECT_NE(message.find("inside a checkpointed function"), std::string::npos) << message;
}

TEST(Checkpoint, InferenceTensorsMayBeInputs) {
  Tensor w = tensor(std::vector<double>{1, 2}, {2}, TensorOptions(kFloat64).requires_grad(true));
  Tensor x;
  {
    InferenceModeGuard inference;
    x = tensor(std::vector<double>{3, 4}, {2}, TensorOptions(kFloat64));
  }
  // No op saves the inference tensor itself (the sum does not), as in the plain run.
  utils::checkpoint([&](const Tensor& t) { return (t + w).exp().sum(); }, x).backward();
  testing::expect_values(w.grad(), {std::exp(4.0), std::exp(6.0)}, 1e-12);
}

TEST(Checkpoint, ABackwardInsideTheFunctionIsAClearError) {
  const Tensor x = tensor(std::vector<double>{0.5, 1.5}, {2}, TensorOptions(kFloat64).requires_grad(true));
  const std::string message = error_of([&] {
    utils::checkpoint([](const Tensor& t) { return autograd::grad({t.pow(3.0).sum()}, {t}, {}, std::nullopt, true)[0]; }, x);
  });
  EXPECT_NE(message.find("a backward inside the checkpointed function"), std::string::npos) << message;
  EXPECT_EQ(autograd::saved_tensor_stats().current_bytes, 0);
}

TEST(Checkpoint, ABackwardThatThrowsLeavesNoStaleRecomputation) {
  Tensor w = tensor(std::vector<double>{0.5, -1.0}, {2}, TensorOptions(kFloat64).requires_grad(true));
  int calls = 0;
  const Tensor y = utils::checkpoint([&](const Tensor& t) { ++calls; return (t * w).exp().sum(); },
                                     tensor(std::vector<double>{2.0, 3.0}, {2}, TensorOptions(kFloat64)));
  const uint64_t hook = autograd::register_post_accumulate_grad_hook(w, [](const Tensor&) { EMBER_FAIL("hook failed"); });
  EXPECT_NE(error_of([&] { y.backward({}, /*retain_graph=*/true); }).find("hook failed"), std::string::npos);
  autograd::remove_post_accumulate_grad_hook(w, hook);
  EXPECT_EQ(calls, 2);
  w.mutable_grad() = Tensor();
  y.backward();
  EXPECT_EQ(calls, 3);  // recomputed for this backward, not reused from the one that threw
  testing::expect_values(w.grad(), {2 * std::exp(1.0), 3 * std::exp(-3.0)}, 1e-12);
  EXPECT_EQ(autograd::saved_tensor_stats().current_bytes, 0);
}

TEST(Checkpoint, UnderNoGradTheFunctionIsJustCalled) {
  Tensor w = tensor(std::vector<double>{1, 2}, {2}, TensorOptions(kFloat64).requires_grad(true));
  int calls = 0;
  NoGradGuard no_grad;
  const Tensor y = utils::checkpoint([&](const Tensor& t) { ++calls; return t * w; }, w);
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(autograd::saved_tensor_stats().current_bytes, 0);
}

TEST(Checkpoint, BadArguments) {
  auto model = make_model(1);
  const Tensor x = batch(2);
  EXPECT_NE(error_of([&] { utils::checkpoint_sequential(model, 0, x); }).find("segments must be in [1, 9]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { utils::checkpoint_sequential(model, 10, x); }).find("but got 10"), std::string::npos);
  EXPECT_NE(error_of([&] { utils::checkpoint_sequential(nullptr, 1, x); }).find("null"), std::string::npos);
  EXPECT_NE(error_of([&] { utils::checkpoint(utils::CheckpointFunction{}, {x}); }).find("expected a function"),
            std::string::npos);
}

}  // namespace
}  // namespace ember
