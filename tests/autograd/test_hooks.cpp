// Post-accumulate-grad hooks and end-of-backward callbacks (Note [Gradient-ready hooks]).
#include <gtest/gtest.h>

#include "support/helpers.h"

namespace ember {
namespace {

TEST(PostAccumulateGradHook, RunsAfterTheGradientIsInGradOncePerBackward) {
  Tensor w = ones({3}).requires_grad_();
  std::vector<std::vector<float>> seen;
  const uint64_t handle =
      autograd::register_post_accumulate_grad_hook(w, [&](const Tensor& leaf) { seen.push_back(leaf.grad().to_vector<float>()); });
  (w * 2.0).sum().backward();
  (w * 3.0 + w).sum().backward();  // w used twice: still one hook call, after the sum
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::vector<float>(3, 2.0f));
  EXPECT_EQ(seen[1], std::vector<float>(3, 6.0f));
  autograd::remove_post_accumulate_grad_hook(w, handle);
  (w * 2.0).sum().backward();
  EXPECT_EQ(seen.size(), 2u);
}

TEST(PostAccumulateGradHook, NotRunByAutogradGrad) {
  Tensor w = ones({2}).requires_grad_();
  int calls = 0;
  autograd::register_post_accumulate_grad_hook(w, [&](const Tensor&) { ++calls; });
  autograd::grad({(w * 2.0).sum()}, {w});
  EXPECT_EQ(calls, 0);
}

TEST(PostAccumulateGradHook, QueuedCallbacksRunWhenBackwardEnds) {
  Tensor a = ones({2}).requires_grad_(), b = ones({2}).requires_grad_();
  std::vector<std::string> events;
  auto hook = [&](const Tensor&) {
    events.push_back("hook");
    if (events.size() == 1)
      autograd::queue_callback([&] {
        events.push_back("end");
        autograd::queue_callback([&] { events.push_back("chained"); });
      });
  };
  autograd::register_post_accumulate_grad_hook(a, hook);
  autograd::register_post_accumulate_grad_hook(b, hook);
  (a * b).sum().backward();
  EXPECT_EQ(events, (std::vector<std::string>{"hook", "hook", "end", "chained"}));
  EXPECT_FALSE(autograd::in_backward());
}

TEST(PostAccumulateGradHook, Errors) {
  EXPECT_EMBER_ERROR(autograd::queue_callback([] {}), "no backward is running");
  EXPECT_EMBER_ERROR(autograd::register_post_accumulate_grad_hook(ones({1}), [](const Tensor&) {}),
                     "cannot register a hook on a tensor that doesn't require gradient");
  Tensor w = ones({1}).requires_grad_();
  EXPECT_EMBER_ERROR(autograd::register_post_accumulate_grad_hook(w * 2.0, [](const Tensor&) {}),
                     "post accumulate grad hooks cannot be registered on non-leaf tensors");
}

}  // namespace
}  // namespace ember
