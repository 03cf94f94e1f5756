// Whole-step capture (Note [Graphed steps] in nn/graphed_step.h): K graphed training
// steps (forward, loss, backward, capturable SGD with a schedule) give the parameters
// of K eager steps with the same seeds, without dropout and with it (cuDNN's dropout
// state advances once per executed step in both); capture errors are clear. Skipped without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

#define REQUIRE_CUDA() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

constexpr int kSteps = 8;
constexpr int64_t kBatch = 16;

std::shared_ptr<nn::Sequential> make_net(bool dropout) {
  std::vector<std::shared_ptr<nn::Module>> layers{
      std::make_shared<nn::Conv2d>(1, 8, 3, nn::Conv2dOptions{.stride = 1, .padding = 1}),
      std::make_shared<nn::BatchNorm2d>(8), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Flatten>()};
  if (dropout) layers.push_back(std::make_shared<nn::Dropout>(0.5));
  layers.push_back(std::make_shared<nn::Linear>(8 * 4 * 4, 10));
  return std::make_shared<nn::Sequential>(layers);
}

struct Run {
  std::shared_ptr<nn::Sequential> net;
  std::unique_ptr<optim::SGD> sgd;
  std::unique_ptr<optim::LRScheduler> schedule;

  void step(const Tensor& x, const Tensor& y) {
    sgd->zero_grad();
    Tensor loss = F::cross_entropy((*net)(x), y);
    loss.backward();
    sgd->step();
  }
  std::vector<float> params() const {
    std::vector<float> out;
    for (const Tensor& p : net->parameters()) {
      const auto v = p.cpu().to_vector<float>();
      out.insert(out.end(), v.begin(), v.end());
    }
    return out;
  }
};

Run make_run(bool dropout, bool capturable) {
  manual_seed(1);  // the same initial parameters in every run
  Run r;
  r.net = make_net(dropout);
  r.net->to(Device::cuda(0));
  r.sgd = std::make_unique<optim::SGD>(
      r.net->parameters(),
      optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .dampening = 0.0, .nesterov = true, .capturable = capturable});
  r.schedule = std::make_unique<optim::OneCycleLR>(*r.sgd, 0.1, kSteps + 1, 0.3, 25.0, 1e4, false);
  return r;
}

// kSteps batches of [kBatch, 1, 8, 8] images and labels, independent of ember's generator.
std::vector<std::pair<Tensor, Tensor>> batches() {
  std::vector<std::pair<Tensor, Tensor>> out;
  for (int k = 0; k < kSteps; ++k) {
    const auto v = testing::random_values(kBatch * 64, static_cast<uint32_t>(100 + k));
    std::vector<int64_t> labels;
    for (int64_t i = 0; i < kBatch; ++i) labels.push_back((i * 7 + k) % 10);
    out.emplace_back(tensor(std::vector<float>(v.begin(), v.end()), {kBatch, 1, 8, 8}).cuda(),
                     tensor(labels, {kBatch}, kInt64).cuda());
  }
  return out;
}

// Both runs moved their parameters from `initial`, to the same values within atol + rtol |x|.
void expect_trained_alike(const Run& eager, const Run& graphed, const std::vector<float>& initial, double atol,
                          double rtol) {
  const auto a = eager.params(), b = graphed.params();
  ASSERT_EQ(a.size(), b.size());
  EXPECT_NE(a, initial);
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], atol + rtol * std::abs(a[i])) << "element " << i;
}

void expect_graphed_equals_eager(bool dropout) {
  const auto data = batches();
  Run eager = make_run(dropout, /*capturable=*/false);
  const std::vector<float> initial = eager.params();
  manual_seed(42);
  for (const auto& [x, y] : data) {
    eager.step(x, y);
    eager.schedule->step();
  }
  Run graphed = make_run(dropout, /*capturable=*/true);
  manual_seed(42);
  nn::GraphedStep step([&](const std::vector<Tensor>& in) { graphed.step(in[0], in[1]); }, 2, "the test step");
  for (const auto& [x, y] : data) {
    step({x, y});
    graphed.schedule->step();
  }
  EXPECT_TRUE(step.captured());
  EXPECT_EQ(step.graph().random_counters(), 0u);  // dropout draws from cuDNN's state
  // cuDNN's backward may accumulate in another order from call to call: near, not equal.
  expect_trained_alike(eager, graphed, initial, 1e-5, 1e-4);
}

TEST(CudaGraphedStep, CapturedTrainingEqualsEagerTraining) {
  REQUIRE_CUDA();
  expect_graphed_equals_eager(false);
}

TEST(CudaGraphedStep, CapturedTrainingWithDropoutDrawsTheEagerMasks) {
  REQUIRE_CUDA();
  expect_graphed_equals_eager(true);
}

