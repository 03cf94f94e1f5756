// Models cast to bfloat16 or float16 outside autocast (Note [16-bit layers outside autocast]
// in nn/functional/args.h): batch norm, softmax and the class losses run in float32 and
// round back once, so each is its float32 twin on the same values, rounded; a small CNN
// after Module::half() / bfloat16() trains and evaluates with every tensor 16-bit.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/distributed/sync_batchnorm.h"
#include "nn/functional.h"
#include "nn/memory_modes.h"
#include "support/helpers.h"
#include "support/model_cases.h"

namespace ember {
namespace {

namespace F = nn::functional;

const DType kSixteenBit[] = {kBFloat16, kFloat16};

Tensor normal(const Dims& shape, uint32_t seed, DType dtype) {
  return tensor(testing::random_values(shape_numel(shape), seed), shape, kFloat64).to(dtype);
}

// a and b: the same dtype and shape, bit-for-bit the same values.
void expect_same_values(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.dtype(), b.dtype());
  ASSERT_EQ(a.sizes(), b.sizes());
  EXPECT_TRUE(equal(a, b)) << "max difference " << testing::max_abs_diff(a.to(kFloat64), b.to(kFloat64));
}

TEST(SixteenBitModels, TensorAndModuleSpellings) {
  const Tensor x = ones({2, 3});
  EXPECT_EQ(x.half().dtype(), kFloat16);
  EXPECT_EQ(x.bfloat16().dtype(), kBFloat16);
  EXPECT_EQ(x.half().half().dtype(), kFloat16);
  nn::Linear linear(3, 2);
  linear.half();
  EXPECT_EQ(linear.weight.dtype(), kFloat16);
  EXPECT_EQ(linear.bias.dtype(), kFloat16);
  nn::BatchNorm1d norm(3);
  norm.bfloat16();
  EXPECT_EQ(norm.weight.dtype(), kBFloat16);
  EXPECT_EQ(norm.running_var.dtype(), kBFloat16);
  EXPECT_EQ(norm.num_batches_tracked.dtype(), kInt64);  // integer buffers stay
}

// softmax and log_softmax: the input's dtype out, the float32 results of the same values
// rounded once, and the gradients the float32 ones rounded.
TEST(SixteenBitModels, SoftmaxIsFloat32SoftmaxRoundedOnce) {
  for (DType dtype : kSixteenBit) {
    SCOPED_TRACE(dtype_name(dtype));
    for (bool log : {false, true}) {
      const auto op = [log](const Tensor& t) { return log ? F::log_softmax(t, 1) : F::softmax(t, 1); };
      const Tensor x = (normal({4, 7, 3}, 1, dtype) * 4.0).requires_grad_(true);
      const Tensor g = normal({4, 7, 3}, 2, dtype);
      const Tensor out = op(x);
      (out * g).sum().backward();
      const Tensor x32 = x.detach().to(kFloat32).requires_grad_(true);
      const Tensor out32 = op(x32);
      out32.backward(g.to(kFloat32));
      expect_same_values(out, out32.detach().to(dtype));
      expect_same_values(x.grad(), x32.grad().to(dtype));
    }
  }
}

// cross_entropy (class indices with a 16-bit class weight and label smoothing, or class
// probabilities) and nll_loss: a 16-bit loss, float32's on the same values rounded once.
TEST(SixteenBitModels, ClassLossesAreFloat32LossesRoundedOnce) {
  const Tensor targets = tensor(std::vector<int64_t>{0, 4, 2, 4, 1}, {5});
  for (DType dtype : kSixteenBit) {
    SCOPED_TRACE(dtype_name(dtype));
    const Tensor weight = normal({5}, 3, dtype).abs() + 0.5;
    const Tensor probabilities = F::softmax(normal({5, 5}, 4, dtype), 1);
    const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&, const Tensor&)>>> losses{
        {"cross_entropy",
         [&](const Tensor& x, const Tensor& w) {
           return F::cross_entropy(x, targets, F::ClassLossOptions{.weight = w, .label_smoothing = 0.1});
         }},
        {"cross_entropy with probabilities",
         [&](const Tensor& x, const Tensor&) { return F::cross_entropy(x, probabilities); }},
        {"nll_loss", [&](const Tensor& x, const Tensor& w) {
           return F::nll_loss(F::log_softmax(x, 1), targets, F::ClassLossOptions{.weight = w});
         }}};
    for (const auto& [name, loss_of] : losses) {
      SCOPED_TRACE(name);
      const Tensor x = normal({5, 5}, 5, dtype).requires_grad_(true);
      const Tensor loss = loss_of(x, weight);
      ASSERT_EQ(loss.dtype(), dtype);
      loss.backward();
      const Tensor x32 = x.detach().to(kFloat32).requires_grad_(true);
      const Tensor loss32 = loss_of(x32, weight.to(kFloat32));
      loss32.backward();
      // nll_loss of a 16-bit log_softmax rounds in between: within 16-bit rounding there.
      const double tol = std::string(name) == "nll_loss" ? 2e-2 : 0.0;
      EXPECT_LE(testing::max_abs_diff(loss.to(kFloat64), loss32.detach().to(dtype).to(kFloat64)),
                tol * std::abs(loss32.item<double>()));
      EXPECT_LE(testing::max_abs_diff(x.grad().to(kFloat64), x32.grad().to(dtype).to(kFloat64)), tol);
    }
    // The class weight in the input's dtype, as PyTorch's.
    EXPECT_EMBER_ERROR(F::cross_entropy(normal({5, 5}, 5, dtype), targets, F::ClassLossOptions{.weight = ones({5})}),
                       "expected scalar type");
  }
}

