// Grad modes, inference tensors, version-counter safety and the saved-activation
// ledger: the reference scenarios of the autograd issue.
#include <gtest/gtest.h>

#include <thread>

#include <ember/ember.h>

#include "autograd/saved_variable.h"
#include "support/helpers.h"

namespace ember {
namespace {

using testing::expect_values;

using testing::leaf;

TEST(GradMode, NoGradRecordsNothingAndMixingRecordsAgain) {
  Tensor x = leaf({1, 2}, {2});
  Tensor y;
  {
    NoGradGuard g;
    EXPECT_FALSE(is_grad_enabled());
    y = x * 2.0;
  }
  EXPECT_TRUE(is_grad_enabled());
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EQ(y.grad_fn(), nullptr);
  Tensor z = y * x;  // x requires grad: recorded again outside
  EXPECT_TRUE(z.requires_grad());
  EXPECT_EQ(z.grad_fn()->name(), "MulBackward");
  z.sum().backward();
  expect_values(x.grad(), {2, 4});
}

TEST(GradMode, GuardsNestAndRestore) {
  {
    NoGradGuard a;
    {
      EnableGradGuard b;
      EXPECT_TRUE(is_grad_enabled());
      {
        GradModeGuard c(false);
        EXPECT_FALSE(is_grad_enabled());
      }
      EXPECT_TRUE(is_grad_enabled());
    }
    EXPECT_FALSE(is_grad_enabled());
  }
  EXPECT_TRUE(is_grad_enabled());
  Tensor x = leaf({1}, {1});
  Tensor y = no_grad([&] { return x * 2.0; });
  EXPECT_FALSE(y.requires_grad());
}

TEST(GradMode, NoGradStillCountsVersions) {
  Tensor x = zeros({2}, kFloat64);
  NoGradGuard g;
  EXPECT_EQ(x.version(), 0u);
  x.add_(1.0);
  EXPECT_EQ(x.version(), 1u);
}

TEST(GradMode, IsThreadLocal) {
  NoGradGuard g;
  bool other_thread_enabled = false;
  std::thread t([&] { other_thread_enabled = is_grad_enabled(); });
  t.join();
  EXPECT_TRUE(other_thread_enabled);
  EXPECT_FALSE(is_grad_enabled());
}

TEST(InferenceMode, OutputsAreInferenceTensorsWithoutVersion) {
  Tensor x = leaf({1, 2}, {2});
  Tensor y;
  {
    InferenceModeGuard g;
    EXPECT_TRUE(is_inference_mode_enabled());
    EXPECT_FALSE(is_grad_enabled());
    y = x * 2.0;
    EXPECT_TRUE(y.is_inference());
    y.add_(1.0);  // in-place inside inference mode is fine
  }
  EXPECT_FALSE(is_inference_mode_enabled());
  EXPECT_TRUE(is_grad_enabled());
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EMBER_ERROR(y.version(), "Inference tensors do not track version counter");
  expect_values(y * 1.0, {3, 5});  // functional ops work outside
  EXPECT_EMBER_ERROR(y.add_(1.0), "Inplace update to inference tensor outside InferenceMode is not allowed");
  EXPECT_EMBER_ERROR(y.requires_grad_(true), "inference tensor outside InferenceMode");
  EXPECT_EMBER_ERROR(y * x, "Inference tensors cannot be saved for backward");
}

// PyTorch skips autograd for an op whose inputs are all inference tensors, outside the mode too:
// a layer made and fed in inference mode runs after it, its result a normal tensor without grad.
TEST(InferenceMode, OpsOfInferenceTensorsAloneRecordNothingOutsideIt) {
  Tensor c, x;
  std::shared_ptr<nn::Linear> fc;
  {
    InferenceModeGuard g;
    c = ones({2, 3});
    c.requires_grad_(true);
    fc = std::make_shared<nn::Linear>(3, 2);
    x = ones({4, 3});
  }
  const Tensor y = c * c;
  EXPECT_FALSE(y.requires_grad());
  EXPECT_FALSE(y.is_inference());
  EXPECT_FALSE(y.grad_fn());
  const Tensor v = c.view({6});
  EXPECT_TRUE(v.is_inference());
  EXPECT_FALSE(v.requires_grad());
  EXPECT_FALSE(v.grad_fn());
  const Tensor out = (*fc)(x);
  EXPECT_EQ(out.sizes(), (Dims{4, 2}));
  EXPECT_FALSE(out.requires_grad());
  // With a normal tensor among the inputs it is recorded, and saving the inference one fails.
  Tensor normal = ones({2, 3}).requires_grad_(true);
  EXPECT_EMBER_ERROR(c * normal, "Inference tensors cannot be saved for backward");
}

TEST(InferenceMode, ViewsOfInferenceTensorsAreInferenceTensors) {
  InferenceModeGuard g;
  Tensor y = ones({2, 3});
  EXPECT_TRUE(y.view({6}).is_inference());
  EXPECT_TRUE(y.transpose(0, 1).is_inference());
}

TEST(VersionCounter, InplaceModificationOfSavedTensorFailsBackward) {
  Tensor x = tensor(std::vector<float>{1, 2, 3}, {3}, TensorOptions().requires_grad(true));
  Tensor y = x * 2.0f;
  Tensor z = y.pow(2.0);
  y.mul_(2.0);
  EXPECT_EMBER_ERROR(z.backward(ones({3})),
                     "one of the variables needed for gradient computation has been modified by an inplace "
                     "operation: [torch.FloatTensor [3]], which is output 0 of MulBackward, is at version 1; expected version 0 "
                     "instead.");
}

TEST(VersionCounter, ViewsShareTheCounter) {
  Tensor x = zeros({2, 3});
  Tensor v = x.view({6});
  v.add_(1.0);
  EXPECT_EQ(x.version(), 1u);
  EXPECT_EQ(v.version(), 1u);
}

TEST(Ledger, CountsSavedStoragesAndFreesAfterBackward) {
  const auto base = autograd::saved_tensor_stats();
  Tensor x = randn({256}, TensorOptions(kFloat64).requires_grad(true));
  Tensor y = x.exp();  // saves its output: 2 KiB
  auto during = autograd::saved_tensor_stats();
  EXPECT_EQ(during.current_bytes - base.current_bytes, 256 * 8);
  EXPECT_EQ(during.count - base.count, 1);
  EXPECT_EQ(during.bytes_by_op["ExpBackward"], 256 * 8);
  Tensor z = y * y;  // saves y twice: still one unique storage
  EXPECT_EQ(autograd::saved_tensor_stats().count - base.count, 1);
  z.sum().backward();
  EXPECT_EQ(autograd::saved_tensor_stats().current_bytes, base.current_bytes);
}

TEST(Ledger, NoGrowthUnderNoGradOrInferenceMode) {
  Tensor x = randn({1024}, TensorOptions().requires_grad(true));
  autograd::reset_saved_tensor_peak();
  const auto base = autograd::saved_tensor_stats();
  {
    NoGradGuard g;
    Tensor y = (x.exp() * x).relu().sum();
  }
  {
    InferenceModeGuard g;
    Tensor y = (x.exp() * x).relu().sum();
  }
  auto after = autograd::saved_tensor_stats();
  EXPECT_EQ(after.current_bytes, base.current_bytes);
  EXPECT_EQ(after.peak_bytes, base.current_bytes);
}

TEST(Ledger, PackUnpackHooksSeeEverySavedTensor) {
  int packed = 0, unpacked = 0;
  Tensor x = leaf({1, 2}, {2});
  Tensor y;
  {
    autograd::SavedTensorsHooksGuard hooks(
        [&](const Tensor& t) { ++packed; return t.clone(); },
        [&](const Tensor& t) { ++unpacked; return t; });
    y = (x * x).sum();
  }
  EXPECT_EQ(packed, 2);
  y.backward();
  EXPECT_EQ(unpacked, 2);
  expect_values(x.grad(), {2, 4});
}

TEST(Ledger, ScopesAttributeBytes) {
  Tensor x = randn({128}, TensorOptions(kFloat64).requires_grad(true));
  Tensor y;
  {
    autograd::LedgerScope scope("block1");
    y = x.exp();
  }
  EXPECT_EQ(autograd::saved_tensor_stats().bytes_by_scope["block1"], 128 * 8);
}

// As PyTorch: nothing records inside inference mode, even with grad mode turned back on;
// InferenceModeGuard(false) turns grad mode on as c10::InferenceMode(false) does.
TEST(GradMode, InferenceModeRecordsNothingEvenUnderEnableGrad) {
  const Tensor x = leaf({1, 2}, {2});
  Tensor y;
  {
    InferenceModeGuard inference;
    EnableGradGuard enable;
    EXPECT_TRUE(is_grad_enabled());
    y = (x * x).sum();
  }
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EQ(y.grad_fn(), nullptr);
  EXPECT_EMBER_ERROR(y.backward(), "element 0 of tensors does not require grad and does not have a grad_fn");
  {
    NoGradGuard no_grad;
    InferenceModeGuard off(false);
    EXPECT_TRUE(is_grad_enabled());
    EXPECT_TRUE((x * 2.0).requires_grad());
  }
  {
    InferenceModeGuard on;
    {
      InferenceModeGuard off(false);
      EXPECT_FALSE(is_inference_mode_enabled());
      EXPECT_TRUE((x * 2.0).requires_grad());
    }
    EXPECT_FALSE(is_grad_enabled());
  }
  EXPECT_TRUE(is_grad_enabled());
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

// PyTorch's SavedVariable: the pack hook runs without recording (a hook computing with a
// tensor that requires grad would otherwise save again and call itself without end), and
// one that writes into its input is PyTorch's error rather than a silently wrong gradient.
TEST(SavedTensorHooks, PackRunsWithoutGradAndMayNotWriteItsInput) {
  Tensor scale = testing::leaf({2.0}, {1});
  Tensor x = testing::leaf({3.0}, {1});
  bool grad_mode_inside = true;
  Tensor y;
  {
    autograd::SavedTensorsHooksGuard hooks(
        [&](const Tensor& t) {
          grad_mode_inside = is_grad_enabled();
          return t * scale;
        },
        [&](const Tensor& t) { return t / scale; });
    y = (x * x).sum();
  }
  EXPECT_FALSE(grad_mode_inside);
  y.backward();
  expect_values(x.grad(), {6.0});
  Tensor w = testing::leaf({2.0}, {1});
  Tensor z = w * 1.0;
  autograd::SavedTensorsHooksGuard writes([](const Tensor& t) { return Tensor(t).mul_(10.0); },
                                          [](const Tensor& t) { return t; });
  EXPECT_NE(
      testing::error_of([&] { (void)z.pow(2.0); }).find("A saved tensor pack hook is modifying its input in place"),
      std::string::npos);
}

// An in-place op saves its other operand before writing: one that cannot be saved (an
// inference tensor) is refused while self is untouched, as PyTorch's generated code.
TEST(InferenceTensors, AFailedInPlaceOpLeavesSelfUnchanged) {
  Tensor w = testing::leaf({1.0, 2.0}, {2});
  Tensor n = w * 1.0;
  Tensor five;
  {
    InferenceModeGuard guard;
    five = full({2}, 5.0, kFloat64);
  }
  EXPECT_NE(testing::error_of([&] { n.mul_(five); }).find("Inference tensors cannot be saved for backward"),
            std::string::npos);
  expect_values(n, {1.0, 2.0});
  EXPECT_EQ(n.version(), 0u);
  n.sum().backward();
  expect_values(w.grad(), {1.0, 1.0});
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

// SaveOnCpuGuard (PyTorch's save_on_cpu, Note [Saved tensors on the CPU]) saves a CPU
// tensor as it is: the same gradient, the same ledger bytes, and the version check kept. As
// the innermost guard it wins over an outer pack hook, which then never runs.
TEST(SaveOnCpu, CpuTensorsAreSavedAsTheyAre) {
  Tensor x = testing::leaf({1.0, -2.0, 3.0}, {3});
  const int64_t before = autograd::saved_tensor_stats().current_bytes;
  int packed = 0;
  autograd::SavedTensorsHooksGuard outer([&](const Tensor& t) { return ++packed, t; },
                                         [](const Tensor& t) { return t; });
  Tensor h, y;
  {
    autograd::SaveOnCpuGuard on_cpu;
    h = x * x;          // saves x
    y = (h * h).sum();  // saves h
  }
  EXPECT_EQ(packed, 0);
  EXPECT_EQ(autograd::saved_tensor_stats().current_bytes - before, 2 * 3 * 8);
  y.backward(Tensor(), /*retain_graph=*/true);
  expect_values(x.grad(), {4.0, -32.0, 108.0});  // 4 x^3
  h.mul_(2.0);
  EXPECT_NE(testing::error_of([&] { y.backward(); }).find("modified by an inplace operation"), std::string::npos);
  {
    autograd::SaveOnCpuGuard pinned(/*pin_memory=*/true);
    Tensor z = (x * 3.0).exp().sum();
    x.mutable_grad() = Tensor();
    z.backward();
    EXPECT_LT(testing::max_abs_diff(x.grad(), (x.detach() * 3.0).exp() * 3.0), 1e-12);
  }
}

}  // namespace
}  // namespace ember
