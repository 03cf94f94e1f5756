// Optimizer step hooks (Note [Optimizer step hooks]): PyTorch's order of global and
// per-optimizer pre and post hooks, what each sees, removal, step(closure) and LBFGS running
// them once, and a throwing step or hook.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "nn/optim/adam.h"
#include "nn/optim/lbfgs.h"
#include "nn/optim/sgd.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;

// Removes a hook when the test ends, also when an ASSERT returns early (a global hook left
// registered would write into this test's dead locals at a later test's step).
struct ScopedHook {
  optim::OptimizerHookHandle handle;
  ~ScopedHook() { handle.remove(); }
};

Tensor param_with_grad(double value, double grad) {
  Tensor p = tensor({value}, TensorOptions(kFloat64).requires_grad(true));
  p.mutable_grad() = tensor({grad}, dtype(kFloat64));
  return p;
}

TEST(OptimizerStepHooks, RunInPyTorchsOrderAroundTheUpdate) {
  Tensor p = param_with_grad(1.0, 0.5);
  optim::SGD sgd({p}, {.lr = 0.1});
  std::vector<std::string> calls;
  std::vector<double> seen;
  ScopedHook global_pre{
      optim::register_optimizer_step_pre_hook([&](optim::Optimizer&) { calls.push_back("global pre"); })};
  ScopedHook global_post{
      optim::register_optimizer_step_post_hook([&](optim::Optimizer&) { calls.push_back("global post"); })};
  auto pre1 = sgd.register_step_pre_hook([&](optim::Optimizer& o) {
    EXPECT_EQ(&o, &sgd);
    calls.push_back("pre 1");
    seen.push_back(p.item<double>());
  });
  auto pre2 = sgd.register_step_pre_hook([&](optim::Optimizer&) { calls.push_back("pre 2"); });
  auto post = sgd.register_step_post_hook([&](optim::Optimizer&) {
    calls.push_back("post");
    seen.push_back(p.item<double>());
  });
  sgd.step();
  EXPECT_EQ(calls, (std::vector<std::string>{"global pre", "pre 1", "pre 2", "post", "global post"}));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_DOUBLE_EQ(seen[0], 1.0);   // before the update
  EXPECT_DOUBLE_EQ(seen[1], 0.95);  // after it
  global_pre.handle.remove();
  global_post.handle.remove();
  pre2.remove();
  pre2.remove();  // again: a no-op
  calls.clear();
  sgd.step();
  EXPECT_EQ(calls, (std::vector<std::string>{"pre 1", "post"}));
  EXPECT_NE(pre1.id(), post.id());
}

// A pre hook may change the gradients the step reads (clipping, scaling).
TEST(OptimizerStepHooks, PreHookChangesTheGradientTheStepReads) {
  Tensor p = param_with_grad(1.0, 4.0);
  optim::Adam adam({p}, {.lr = 0.1});
  adam.register_step_pre_hook([&](optim::Optimizer&) { p.grad().zero_(); });
  adam.step();
  expect_values(p, {1.0}, 0);  // Adam with a zero gradient leaves p
}

// Global hooks see every optimizer; step(closure) and LBFGS run the hooks once, the pre
// hooks before the closure.
TEST(OptimizerStepHooks, ClosureStepsRunThemOnce) {
  Tensor p = tensor({3.0}, TensorOptions(kFloat64).requires_grad(true));
  std::vector<std::string> calls;
  ScopedHook pre{optim::register_optimizer_step_pre_hook([&](optim::Optimizer&) { calls.push_back("pre"); })};
  ScopedHook post{optim::register_optimizer_step_post_hook([&](optim::Optimizer&) { calls.push_back("post"); })};
  const auto closure_of = [&](optim::Optimizer& o) {
    return [&] {
      calls.push_back("closure");
      o.zero_grad();
      Tensor loss = (p * p).sum();
      loss.backward();
      return loss;
    };
  };
  optim::SGD sgd({p}, {.lr = 0.1});
  sgd.step(closure_of(sgd));
  EXPECT_EQ(calls, (std::vector<std::string>{"pre", "closure", "post"}));
  calls.clear();
  optim::LBFGS lbfgs({p}, {.lr = 1, .max_iter = 2});
  lbfgs.step(closure_of(lbfgs));
  ASSERT_GE(calls.size(), 3u);
  EXPECT_EQ(calls.front(), "pre");
  EXPECT_EQ(calls[1], "closure");
  EXPECT_EQ(calls.back(), "post");
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "pre"), 1);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "post"), 1);
}

// A step that throws runs no post hook; a throwing pre hook stops the step before any update,
// and the next step runs the hooks again.
TEST(OptimizerStepHooks, ThrowingStepsAndHooks) {
  Tensor p = param_with_grad(1.0, 0.5);
  optim::SGD sgd({p}, {.lr = 0.1});
  int posts = 0;
  bool refuse = true;
  sgd.register_step_post_hook([&](optim::Optimizer&) { ++posts; });
  auto pre = sgd.register_step_pre_hook([&](optim::Optimizer&) {
    if (refuse) throw Error("refused by the hook");
  });
  EXPECT_EMBER_ERROR(sgd.step(), "refused by the hook");
  expect_values(p, {1.0}, 0);
  EXPECT_EQ(posts, 0);
  refuse = false;
  sgd.step();
  EXPECT_EQ(posts, 1);
  p.mutable_grad() = tensor({0.5f}, dtype(kFloat32));  // a grad of another dtype: the step throws
  EXPECT_EMBER_ERROR(sgd.step(), "assigned grad has data of a different type");
  EXPECT_EQ(posts, 1);
  EXPECT_EMBER_ERROR(sgd.register_step_pre_hook(nullptr), "expected a callable hook");
}

// A handle outlives its optimizer: remove() is then a no-op.
TEST(OptimizerStepHooks, HandleOutlivesTheOptimizer) {
  optim::OptimizerHookHandle handle;
  {
    Tensor p = param_with_grad(1.0, 0.5);
    optim::SGD sgd({p}, {.lr = 0.1});
    handle = sgd.register_step_post_hook([](optim::Optimizer&) {});
  }
  handle.remove();
  SUCCEED();
}

}  // namespace
}  // namespace ember