// Batch norm with 16-bit input, parameters and running statistics (module.half()), training
// then eval, NCHW and channels-last: the float32 layer on the same values, rounded once;
// the running statistics updated in float32 and rounded once; every gradient 16-bit.
TEST(SixteenBitModels, BatchNormIsFloat32BatchNormRoundedOnce) {
  for (DType dtype : kSixteenBit) {
    for (MemoryFormat format : {MemoryFormat::Contiguous, MemoryFormat::ChannelsLast}) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + (format == MemoryFormat::ChannelsLast ? " channels-last" : ""));
      nn::BatchNorm2d norm(3);
      {
        NoGradGuard no_grad;
        norm.weight.copy_(tensor(std::vector<double>{0.5, 1.5, -1.0}, {3}));
        norm.bias.copy_(tensor(std::vector<double>{0.25, -0.5, 1.0}, {3}));
      }
      nn::BatchNorm2d norm32(3);
      testing::copy_batch_norm_state(norm, norm32);
      norm.to(dtype);
      for (bool training : {true, false}) {
        SCOPED_TRACE(training ? "training" : "eval");
        norm.train(training);
        norm32.train(training);
        const Tensor x = (normal({4, 3, 5, 3}, 6, dtype) * 3.0 + 1.0).contiguous(format).requires_grad_(true);
        const Tensor g = normal({4, 3, 5, 3}, 7, dtype);
        const Tensor out = norm(x);
        ASSERT_EQ(out.dtype(), dtype);
        EXPECT_TRUE(out.is_contiguous(format));
        (out * g).sum().backward();
        const Tensor x32 = x.detach().to(kFloat32).requires_grad_(true);
        const Tensor out32 = norm32(x32);
        out32.backward(g.to(kFloat32));
        expect_same_values(out, out32.detach().to(dtype));
        expect_same_values(x.grad(), x32.grad().to(dtype));
        expect_same_values(norm.weight.grad(), norm32.weight.grad().to(dtype));
        expect_same_values(norm.bias.grad(), norm32.bias.grad().to(dtype));
        ASSERT_EQ(norm.running_mean.dtype(), dtype);
        expect_same_values(norm.running_mean, norm32.running_mean.to(dtype));
        expect_same_values(norm.running_var, norm32.running_var.to(dtype));
        // The float32 twin goes on from the rounded statistics, as the 16-bit layer does.
        {
          NoGradGuard no_grad;
          norm32.running_mean.copy_(norm.running_mean);
          norm32.running_var.copy_(norm.running_var);
        }
        norm.zero_grad();
        norm32.zero_grad();
      }
      EXPECT_EQ(norm.num_batches_tracked.item<int64_t>(), 1);
    }
  }
}

