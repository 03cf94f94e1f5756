// Channels-last on CUDA: moving a channels-last tensor (or a channels-last model)
// between devices keeps the layout and the values, conv2d and batch_norm (NHWC straight
// to cuDNN) match NCHW forward and backward, and a channels-last training step on the
// GPU matches the NCHW one. All skip without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <functional>
#include <utility>
#include <vector>

#include "cuda/cudnn.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::NoTf32;

namespace F = nn::functional;
constexpr auto kCL = MemoryFormat::ChannelsLast;

#define REQUIRE_CUDA() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

bool strictly_channels_last(const Tensor& t) { return t.is_contiguous(kCL) && !t.is_contiguous(); }


TEST(CudaChannelsLast, DeviceCopiesKeepTheLayout) {
  REQUIRE_CUDA();
  const Tensor x = randn({2, 3, 4, 5});
  const Tensor on_gpu = x.contiguous(kCL).cuda();
  EXPECT_TRUE(strictly_channels_last(on_gpu));
  const Tensor back = on_gpu.cpu();
  EXPECT_TRUE(strictly_channels_last(back));
  EXPECT_EQ(back.to_vector<float>(), x.to_vector<float>());
  // A non-dense channels-last view moves as a dense channels-last copy. (Every other row:
  // strides [60, 1, 30, 3] still order C, W, H, N. Every other column of the odd W = 5
  // would not: [60, 1, 15, 6] is not channels-last by PyTorch's rule, nor by ember's.)
  const Tensor sliced = x.contiguous(kCL).slice(2, 0, 4, 2).cuda();
  EXPECT_TRUE(strictly_channels_last(sliced));
  EXPECT_EQ(sliced.cpu().to_vector<float>(), x.slice(2, 0, 4, 2).to_vector<float>());
}

TEST(CudaChannelsLast, LayersMatchNchwOnTheGpu) {
  REQUIRE_CUDA();
  const NoTf32 full_float32;
  const Tensor x = randn({4, 3, 8, 8}).cuda(), w = randn({6, 3, 3, 3}).cuda();
  const Tensor xcl = x.contiguous(kCL);
  const Tensor conv = F::conv2d(xcl, w, Tensor(), 1, 1);
  EXPECT_TRUE(strictly_channels_last(conv));
  EXPECT_TRUE(allclose(conv.cpu(), F::conv2d(x, w, Tensor(), 1, 1).cpu(), 1e-4, 1e-4));
  const Tensor bn = F::batch_norm(conv, Tensor(), Tensor(), Tensor(), Tensor(), true);
  EXPECT_TRUE(strictly_channels_last(bn));
  const Tensor pooled = F::max_pool2d(F::relu(bn), 2);
  EXPECT_TRUE(strictly_channels_last(pooled));
  const Tensor want = F::max_pool2d(F::relu(F::batch_norm(F::conv2d(x, w, Tensor(), 1, 1), Tensor(), Tensor(),
                                                          Tensor(), Tensor(), true)),
                                    2);
  EXPECT_TRUE(allclose(pooled.cpu(), want.cpu(), 1e-4, 1e-5));
}

// conv2d and batch_norm hand NHWC operands straight to cuDNN (Note [Channels-last layers]):
// forward and backward equal the NCHW run's, at odd sizes and with a size-1 spatial dim
// (whose stride cuDNN is told as a dense NHWC tensor's), and the weight's gradient is laid
// out like the weight.
TEST(CudaChannelsLast, ConvAndBatchNormGradientsMatchNchw) {
  REQUIRE_CUDA();
  const NoTf32 full_float32;
  for (const Dims& shape : {Dims{3, 5, 7, 9}, Dims{2, 4, 1, 6}}) {
    SCOPED_TRACE(::testing::Message() << "x " << shape);
    manual_seed(9);
    const Tensor x0 = randn(shape).cuda(), w0 = randn({6, shape[1], 3, 3}).cuda();
    const Tensor gamma0 = rand({6}).cuda(), beta0 = randn({6}).cuda();
    const Tensor g = randn({shape[0], 6, shape[2], shape[3]}).cuda();
    auto run = [&](MemoryFormat format) {
      const Tensor x = x0.detach().contiguous(format).requires_grad_(true);
      const Tensor w = w0.detach().contiguous(format).requires_grad_(true);
      const Tensor gamma = gamma0.clone().requires_grad_(true), beta = beta0.clone().requires_grad_(true);
      const Tensor rm = zeros({6}).cuda(), rv = ones({6}).cuda();
      const Tensor y = F::batch_norm(F::conv2d(x, w, Tensor(), 1, 1), rm, rv, gamma, beta, true);
      EXPECT_EQ(strictly_channels_last(y), format == kCL);
      (y * g).sum().backward();
      EXPECT_TRUE(w.grad().is_contiguous(format));
      return std::vector<Tensor>{y.detach().cpu(), x.grad().cpu(), w.grad().cpu(), gamma.grad().cpu(),
                                 beta.grad().cpu(), rm.cpu(), rv.cpu()};
    };
    const std::vector<Tensor> nchw = run(MemoryFormat::Contiguous), nhwc = run(kCL);
    const char* names[] = {"y", "grad x", "grad w", "grad gamma", "grad beta", "running mean", "running var"};
    for (size_t i = 0; i < nchw.size(); ++i) {
      EXPECT_TRUE(allclose(nhwc[i], nchw[i], 1e-4, 1e-4)) << names[i];
    }
  }
}

