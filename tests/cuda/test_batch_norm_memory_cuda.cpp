// Batch norm's memory on CUDA: its backward overwrites the incoming gradient where nothing
// else holds it (Note [Gradients overwritten in backward] in core/native.h), giving the
// gradients of a run that retains every intermediate gradient; NCHW training takes no cuDNN
// workspace of twice or three times x (Note [Batch norm's cuDNN workspace] in
// cuda/cudnn_batch_norm.cpp). Skipped without a GPU.
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
  cudnn::set_allow_tf32(false);
  manual_seed(5);
  for (const DType dtype : {kFloat64, kFloat32}) {
    const Tensor x = randn({8, 3, 24, 24}, dtype), c = randn({8, 16, 24, 24}, dtype);
    for (const MemoryFormat format : {MemoryFormat::Contiguous, MemoryFormat::ChannelsLast}) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + (format == MemoryFormat::ChannelsLast ? " channels-last" : ""));
      const BackwardRun in_place = conv_bn_relu(x, c, false, format);
      const BackwardRun retained = conv_bn_relu(x, c, true, format);
      // Both runs take ember's kernels, except float32 channels-last, where the retained run's
      // backward may be cuDNN's (it is not in place): equal within rounding there.
      const bool same_kernels = dtype == kFloat64 || format == MemoryFormat::Contiguous;
      for (size_t i = 0; i < in_place.grads.size(); ++i) {
        if (same_kernels) {
          EXPECT_TRUE(equal(in_place.grads[i], retained.grads[i])) << "gradient " << i;
        } else {
          EXPECT_TRUE(allclose(in_place.grads[i], retained.grads[i], 1e-4, 1e-4)) << "gradient " << i;
        }
      }
      // The retained ReLU gradient (the incoming one of batch norm's backward) was not overwritten.
      EXPECT_TRUE(equal(retained.relu_grad, c));
      if (format == MemoryFormat::Contiguous) {
        // Two activation-sized gradients (ReLU's and batch norm's input gradients) not allocated.
        const int64_t activation_bytes = 8 * 16 * 24 * 24 * static_cast<int64_t>(itemsize(dtype));
        EXPECT_LE(in_place.backward_peak, retained.backward_peak - activation_bytes)
            << in_place.backward_peak << " in place, " << retained.backward_peak << " retained";
      }
    }
  }
  cudnn::set_allow_tf32(true);
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
  // y and the saved mean and invstd; cuDNN's NCHW engines would add twice x's bytes.
  const int64_t forward_peak = memory::max_allocated(gpu) - base;
  EXPECT_LT(forward_peak, x_bytes + x_bytes / 2) << forward_peak;
  memory::reset_peak(gpu);
  base = memory::allocated(gpu);
  y.backward(g);  // g stays the caller's: x's gradient gets a buffer of its own
  cuda::synchronize();
  // x's gradient and the per-channel sums; cuDNN's NCHW engines would add three times x's bytes.
  const int64_t backward_peak = memory::max_allocated(gpu) - base;
  EXPECT_LT(backward_peak, x_bytes + x_bytes / 2) << backward_peak;
  EXPECT_TRUE(x.grad().defined());
}

}  // namespace
}  // namespace ember
