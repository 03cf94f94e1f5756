// Module hooks (Note [Module hooks]): forward pre-hooks and forward hooks that observe or
// replace, full backward hooks against the gradients autograd gives, order, prepend,
// removal, and calls that record nothing.
#include <gmock/gmock.h>

#include <memory>
#include <string>
#include <vector>

#include "nn/fixed_linear.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;
using ember::testing::leaf;
using ::testing::ElementsAre;

using ember::testing::batch_2x3;
using ember::testing::linear_2x3;

TEST(ModuleHooks, ForwardHooksObserveAndReplaceInOrder) {
  auto fc = linear_2x3();
  std::vector<std::string> calls;
  Tensor seen_input, seen_output;
  fc->register_forward_pre_hook([&](nn::Module& m, const Tensor& x) {
    EXPECT_EQ(&m, fc.get());
    calls.push_back("pre");
    seen_input = x;
  });
  fc->register_forward_hook([&](nn::Module&, const Tensor&, const Tensor& y) {
    calls.push_back("post");
    seen_output = y;
  });
  const Tensor y = (*fc)(batch_2x3());
  EXPECT_THAT(calls, ElementsAre("pre", "post"));
  expect_values(seen_input, {1, 0.5, -1, 2, 1, 0});
  EXPECT_TRUE(seen_output.is_same(y));
  // x W^T + b: [1*1 + .5*2 - 3 + .5, 4 - 2.5 - 6 - .5] and [2 + 2 + .5, 8 - 5 - .5]
  expect_values(y, {-0.5, -5, 4.5, 2.5});

  // A pre-hook's result is forward's input; a forward hook's result is the call's output.
  auto fc2 = linear_2x3();
  fc2->register_forward_pre_hook([](nn::Module&, const Tensor& x) -> std::optional<Tensor> { return x * 2; });
  fc2->register_forward_hook(
      [](nn::Module&, const Tensor&, const Tensor& y) -> std::optional<Tensor> { return y + 100; });
  expect_values((*fc2)(batch_2x3()), {-1.5 + 100, -9.5 + 100, 8.5 + 100, 5.5 + 100});
  // forward() itself runs no hook, as in PyTorch.
  expect_values(fc2->forward(batch_2x3()), {-0.5, -5, 4.5, 2.5});
}

TEST(ModuleHooks, PrependAndRemove) {
  auto relu = std::make_shared<nn::ReLU>();
  std::vector<int> order;
  auto h1 = relu->register_forward_hook([&](nn::Module&, const Tensor&, const Tensor&) { order.push_back(1); });
  auto h2 = relu->register_forward_hook([&](nn::Module&, const Tensor&, const Tensor&) { order.push_back(2); });
  auto h0 = relu->register_forward_hook([&](nn::Module&, const Tensor&, const Tensor&) { order.push_back(0); },
                                        /*prepend=*/true);
  (*relu)(ones({2}));
  EXPECT_THAT(order, ElementsAre(0, 1, 2));
  order.clear();
  h1.remove();
  h1.remove();  // again: nothing
  (*relu)(ones({2}));
  EXPECT_THAT(order, ElementsAre(0, 2));
  order.clear();
  h0.remove();
  h2.remove();
  (*relu)(ones({2}));
  EXPECT_TRUE(order.empty());
  // A handle outliving its module removes nothing and does not crash.
  nn::RemovableHandle late;
  {
    auto tmp = std::make_shared<nn::ReLU>();
    late = tmp->register_forward_pre_hook([](nn::Module&, const Tensor&) {});
  }
  late.remove();
  // A hook that removes itself while running.
  nn::RemovableHandle self;
  int runs = 0;
  self = relu->register_forward_pre_hook([&](nn::Module&, const Tensor&) {
    ++runs;
    self.remove();
  });
  (*relu)(ones({2}));
  (*relu)(ones({2}));
  EXPECT_EQ(runs, 1);
}

TEST(ModuleHooks, HooksRunForChildrenOfSequential) {
  auto fc = linear_2x3();
  auto net = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{fc, std::make_shared<nn::ReLU>()});
  Tensor feature;
  fc->register_forward_hook([&](nn::Module&, const Tensor&, const Tensor& y) { feature = y; });
  const Tensor out = (*net)(batch_2x3());
  // The hooked child's output is kept as it was, even though ReLU may work in place.
  expect_values(feature, {-0.5, -5, 4.5, 2.5});
  expect_values(out, {0, 0, 4.5, 2.5});
  {
    NoGradGuard no_grad;  // the consuming path Sequential takes without recording
    const Tensor out2 = (*net)(batch_2x3());
    expect_values(feature, {-0.5, -5, 4.5, 2.5});
    expect_values(out2, {0, 0, 4.5, 2.5});
  }
}

