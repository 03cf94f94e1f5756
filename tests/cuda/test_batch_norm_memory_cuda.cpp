// Batch norm's memory on CUDA: its backward overwrites the incoming gradient where nothing
// else holds it (Note [Gradients overwritten in backward] in core/native.h), giving the
// gradients of a run that retains every intermediate gradient, and still runs for an input
// that needs no gradient; NCHW training takes no cuDNN workspace of twice or three times x
// (Note [Batch norm's cuDNN workspace] in cuda/cudnn_batch_norm.cpp). Skipped without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

struct BackwardRun {
  std::vector<Tensor> grads;  // conv weight, conv bias, batch norm weight and bias
  Tensor relu_grad;           // retained (retain = true)
  int64_t backward_peak = 0;
};

BackwardRun conv_bn_relu(const Tensor& x, const Tensor& c, bool retain, MemoryFormat format) {
  const Device gpu = Device::cuda(0);
  manual_seed(12);
  nn::Conv2d conv(3, 16, 1);
  nn::BatchNorm2d bn(16);
  conv.to(x.dtype());
  bn.to(x.dtype());
  conv.to(gpu);
  bn.to(gpu);
  if (format == MemoryFormat::ChannelsLast) conv.to(format);
  const Tensor xg = x.cuda().contiguous(format), cg = c.cuda();
  cuda::synchronize();
  memory::empty_cache(gpu);
  const Tensor bn_out = bn(conv(xg));
  const Tensor y = F::relu(bn_out);
  if (retain) {
    bn_out.retain_grad();
    y.retain_grad();
  }
  const Tensor loss = (y * cg).sum();
  cuda::synchronize();
  BackwardRun r;
  memory::reset_peak(gpu);
  const int64_t base = memory::allocated(gpu);
  loss.backward();
  cuda::synchronize();
  r.backward_peak = memory::max_allocated(gpu) - base;
  for (const Tensor& g : {conv.weight.grad(), conv.bias.grad(), bn.weight.grad(), bn.bias.grad()})
    r.grads.push_back(g.cpu());
  if (retain) r.relu_grad = y.grad().cpu();
  return r;
}

TEST(CudaBatchNormMemory, InPlaceBackwardGivesTheRetainedRunsGradients) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const testing::NoTf32 full_float32;  // restored however the test ends
  manual_seed(5);
  for (const DType dtype : {kFloat64, kFloat32}) {
    const Tensor x = randn({8, 3, 24, 24}, dtype), c = randn({8, 16, 24, 24}, dtype);
    for (const MemoryFormat format : {MemoryFormat::Contiguous, MemoryFormat::ChannelsLast}) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + (format == MemoryFormat::ChannelsLast ? " channels-last" : ""));
      const BackwardRun in_place = conv_bn_relu(x, c, false, format);
      const BackwardRun retained = conv_bn_relu(x, c, true, format);
      // Both float64 runs take ember's batch-norm kernels: the same bits. In float32 the
      // retained run's backward (not in place) may be cuDNN's wherever its engine fits the
      // workspace cap (Note [Batch norm's cuDNN workspace]; certainly channels-last, maybe a
      // small NCHW shape like this one): equal within rounding. The convolution's weight
      // gradient is cuDNN's, whose engines need not be deterministic, and sums 4608 positions
      // of an incoming gradient that differs by an ulp where the batch norms differ: within
      // rounding always, 1e-4 in float32.
      const bool same_kernels = dtype == kFloat64;
      const double tol = dtype == kFloat64 ? 1e-12 : 1e-4;
      EXPECT_TRUE(allclose(in_place.grads[0], retained.grads[0], tol, tol)) << "conv weight gradient";
      for (size_t i = 1; i < in_place.grads.size(); ++i) {
        if (same_kernels) {
          EXPECT_TRUE(equal(in_place.grads[i], retained.grads[i])) << "gradient " << i;
        } else {
          EXPECT_TRUE(allclose(in_place.grads[i], retained.grads[i], 1e-4, 1e-4)) << "gradient " << i;
        }
      }
      // The retained gradient ReLU received was not overwritten by ReLU's backward.
      EXPECT_TRUE(equal(retained.relu_grad, c));
      if (format == MemoryFormat::Contiguous) {
        // Two activation-sized gradients (ReLU's and batch norm's input gradients) not
        // allocated; at least one of them asserted.
        const int64_t activation_bytes = 8 * 16 * 24 * 24 * static_cast<int64_t>(itemsize(dtype));
        EXPECT_LE(in_place.backward_peak, retained.backward_peak - activation_bytes)
            << in_place.backward_peak << " in place, " << retained.backward_peak << " retained";
      }
    }
  }
}