// ember train --amp's step: bf16 autocast inside the step (its casts of the weights are
// captured and redone by every replay), dropout, and an eager step of another batch size
// between replays with the gradients zeroed in place (the last partial batch): the
// parameters of the eager run with the same seeds, to bf16 rounding.
TEST(CudaGraphedStep, AutocastInsideTheStepAndAnEagerStepBetweenReplays) {
  REQUIRE_CUDA();
  const auto data = batches();
  const Tensor partial_x = data[0].first.narrow(0, 0, 5), partial_y = data[0].second.narrow(0, 0, 5);
  auto amp_step = [](ember::Run& r, const Tensor& x, const Tensor& y, bool set_to_none) {
    r.sgd->zero_grad(set_to_none);
    Tensor loss;
    {
      AutocastGuard autocast(Device::cuda(0), kBFloat16);
      loss = F::cross_entropy((*r.net)(x), y);
    }
    loss.backward();
    r.sgd->step();
  };
  auto train = [&](ember::Run& r, const std::function<void(const Tensor&, const Tensor&)>& full_step) {
    manual_seed(42);
    for (int k = 0; k < kSteps; ++k) {
      full_step(data[k].first, data[k].second);
      r.schedule->step();
      if (k == kSteps / 2) amp_step(r, partial_x, partial_y, /*set_to_none=*/false);
    }
  };
  ember::Run eager = make_run(/*dropout=*/true, /*capturable=*/false);
  const std::vector<float> initial = eager.params();
  train(eager, [&](const Tensor& x, const Tensor& y) { amp_step(eager, x, y, true); });
  ember::Run graphed = make_run(/*dropout=*/true, /*capturable=*/true);
  nn::GraphedStep step([&](const std::vector<Tensor>& in) { amp_step(graphed, in[0], in[1], true); }, 2,
                       "the amp step");
  train(graphed, [&](const Tensor& x, const Tensor& y) { step({x, y}); });
  EXPECT_TRUE(step.captured());
  expect_trained_alike(eager, graphed, initial, 1e-3, 1e-2);  // bf16 roundings
}

TEST(CudaGraphedStep, AnEnclosingAutocastGuardIsAClearError) {
  REQUIRE_CUDA();
  ember::Run r = make_run(/*dropout=*/false, /*capturable=*/true);
  const auto data = batches();
  AutocastGuard autocast(Device::cuda(0), kBFloat16);
  nn::GraphedStep step([&](const std::vector<Tensor>& in) { r.step(in[0], in[1]); }, 1, "the step");
  step({data[0].first, data[0].second});  // the warm-up runs
  EXPECT_EMBER_ERROR(step({data[1].first, data[1].second}), "put the guard inside the step");
}

TEST(CudaGraphedStep, AHostReadInsideTheStepIsAClearCaptureError) {
  REQUIRE_CUDA();
  double seen = 0;
  nn::GraphedStep step([&](const std::vector<Tensor>& in) { seen = in[0].sum().item<double>(); }, 1, "the test step");
  const Tensor x = ones({4}, TensorOptions().device(Device::cuda(0)));
  step({x});  // warm-up: eager, the read works
  EXPECT_EQ(seen, 4.0);
  EXPECT_EMBER_ERROR(step({x}), "capturing the test step as a CUDA graph failed: ");
  EXPECT_FALSE(step.captured());
  EXPECT_EQ(x.sum().item<float>(), 4.0f);  // the stream works after the abandoned capture
}

TEST(CudaGraphedStep, ACapturableOptimizerRefusesToStartOrChangeInsideACapture) {
  REQUIRE_CUDA();
  Tensor p = ones({4}, TensorOptions().device(Device::cuda(0))).requires_grad_(true);
  optim::SGD sgd({p}, {.lr = 0.1, .momentum = 0.9, .capturable = true});
  p.mutable_grad() = ones({4}, TensorOptions().device(Device::cuda(0)));
  {
    cuda::Graph graph;
    graph.capture_begin();
    EXPECT_EMBER_ERROR(sgd.step(), "inside a CUDA graph capture");
    graph.reset();
  }
  sgd.step();  // the warm-up step, outside
  {
    cuda::Graph graph;
    graph.capture_begin();
    EXPECT_EMBER_ERROR(sgd.set_lr(0, 0.5), "writing SGD lr inside a CUDA graph capture");
    graph.reset();
  }
  EXPECT_EQ(p.cpu().to_vector<float>(), std::vector<float>(4, 0.9f));
}

TEST(CudaGraphedStep, InputsMustKeepTheirShape) {
  REQUIRE_CUDA();
  nn::GraphedStep step([](const std::vector<Tensor>&) {}, 1);
  step({ones({4}, TensorOptions().device(Device::cuda(0)))});
  EXPECT_EMBER_ERROR(step({ones({5}, TensorOptions().device(Device::cuda(0)))}),
                     "input 0 must keep the shape, dtype and device of the first call: expected [4]");
}

}  // namespace
}  // namespace ember
