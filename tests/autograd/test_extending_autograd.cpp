// PyTorch's "Extending PyTorch" note and saved-tensor hooks tutorial, where ember differed:
// mark_dirty moves the input's version on (a raw write is seen), an empty optional argument
// is not an input (libtorch's numbering), one backward at a time per custom node, a deep
// reentrant backward stops with an Error, gradcheck's reentrancy check, pack hooks that see
// the tensor itself, a hooked leaf under create_graph, and save_on_cpu(pin_memory) of CPU
// tensors.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using autograd::AutogradContext;
using autograd::tensor_list;

Tensor leaf(std::vector<double> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return tensor(v, Dims{n}, kFloat64).requires_grad_(true);
}

// A "custom kernel" that doubles its input through the raw pointer, as a CUDA extension does.
struct RawDouble : autograd::Function<RawDouble> {
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    double* p = x.data_ptr<double>();
    for (int64_t i = 0; i < x.numel(); ++i) p[i] *= 2.0;
    ctx->mark_dirty({x});
    return x;
  }
  static tensor_list backward(AutogradContext*, tensor_list g) { return {g[0] * 2.0}; }
};

TEST(ExtendingAutograd, MarkDirtyMovesTheVersionOn) {
  const Tensor x0 = leaf({1, 2}), w = leaf({5, 7});
  Tensor x = x0 * 1.0;
  const Tensor y = x * w;  // saves x for w's gradient
  const uint32_t before = x.version();
  const Tensor doubled = RawDouble::apply(x);
  EXPECT_GT(x.version(), before);
  // w's gradient would read the doubled x: PyTorch's error, not [2, 4].
  EXPECT_EMBER_ERROR(y.sum().backward(), "modified by an inplace operation");
  // Without recording too (libtorch bumps it either way).
  Tensor z = tensor(std::vector<double>{1, 2}, Dims{2}, kFloat64);
  const uint32_t z_before = z.version();
  RawDouble::apply(z);
  EXPECT_GT(z.version(), z_before);
  EXPECT_TRUE(equal(z, tensor(std::vector<double>{2, 4}, Dims{2}, kFloat64)));
}

struct OptionalFirst : autograd::Function<OptionalFirst> {
  static std::vector<bool> seen;
  static Tensor forward(AutogradContext* ctx, const std::optional<Tensor>& bias, const Tensor& x, const Tensor& w) {
    seen = {ctx->needs_input_grad(0), ctx->needs_input_grad(1)};
    ctx->save_for_backward({w});
    return bias ? x * w + *bias : x * w;
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list g) {
    const Tensor w = ctx->get_saved_variables()[0];
    return {Tensor(), ctx->needs_input_grad(0) ? g[0] * w : Tensor(), Tensor()};
  }
};
std::vector<bool> OptionalFirst::seen;

TEST(ExtendingAutograd, AnEmptyOptionalIsNotAnInput) {
  const Tensor x = leaf({1, 2});
  const Tensor w = tensor(std::vector<double>{3, 4}, Dims{2}, kFloat64);
  OptionalFirst::apply(std::optional<Tensor>(), x, w).sum().backward();
  // libtorch numbers the edges: x is input 0, w input 1.
  EXPECT_EQ(OptionalFirst::seen, (std::vector<bool>{true, false}));
  EXPECT_TRUE(equal(x.grad(), w));
}

struct Slow : autograd::Function<Slow> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return x * x;
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list g) {
    const Tensor x = ctx->get_saved_variables()[0];
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    return {g[0] * 2.0 * ctx->get_saved_variables()[0] + 0.0 * x};
  }
};

TEST(ExtendingAutograd, OneBackwardAtATimeThroughACustomNode) {
  const Tensor x = leaf({1, 2, 3});
  const Tensor y = Slow::apply(x).sum();
  std::atomic<int> errors{0}, right{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      try {
        const Tensor g = autograd::grad({y}, {x}, {}, /*retain_graph=*/true)[0];
        if (equal(g, tensor(std::vector<double>{2, 4, 6}, Dims{3}, kFloat64))) ++right;
      } catch (const std::exception&) {
        ++errors;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(right.load(), 4);
}

// libtorch's DeepReentrant: each backward runs the function's backward again, one level down.
struct DeepReenter : autograd::Function<DeepReenter> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    {
      EnableGradGuard grad;
      ctx->saved_data["x"] = x.detach().clone().requires_grad_(true) - 1.0;
    }
    return ctx->saved_data["x"].toTensor().detach();
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list g) {
    if (ctx->saved_data["x"].toTensor().item<double>() <= 0) return g;
    {
      EnableGradGuard grad;
      apply(ctx->saved_data["x"].toTensor()).sum().backward();
    }
    return g;
  }
};