// conv2d of 16-bit operands (Note [16-bit convolution chunk by chunk] in core/cpu/conv.cpp):
// the input widened chunk by chunk, so each result is float32's on the same values rounded
// once, bit for bit, forward and every gradient; with groups, stride, padding, dilation and
// a batch several chunks long, NCHW and channels-last.
TEST(SixteenBitModels, ConvolutionIsFloat32ConvolutionRoundedOnce) {
  for (DType dtype : kSixteenBit) {
    for (MemoryFormat format : {MemoryFormat::Contiguous, MemoryFormat::ChannelsLast}) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + (format == MemoryFormat::ChannelsLast ? " channels-last" : ""));
      const Tensor x = (normal({40, 4, 24, 24}, 21, dtype) * 2.0).contiguous(format).requires_grad_(true);
      const Tensor w = normal({6, 2, 3, 3}, 22, dtype).requires_grad_(true);
      const Tensor b = normal({6}, 23, dtype).requires_grad_(true);
      const Tensor out = F::conv2d(x, w, b, 1, 2, 2, 2);
      ASSERT_EQ(out.dtype(), dtype);
      const Tensor g = normal(out.sizes(), 24, dtype);
      out.backward(g);
      const Tensor x32 = x.detach().to(kFloat32).requires_grad_(true);
      const Tensor w32 = w.detach().to(kFloat32).requires_grad_(true);
      const Tensor b32 = b.detach().to(kFloat32).requires_grad_(true);
      const Tensor out32 = F::conv2d(x32, w32, b32, 1, 2, 2, 2);
      out32.backward(g.to(kFloat32));
      expect_same_values(out, out32.detach().to(dtype));
      expect_same_values(x.grad(), x32.grad().to(dtype));
      expect_same_values(w.grad(), w32.grad().to(dtype));
      expect_same_values(b.grad(), b32.grad().to(dtype));
    }
  }
}

// The no_grad forward peak of the model make() builds, evaluating an input of `shape`, in
// each 16-bit dtype: at most 0.6x float32's (the model and its input cast alike).
void expect_no_grad_peak_about_half(const std::function<std::shared_ptr<nn::Module>()>& make, const Dims& shape) {
  const auto no_grad_peak = [&](DType dtype) {
    manual_seed(5);
    const std::shared_ptr<nn::Module> model = make();
    model->to(dtype);
    model->eval();
    const memory::ModeMeasurement m = memory::measure_modes(*model, normal(shape, 25, dtype))[2];
    EXPECT_STREQ(memory::run_mode_name(m.mode), "eval_no_grad");
    return m.forward_peak_bytes;
  };
  const int64_t f32 = no_grad_peak(kFloat32);
  for (DType dtype : kSixteenBit) {
    SCOPED_TRACE(dtype_name(dtype));
    const int64_t peak = no_grad_peak(dtype);
    EXPECT_LE(peak, f32 * 6 / 10) << peak << " bytes, float32 " << f32;
  }
}

// Evaluating a 16-bit model holds about half of float32's bytes: no layer (convolution,
// batch norm, pooling) makes a float32 copy of a whole activation.
TEST(SixteenBitModels, NoGradPeakIsAboutHalfOfFloat32s) {
  expect_no_grad_peak_about_half([] { return testing::one_block_cnn(16, 28, 10, 0.0); }, {256, 1, 28, 28});
}

// An MLP's too: linear layers multiply 16-bit operands in float32 blocks (Note [16-bit
// products in blocks] in core/cpu/gemm.cpp), not on float32 copies of whole activations.
TEST(SixteenBitModels, MlpNoGradPeakIsAboutHalfOfFloat32s) {
  expect_no_grad_peak_about_half(
      [] {
        return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
            std::make_shared<nn::Linear>(512, 2048), std::make_shared<nn::ReLU>(),
            std::make_shared<nn::Linear>(2048, 512)});
      },
      {512, 512});
}

