// Channels-last on CUDA: moving a channels-last tensor (or a channels-last model)
// between devices keeps the layout and the values, and a channels-last training step
// on the GPU matches the NCHW one. All skip without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

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
  // A non-dense channels-last view moves as a dense channels-last copy.
  const Tensor sliced = x.contiguous(kCL).slice(3, 0, 5, 2).cuda();
  EXPECT_TRUE(strictly_channels_last(sliced));
  EXPECT_EQ(sliced.cpu().to_vector<float>(), x.slice(3, 0, 5, 2).to_vector<float>());
}

TEST(CudaChannelsLast, LayersMatchNchwOnTheGpu) {
  REQUIRE_CUDA();
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

TEST(CudaChannelsLast, ModelToChannelsLastThenCuda) {
  REQUIRE_CUDA();
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