TEST(ModuleHooks, FullBackwardHookSeesTheModulesGradients) {
  auto fc = linear_2x3();
  Tensor grad_in, grad_out;
  int calls = 0;
  fc->register_full_backward_hook([&](nn::Module& m, const Tensor& gi, const Tensor& go) {
    EXPECT_EQ(&m, fc.get());
    ++calls;
    grad_in = gi;
    grad_out = go;
  });
  const Tensor x = batch_2x3(true);
  // x also feeds another op: the hook's grad_input is the module's part only.
  const Tensor loss = ((*fc)(x) * tensor(std::vector<double>{1, 2, 3, 4}, {2, 2}, TensorOptions(kFloat64))).sum() +
                      (x * 10).sum();
  loss.backward();
  EXPECT_EQ(calls, 1);
  expect_values(grad_out, {1, 2, 3, 4});
  // grad_out W: [1*1 + 2*4, 1*2 - 2*5, 3 + 2*6] and [3 + 16, 6 - 20, 9 + 24]
  expect_values(grad_in, {9, -8, 15, 19, -14, 33});
  expect_values(x.grad(), {19, 2, 25, 29, -4, 43});
}

TEST(ModuleHooks, BackwardHooksReplaceGradients) {
  auto fc = linear_2x3();
  fc->register_full_backward_pre_hook([](nn::Module&, const Tensor& go) -> std::optional<Tensor> { return go * 2; });
  Tensor seen_grad_out;
  fc->register_full_backward_hook([&](nn::Module&, const Tensor& gi, const Tensor& go) -> std::optional<Tensor> {
    seen_grad_out = go;
    return gi * 0 + 1;
  });
  const Tensor x = batch_2x3(true);
  (*fc)(x).sum().backward();
  expect_values(seen_grad_out, {2, 2, 2, 2});        // after the pre-hook
  expect_values(x.grad(), {1, 1, 1, 1, 1, 1});         // the hook's replacement
  expect_values(fc->bias.grad(), {4, 4});              // the doubled grad_output reached the parameters
  // A replacement of another shape is an error naming both.
  auto bad = linear_2x3();
  bad->register_full_backward_hook(
      [](nn::Module&, const Tensor&, const Tensor&) -> std::optional<Tensor> { return zeros({5}, kFloat64); });
  const Tensor x2 = batch_2x3(true);
  EXPECT_EMBER_ERROR((*bad)(x2).sum().backward(), "full backward hook returned a tensor of shape");
}

TEST(ModuleHooks, BackwardHookWithoutInputGradientAndWithoutRecording) {
  auto fc = linear_2x3();
  int calls = 0;
  bool grad_input_defined = true;
  fc->register_full_backward_hook([&](nn::Module&, const Tensor& gi, const Tensor& go) {
    ++calls;
    grad_input_defined = gi.defined();
    expect_values(go, {1, 1, 1, 1});
  });
  // The input requires no grad (a first layer): PyTorch calls the hook with None.
  (*fc)(batch_2x3()).sum().backward();
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(grad_input_defined);
  // Nothing records under no_grad: no hook, no error.
  {
    NoGradGuard no_grad;
    (*fc)(batch_2x3(true));
  }
  EXPECT_EQ(calls, 1);
  // Identity returns its input: both sides of the hook sit on one tensor.
  auto id = std::make_shared<nn::Identity>();
  Tensor gi_seen, go_seen;
  id->register_full_backward_hook([&](nn::Module&, const Tensor& gi, const Tensor& go) {
    gi_seen = gi;
    go_seen = go;
  });
  const Tensor x = leaf({1, 2, 3}, {3});
  ((*id)(x) * 3).sum().backward();
  expect_values(go_seen, {3, 3, 3});
  expect_values(gi_seen, {3, 3, 3});
  expect_values(x.grad(), {3, 3, 3});
}

TEST(ModuleHooks, EmptyHookIsAnError) {
  auto relu = std::make_shared<nn::ReLU>();
  EXPECT_EMBER_ERROR(relu->register_forward_hook(nn::ForwardHook()), "expected a hook, got an empty function");
}

// The hooked input's alias keeps the storage version of the call: an in-place ReLU before
// the hooked layer (a write before the call) is no later write.
TEST(ModuleHooks, FullBackwardHookAfterAnInPlaceActivation) {
  manual_seed(0);
  auto last = std::make_shared<nn::Linear>(4, 2);
  nn::Sequential net({std::make_shared<nn::Linear>(3, 4), std::make_shared<nn::ReLU>(true), last});
  int calls = 0;
  last->register_full_backward_hook([&](nn::Module&, const Tensor& gi, const Tensor&) {
    ++calls;
    EXPECT_EQ(gi.sizes(), (Dims{5, 4}));
  });
  net(randn({5, 3})).sum().backward();
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace ember