// 16-bit products large enough to go by several blocks (Note [16-bit products in blocks] in
// core/cpu/gemm.cpp): partial row and column blocks, batch groups with a remainder, a
// transposed operand, a shared (stride-0) one, addmm's beta != 0 with a transposed input,
// and a long k. Each result is float32's product of the widened operands, rounded once,
// within the float32 rounding that differs between BLAS block shapes.
TEST(SixteenBitModels, ProductsInBlocksAreFloat32ProductsRoundedOnce) {
  for (DType dtype : kSixteenBit) {
    SCOPED_TRACE(dtype_name(dtype));
    const double two_ulps = dtype == kBFloat16 ? 1.0 / 64 : 1.0 / 512;
    const auto expect_rounded_float32 = [&](const Tensor& got, const Tensor& want32, const char* what) {
      ASSERT_EQ(got.dtype(), dtype) << what;
      // The float32 sums of the two block shapes differ by float32 roundings of the partial
      // sums (values of about 20): absolutely, a few 16-bit ulps of 1 near 0.
      EXPECT_TRUE(allclose(got.to(kFloat64), want32.to(dtype).to(kFloat64), two_ulps, two_ulps))
          << what << ": " << testing::max_abs_diff(got.to(kFloat64), want32.to(dtype).to(kFloat64));
    };
    const Tensor a = normal({1300, 300}, 71, dtype), b = normal({300, 1100}, 72, dtype);
    expect_rounded_float32(matmul(a, b), matmul(a.to(kFloat32), b.to(kFloat32)), "matmul");
    expect_rounded_float32(matmul(b.t(), a.t()), matmul(b.to(kFloat32).t(), a.to(kFloat32).t()), "transposed");
    const Tensor batched = normal({37, 70, 300}, 73, dtype), shared = normal({300, 150}, 74, dtype);
    expect_rounded_float32(matmul(batched, shared), matmul(batched.to(kFloat32), shared.to(kFloat32)), "shared b");
    const Tensor c = normal({1100, 1300}, 75, dtype).t();
    expect_rounded_float32(addmm(c, a, b, 0.5, 2.0), addmm(c.to(kFloat32), a.to(kFloat32), b.to(kFloat32), 0.5, 2.0),
                           "addmm");
    const Tensor long_a = normal({40, 9000}, 76, dtype), long_b = normal({9000, 30}, 77, dtype);
    expect_rounded_float32(matmul(long_a, long_b), matmul(long_a.to(kFloat32), long_b.to(kFloat32)), "long k");
  }
}

// Every layer a 16-bit model may hold (testing::sixteen_bit_layer_cases), forward and
// backward in bfloat16 and float16: the input's dtype out and in the gradient, and the
// float32 layer's values on the same numbers within a few 16-bit roundings.
TEST(SixteenBitModels, EveryLayerRunsIn16BitCloseToFloat32) {
  const auto ops = testing::sixteen_bit_layer_cases();
  const Tensor x64 = randn({2, 4, 6, 6}, kFloat64);
  std::vector<std::string> failures;
  for (DType dtype : kSixteenBit)
    for (const auto& [name, op] : ops) {
      const std::string what = name + " " + std::string(dtype_name(dtype));
      try {
        const Tensor x = x64.to(dtype).requires_grad_(true);
        const Tensor y = op(x);
        const Tensor x32 = x64.to(dtype).to(kFloat32).requires_grad_(true);
        const Tensor y32 = op(x32);
        if (y.dtype() != dtype) {
          failures.push_back(what + ": output " + std::string(dtype_name(y.dtype())));
          continue;
        }
        const Tensor g = randn(y.sizes(), kFloat64).to(dtype);
        y.backward(g);
        y32.backward(g.to(kFloat32));
        if (x.grad().dtype() != dtype) {
          failures.push_back(what + ": grad dtype");
          continue;
        }
        const double tol = dtype == kBFloat16 ? 0.05 : 0.01;
        const double ey =
            testing::max_abs_diff(y.to(kFloat64), y32.to(kFloat64)) / (1 + y32.abs().max().item<double>());
        const double eg = testing::max_abs_diff(x.grad().to(kFloat64), x32.grad().to(kFloat64)) /
                          (1 + x32.grad().abs().max().item<double>());
        if (!(ey <= tol) || !(eg <= 2 * tol))
          failures.push_back(what + ": error " + std::to_string(ey) + " / " + std::to_string(eg));
      } catch (const std::exception& e) {
        failures.push_back(what + ": " + e.what());
      }
    }
  for (const std::string& f : failures) ADD_FAILURE() << f;
}