TEST(CudaBatchNormMemory, NchwTrainingTakesNoWorkspaceOfTwiceTheInput) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Device gpu = Device::cuda(0);
  manual_seed(6);
  nn::BatchNorm2d bn(16);
  bn.to(gpu);
  const Tensor x = randn({32, 16, 28, 28}).cuda().requires_grad_(true), g = randn({32, 16, 28, 28}).cuda();
  const int64_t x_bytes = 32 * 16 * 28 * 28 * 4;
  cuda::synchronize();
  memory::empty_cache(gpu);
  memory::reset_peak(gpu);
  int64_t base = memory::allocated(gpu);
  const Tensor y = bn(x);
  cuda::synchronize();
  // y and the saved mean and invstd (x's bytes), and at most x's bytes of cuDNN workspace
  // (the cap); its NCHW engines' twice x would make it three times.
  const int64_t slack = 64 << 10;
  const int64_t forward_peak = memory::max_allocated(gpu) - base;
  EXPECT_LE(forward_peak, 2 * x_bytes + slack) << forward_peak;
  memory::reset_peak(gpu);
  base = memory::allocated(gpu);
  y.backward(g);  // g stays the caller's: x's gradient gets a buffer of its own
  cuda::synchronize();
  // x's gradient and the per-channel sums, and at most x's bytes of workspace; the NCHW
  // engines' three times x would make it four times.
  const int64_t backward_peak = memory::max_allocated(gpu) - base;
  EXPECT_LE(backward_peak, 2 * x_bytes + slack) << backward_peak;
  EXPECT_TRUE(x.grad().defined());
}

// An input that needs no gradient (batch norm on raw data; a frozen backbone's features): in
// training, backward gives the weight and bias gradients alone, as on the CPU.
TEST(CudaBatchNormMemory, AnInputWithoutGradStillGivesTheAffineGradients) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(7);
  for (const Dims& sizes : {Dims{16, 6, 5, 7}, Dims{64, 5}}) {
    const Tensor x = randn(sizes, kFloat64), g = randn(sizes, kFloat64);
    std::vector<Tensor> grads[2];
    for (const Device device : {Device::cpu(), Device::cuda(0)}) {
      const Tensor w = (rand({sizes[1]}, kFloat64) + 0.5).to(device).requires_grad_(true);
      const Tensor b = randn({sizes[1]}, kFloat64).to(device).requires_grad_(true);
      const Tensor rm = zeros({sizes[1]}, TensorOptions(kFloat64).device(device));
      const Tensor rv = ones({sizes[1]}, TensorOptions(kFloat64).device(device));
      const Tensor y = F::batch_norm(x.to(device), rm, rv, w, b, true, 0.1, 1e-5);
      (y * g.to(device)).sum().backward();
      grads[device.is_cuda()] = {w.grad().cpu(), b.grad().cpu(), rm.cpu(), rv.cpu()};
    }
    for (size_t i = 0; i < grads[0].size(); ++i) EXPECT_TRUE(allclose(grads[1][i], grads[0][i], 1e-12, 1e-12)) << i;
  }
}

}  // namespace
}  // namespace ember