TEST(ExtendingAutograd, DeepReentrantBackwardStopsWithAnError) {
  const Tensor shallow = tensor(std::vector<double>{50}, Dims{1}, kFloat64).requires_grad_(true);
  DeepReenter::apply(shallow).sum().backward();
  EXPECT_TRUE(equal(shallow.grad(), ones({1}, dtype(kFloat64))));
  // Far deeper than any stack holds: an Error (Note [Deep reentrant backward]), not a crash.
  const Tensor deep = tensor(std::vector<double>{1e7}, Dims{1}, kFloat64).requires_grad_(true);
  EXPECT_EMBER_ERROR(DeepReenter::apply(deep).sum().backward(), "has nearly used up the thread's stack");
  // The thread works on afterwards.
  const Tensor again = tensor(std::vector<double>{20}, Dims{1}, kFloat64).requires_grad_(true);
  DeepReenter::apply(again).sum().backward();
  EXPECT_TRUE(equal(again.grad(), ones({1}, dtype(kFloat64))));
}

int drift_calls = 0;
struct Drift : autograd::Function<Drift> {
  static Tensor forward(AutogradContext*, const Tensor& a) { return a * 2.0; }
  static tensor_list backward(AutogradContext*, tensor_list g) {
    ++drift_calls;
    return {g[0] * (2.0 + 1e-7 * drift_calls)};
  }
};

TEST(ExtendingAutograd, GradcheckFindsABackwardThatIsNotReentrant) {
  const Tensor x = rand({4}, dtype(kFloat64)).requires_grad_(true);
  autograd::GradcheckOptions options;
  options.raise_exception = false;
  const auto fn = [](const tensor_list& in) { return Drift::apply(in[0]); };
  const autograd::GradcheckResult result = autograd::gradcheck_report(fn, {x}, options);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.message.find("Backward is not reentrant"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("The tolerance for nondeterminism was 0"), std::string::npos) << result.message;
  options.nondet_tol = 1e-4;
  EXPECT_TRUE(autograd::gradcheck_report(fn, {x}, options).ok);
  options.raise_exception = true;
  options.nondet_tol = 0;
  EXPECT_EMBER_ERROR(autograd::gradcheck(fn, {x}, options), "gradcheck failed: Backward is not reentrant");
}

TEST(ExtendingAutograd, PackHooksSeeTheTensorItself) {
  const Tensor a = leaf({1, 2, 3});
  const Tensor b = a * 2.0;
  std::vector<std::string> seen;
  Tensor y;
  {
    autograd::SavedTensorsHooksGuard hooks(
        [&](const Tensor& t) {
          seen.push_back(std::string(t.requires_grad() ? "grad" : "no grad") + (t.grad_fn() ? " history" : " leaf"));
          return t;
        },
        [](const Tensor& t) { return t; });
    y = a * b;  // saves both
  }
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_NE(std::find(seen.begin(), seen.end(), "grad leaf"), seen.end());
  EXPECT_NE(std::find(seen.begin(), seen.end(), "grad history"), seen.end());
  y.sum().backward();
  EXPECT_TRUE(equal(a.grad(), 4.0 * a.detach()));  // d(2a^2)/da
}

TEST(ExtendingAutograd, AHookedLeafUnderCreateGraphUsesTheUnpackedValue) {
  // The tutorial's clone hooks: the leaf changed in place after saving; backward uses the copy.
  Tensor x = leaf({1, 2, 3});
  Tensor y;
  {
    autograd::SavedTensorsHooksGuard hooks([](const Tensor& t) { return t.clone(); },
                                           [](const Tensor& t) { return t; });
    y = x.pow(2.0);
  }
  {
    NoGradGuard no_grad;
    x.mul_(10.0);
  }
  const Tensor g = autograd::grad({y.sum()}, {x}, {}, /*retain_graph=*/true, /*create_graph=*/true)[0];
  EXPECT_TRUE(equal(g.detach(), tensor(std::vector<double>{2, 4, 6}, Dims{3}, kFloat64)));
  // The second derivative still reaches the leaf.
  const Tensor gg = autograd::grad({g.sum()}, {x})[0];
  EXPECT_TRUE(equal(gg, full({3}, 2.0, dtype(kFloat64))));
}

TEST(ExtendingAutograd, SaveOnCpuWithPinnedMemoryCopiesCpuTensors) {
  for (const bool pin_memory : {false, true}) {
    SCOPED_TRACE(pin_memory ? "pin_memory" : "no pin_memory");
    const Tensor x0 = leaf({1, 2, 3});
    Tensor x = x0 * 1.0;
    Tensor y;
    {
      autograd::SaveOnCpuGuard save_on_cpu(pin_memory);
      y = x.pow(2.0);
    }
    {
      NoGradGuard no_grad;
      x.mul_(10.0);
    }
    if (pin_memory) {  // PyTorch's copy into a pinned buffer: backward uses the saved values
      y.sum().backward();
      EXPECT_TRUE(equal(x0.grad(), tensor(std::vector<double>{2, 4, 6}, Dims{3}, kFloat64)));
    } else {  // kept as it is, with the version check
      EXPECT_EMBER_ERROR(y.sum().backward(), "modified by an inplace operation");
    }
  }
}

}  // namespace
}  // namespace ember