// backward(g) with g of another dtype than the 16-bit output: the engine casts it to the
// output's dtype first, as PyTorch's, so batch norm's kernels read a 16-bit gradient.
TEST(SixteenBitModels, ARootGradientOfAnotherDtypeIsCastToTheOutputs) {
  for (DType dtype : kSixteenBit) {
    SCOPED_TRACE(dtype_name(dtype));
    nn::BatchNorm2d norm(3);
    norm.to(dtype);
    const Tensor x = normal({2, 3, 4, 4}, 16, dtype);
    const Tensor g = normal({2, 3, 4, 4}, 17, kFloat64);
    const Tensor a = x.detach().requires_grad_(true), b = x.detach().requires_grad_(true);
    norm(a).backward(g);
    norm(b).backward(g.to(dtype));
    ASSERT_EQ(a.grad().dtype(), dtype);
    expect_same_values(a.grad(), b.grad());
  }
}

// The consuming eval forward (Sequential in eval under no_grad hands batch norm an input
// nothing else holds) normalizes a 16-bit input in place: forward's values.
TEST(SixteenBitModels, ConsumingEvalForwardNormalizesInPlace) {
  for (DType dtype : kSixteenBit) {
    SCOPED_TRACE(dtype_name(dtype));
    nn::BatchNorm2d norm(3);
    {
      NoGradGuard no_grad;
      norm.running_mean.copy_(tensor(std::vector<double>{0.5, -1.0, 2.0}, {3}));
      norm.running_var.copy_(tensor(std::vector<double>{2.0, 0.5, 4.0}, {3}));
    }
    norm.to(dtype);
    norm.eval();
    NoGradGuard no_grad;
    const Tensor x = normal({2, 3, 5, 5}, 18, dtype);
    const Tensor expected = norm.forward(x);
    Tensor consumed = x.clone();
    const void* storage = consumed.data_ptr();
    const Tensor out = norm.forward_consuming(std::move(consumed));
    EXPECT_EQ(out.data_ptr(), storage);  // in place
    expect_same_values(out, expected);
  }
}

// A 16-bit input into float32 parameters and statistics (a model cast in part): the output
// is 16-bit, the float32 running statistics are updated in float32 as for a float32 input.
TEST(SixteenBitModels, BatchNormOfA16BitInputWithFloat32Statistics) {
  for (DType dtype : kSixteenBit) {
    SCOPED_TRACE(dtype_name(dtype));
    nn::BatchNorm1d norm(4), norm32(4);
    const Tensor x = normal({6, 4}, 8, dtype);
    const Tensor out = norm(x);
    const Tensor out32 = norm32(x.to(kFloat32));
    ASSERT_EQ(out.dtype(), dtype);
    expect_same_values(out, out32.detach().to(dtype));
    ASSERT_EQ(norm.running_mean.dtype(), kFloat32);
    expect_same_values(norm.running_mean, norm32.running_mean);
    expect_same_values(norm.running_var, norm32.running_var);
  }
}

// Under autocast batch norm and sync batch norm return their input's dtype, as PyTorch's
// (neither is on an autocast list: Note [Autocast]), whatever the statistics' dtype.
TEST(SixteenBitModels, AutocastLeavesBatchNormInItsInputsDtype) {
  nn::BatchNorm1d norm(4);
  norm.bfloat16();
  AutocastGuard autocast(Device::cpu(), kBFloat16);
  const Tensor x = normal({6, 4}, 9, kBFloat16);
  const Tensor out = norm(x);
  EXPECT_EQ(out.dtype(), kBFloat16);
  EXPECT_EQ(norm.running_mean.dtype(), kBFloat16);
  EXPECT_EQ(norm.num_batches_tracked.item<int64_t>(), 1);
  EXPECT_EQ(F::sync_batch_norm(x, zeros({4}), ones({4})).dtype(), kBFloat16);
  EXPECT_EQ(F::sync_batch_norm(x.to(kFloat16), zeros({4}), ones({4})).dtype(), kFloat16);
}