// Pooling walks channels-last operands in place: max (overlapping padded windows, ties),
// average and adaptive average, forward and backward, give the NCHW run's values exactly
// (the same sums in the same order), with max pooling's indices kept like its output.
TEST(CudaChannelsLast, PoolingMatchesNchwExactly) {
  REQUIRE_CUDA();
  // Small integers: many ties in every window.
  const std::vector<double> values = testing::random_values(3 * 5 * 9 * 7, 8);
  std::vector<float> ints;
  for (double v : values) ints.push_back(static_cast<float>(static_cast<int>(v * 2)));
  const Tensor x0 = tensor(ints, {3, 5, 9, 7}).cuda();
  const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> pools{
      {"max 3/2/1", [](const Tensor& t) { return F::max_pool2d(t, 3, 2, 1); }},
      {"max 2", [](const Tensor& t) { return F::max_pool2d(t, 2); }},
      {"avg 3/2/1", [](const Tensor& t) { return F::avg_pool2d(t, 3, 2, 1); }},
      {"adaptive 4x3", [](const Tensor& t) { return F::adaptive_avg_pool2d(t, {4, 3}); }},
      // [3, 5, 1, 1] outputs (NCHW and NHWC at once) from an NHWC input: operands of two layouts.
      {"adaptive 1x1", [](const Tensor& t) { return F::adaptive_avg_pool2d(t, 1); }},
      {"max 9x7", [](const Tensor& t) { return F::max_pool2d(t, {9, 7}); }}};
  for (const auto& [name, pool] : pools) {
    SCOPED_TRACE(name);
    auto run = [&](MemoryFormat format) {
      const Tensor x = x0.detach().contiguous(format).requires_grad_(true);
      const Tensor y = pool(x);
      if (y.size(2) * y.size(3) > 1) {  // a 1x1 output is both layouts
        EXPECT_EQ(strictly_channels_last(y), format == kCL);
      }
      const Tensor g = tensor(testing::random_values(y.numel(), 9), y.sizes(), kFloat32).cuda();
      (y * g).sum().backward();
      EXPECT_TRUE(x.grad().is_contiguous(format));
      return std::pair{y.detach().cpu().contiguous(), x.grad().cpu().contiguous()};
    };
    const auto [y_nchw, gx_nchw] = run(MemoryFormat::Contiguous);
    const auto [y_nhwc, gx_nhwc] = run(kCL);
    EXPECT_TRUE(equal(y_nhwc, y_nchw));
    EXPECT_TRUE(equal(gx_nhwc, gx_nchw));
  }
}

TEST(CudaChannelsLast, ModelToChannelsLastThenCuda) {
  REQUIRE_CUDA();
  const NoTf32 full_float32;
  auto make = [] {
    return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
        std::make_shared<nn::Conv2d>(3, 8, 3, nn::Conv2dOptions{.padding = 1}), std::make_shared<nn::BatchNorm2d>(8),
        std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2), std::make_shared<nn::Flatten>(),
        std::make_shared<nn::Linear>(8 * 4 * 4, 5)});
  };
  manual_seed(3);
  auto nchw = make();
  manual_seed(3);
  auto cl = make();
  nchw->to(Device::cuda(0));
  cl->to(kCL);
  cl->to(Device::cuda(0));  // the device move keeps the channels-last weights
  const Tensor& conv_w = static_cast<nn::Conv2d&>(*(*cl)[0]).weight;
  EXPECT_TRUE(conv_w.is_cuda());
  EXPECT_TRUE(strictly_channels_last(conv_w));
  optim::SGD sgd_nchw(nchw->parameters(), {.lr = 0.05, .momentum = 0.9});
  optim::SGD sgd_cl(cl->parameters(), {.lr = 0.05, .momentum = 0.9});
  const Tensor x = randn({8, 3, 8, 8}).cuda(), targets = randint(0, 5, {8}).cuda();
  for (int step = 0; step < 2; ++step) {
    const Tensor loss_nchw = F::cross_entropy((*nchw)(x), targets);
    const Tensor loss_cl = F::cross_entropy((*cl)(x.contiguous(kCL)), targets);
    EXPECT_NEAR(loss_cl.item<double>(), loss_nchw.item<double>(), 1e-4) << "step " << step;
    sgd_nchw.zero_grad();
    sgd_cl.zero_grad();
    loss_nchw.backward();
    loss_cl.backward();
    EXPECT_TRUE(strictly_channels_last(conv_w.grad()));
    sgd_nchw.step();
    sgd_cl.step();
  }
}

}  // namespace
}  // namespace ember