// sync_batch_norm (its local path here, one process) takes a 16-bit input the same way:
// batch_norm's output and running statistics within 16-bit rounding.
TEST(SixteenBitModels, SyncBatchNormTakes16BitInput) {
  for (DType dtype : kSixteenBit) {
    SCOPED_TRACE(dtype_name(dtype));
    const Tensor x = normal({6, 3, 4}, 12, dtype) * 2.0 + 1.0;
    const Tensor w = normal({3}, 13, dtype).requires_grad_(true);
    const Tensor mean = zeros({3}, dtype), var = ones({3}, dtype);
    const Tensor out = F::sync_batch_norm(x, mean, var, w);
    ASSERT_EQ(out.dtype(), dtype);
    ASSERT_EQ(mean.dtype(), dtype);
    const Tensor mean_ref = zeros({3}, dtype), var_ref = ones({3}, dtype);
    const Tensor ref = F::batch_norm(x, mean_ref, var_ref, w.detach(), Tensor(), true);
    EXPECT_LT(testing::max_abs_diff(out.to(kFloat64), ref.to(kFloat64)), 0.05);
    EXPECT_LT(testing::max_abs_diff(mean.to(kFloat64), mean_ref.to(kFloat64)), 0.01);
    EXPECT_LT(testing::max_abs_diff(var.to(kFloat64), var_ref.to(kFloat64)), 0.02);
    EXPECT_GT(testing::max_abs_diff(mean.to(kFloat64), zeros({3}, kFloat64)), 0.01);  // updated
    out.sum().backward();
    ASSERT_TRUE(w.grad().defined());
    EXPECT_EQ(w.grad().dtype(), dtype);
  }
}

// instance_norm composes batch_norm and group_norm: both take a 16-bit input now.
TEST(SixteenBitModels, InstanceNormTakes16BitInput) {
  for (DType dtype : kSixteenBit) {
    SCOPED_TRACE(dtype_name(dtype));
    const Tensor x = normal({2, 3, 6}, 10, dtype);
    const Tensor running_mean = zeros({3}, dtype), running_var = ones({3}, dtype);
    const Tensor out = F::instance_norm(x, running_mean, running_var);
    ASSERT_EQ(out.dtype(), dtype);
    const Tensor mean32 = zeros({3}), var32 = ones({3});
    const Tensor out32 = F::instance_norm(x.to(kFloat32), mean32, var32);
    EXPECT_LT(testing::max_abs_diff(out.to(kFloat64), out32.to(kFloat64)), 0.02);
    EXPECT_LT(testing::max_abs_diff(running_mean.to(kFloat64), mean32.to(kFloat64)), 1e-2);
    EXPECT_GT(testing::max_abs_diff(running_mean.to(kFloat64), zeros({3}, kFloat64)), 0.0);  // updated
  }
}

// The fused optimizers on 16-bit parameters (Note [16-bit optimizer steps] in
// core/optim_stored.h): the state in the parameter's dtype, and a first step equal to the
// float32 step on the same values rounded once; a second step close to float32's.
TEST(SixteenBitModels, OptimizersStep16BitParametersThroughFloat) {
  for (DType dtype : kSixteenBit) {
    for (const auto& [name, make] : testing::fused_optimizers()) {
      SCOPED_TRACE(name + " " + std::string(dtype_name(dtype)));
      Tensor p = normal({37}, 14, dtype).requires_grad_(true);
      Tensor p32 = p.detach().to(kFloat32).requires_grad_(true);
      auto opt = make({p});
      auto opt32 = make({p32});
      for (int step = 0; step < 2; ++step) {
        const Tensor g = normal({37}, 15 + step, dtype);
        p.mutable_grad() = g;
        p32.mutable_grad() = g.to(kFloat32);
        opt->step();
        opt32->step();
        ASSERT_EQ(p.dtype(), dtype);
        if (step == 0) {
          expect_same_values(p.detach(), p32.detach().to(dtype));
        } else {  // the 16-bit state was rounded after the first step: within a few 16-bit ulps
          const double ulp = dtype == kBFloat16 ? 0x1p-8 : 0x1p-11;
          EXPECT_LE(testing::max_abs_diff(p.detach().to(kFloat64), p32.detach().to(kFloat64)),
                    4 * ulp * (1.0 + p32.detach().abs().max().item<double>()));
        }
      }
      int state_tensors = 0;
      for (const auto& [key, value] : opt->state_dict()) {
        if (key.rfind("state.", 0) != 0 || value.numel() != 37) continue;
        EXPECT_EQ(value.dtype(), dtype) << key;
        ++state_tensors;
      }
      EXPECT_GE(state_tensors, 1);
    }
  }
}

// Loaded optimizer state is checked as the 16-bit parameter will keep it: a finite float32
// value past float16's range would be inf there, PyTorch's silent overflow, here an error
// (a value already inf in the state dict loads, as a diverged run saved it).
TEST(SixteenBitModels, LoadedStateMustFitTheParametersDtype) {
  Tensor p = normal({4}, 19, kFloat16).requires_grad_(true);
  optim::Adam adam({p});
  p.mutable_grad() = normal({4}, 20, kFloat16);
  adam.step();
  nn::StateDict state = adam.state_dict();
  for (auto& [key, value] : state)
    if (key == "state.0.exp_avg_sq") value = full({4}, 1e6);  // float32
  optim::Adam fresh({p.detach().requires_grad_(true)});
  EXPECT_EMBER_ERROR(fresh.load_state_dict(state), "which is inf once stored in the parameter's float16");
  for (auto& [key, value] : state)
    if (key == "state.0.exp_avg_sq") value = full({4}, 1e3);  // fits
  fresh.load_state_dict(state);
  for (auto& [key, value] : state)
    if (key == "state.0.exp_avg_sq") value = full({4}, std::numeric_limits<double>::infinity());  // saved so
  fresh.load_state_dict(state);
}

// The small CNN after half() / bfloat16(): training steps keep every parameter, gradient and
// buffer in the dtype and lower the loss on a fixed batch; eval under inference mode records
// nothing; the eval logits are the float32 model's (same rounded weights) within 16-bit error.
TEST(SixteenBitModels, SmallCnnTrainsAndEvaluatesIn16Bit) {
  for (DType dtype : kSixteenBit) {
    SCOPED_TRACE(dtype_name(dtype));
    manual_seed(3);
    auto model = testing::one_block_cnn(8, 8, 5, 0.25);
    if (dtype == kFloat16)
      model->half();
    else
      model->bfloat16();
    const Tensor x = normal({16, 1, 8, 8}, 11, dtype);
    const Tensor y = tensor(std::vector<int64_t>{0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0}, {16});
    optim::SGD sgd(model->parameters(), optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
    std::vector<double> losses;
    for (int step = 0; step < 8; ++step) {
      sgd.zero_grad();
      const Tensor loss = F::cross_entropy((*model)(x), y);
      ASSERT_EQ(loss.dtype(), dtype);
      loss.backward();
      sgd.step();
      losses.push_back(loss.item<double>());
    }
    for (const Tensor& p : model->parameters()) {
      EXPECT_EQ(p.dtype(), dtype);
      EXPECT_EQ(p.grad().dtype(), dtype);
    }
    for (const auto& [name, b] : model->named_buffers()) EXPECT_TRUE(b.dtype() == dtype || b.dtype() == kInt64) << name;
    EXPECT_TRUE(std::isfinite(losses.back()));
    EXPECT_LT(losses.back(), 0.5 * losses.front()) << losses.front() << " -> " << losses.back();

    model->eval();
    Tensor logits;
    {
      InferenceModeGuard inference;
      logits = (*model)(x);
    }
    EXPECT_EQ(logits.dtype(), dtype);
    EXPECT_FALSE(logits.requires_grad());
    auto model32 = testing::one_block_cnn(8, 8, 5, 0.25);
    model32->to(dtype);
    model32->load_state_dict(model->state_dict());
    model32->to(kFloat32);  // the 16-bit values, widened
    model32->eval();
    const Tensor logits32 = (*model32)(x.to(kFloat32));
    const double scale = logits32.abs().max().item<double>();
    EXPECT_LT(testing::max_abs_diff(logits.to(kFloat64), logits32.to(kFloat64)), 0.05 * scale + 0.05);
  }
}

}  // namespace
}  // namespace ember
