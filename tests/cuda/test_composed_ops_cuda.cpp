// Ops composed of other ops' kernels on CUDA (embedding with padding_idx, one_hot, flip,
// roll, tile, repeat, x.index / index_put_ / take / put_, 16-bit rand): values and gradients
// equal to the CPU's. Skipped without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <functional>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

TEST(CudaComposedOps, EmbeddingAndOneHotMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(2);
  const Tensor w = randn({6, 5});
  const Tensor i = tensor(std::vector<int64_t>{5, 0, 2, 2, 4, 1, 2, 0}, {2, 4});
  const Tensor g = randn({2, 4, 5});
  auto run = [&](Device device) {
    const Tensor wd = w.to(device).detach().requires_grad_(true);
    const Tensor y = F::embedding(i.to(device), wd, 2);
    (y * g.to(device)).sum().backward();
    return std::vector<Tensor>{y.detach().cpu(), wd.grad().cpu()};
  };
  const auto cpu = run(Device::cpu()), gpu = run(Device::cuda(0));
  EXPECT_TRUE(equal(cpu[0], gpu[0]));
  EXPECT_LT(testing::max_abs_diff(cpu[1], gpu[1]), 1e-6);
  EXPECT_TRUE(equal(F::one_hot(i, 7), F::one_hot(i.cuda(), 7).cpu()));
}

TEST(CudaComposedOps, FlipRollTileRepeatMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(4);
  const Tensor x = randn({3, 4, 5}, kFloat64);
  const std::vector<std::function<Tensor(const Tensor&)>> fns{
      [](const Tensor& a) { return a.flip({0, 2}); },
      [](const Tensor& a) { return a.roll({2, -1}, {1, 2}); },
      [](const Tensor& a) { return a.roll({7}); },
      [](const Tensor& a) { return a.tile({2, 1}); },
      [](const Tensor& a) { return a.repeat({2, 1, 1, 3}); },
  };
  for (size_t k = 0; k < fns.size(); ++k) {
    SCOPED_TRACE(k);
    const Tensor xc = x.detach().requires_grad_(true), xg = x.cuda().detach().requires_grad_(true);
    const Tensor yc = fns[k](xc), yg = fns[k](xg);
    EXPECT_TRUE(equal(yc.detach(), yg.detach().cpu()));
    const Tensor g = randn(yc.sizes(), kFloat64);
    (yc * g).sum().backward();
    (yg * g.cuda()).sum().backward();
    EXPECT_LT(testing::max_abs_diff(xc.grad(), xg.grad().cpu()), 1e-12);
  }
}

TEST(CudaComposedOps, AdvancedIndexingMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  using indexing::Slice;
  manual_seed(6);
  const Tensor x = randn({4, 5, 3}, kFloat64);
  const Tensor rows = tensor({3, 0, 3, -1}), cols = tensor({1, 4, 4, 0});
  auto run = [&](Device device) {
    const Tensor xd = x.to(device).detach().requires_grad_(true);
    const Tensor picked = xd.index({rows, Slice(), cols});  // apart: [4, 5]
    const Tensor masked = xd.index({xd.detach() > 0.5});
    (picked.sum() + masked.sum() * 2.0).backward();
    Tensor written = zeros({4, 5, 3}, TensorOptions(kFloat64).device(device));
    written.index_put_({rows, Slice(), cols}, ones({4, 5}, TensorOptions(kFloat64).device(device)), true);
    written.put_(tensor({0, 59}).to(device), full({2}, 7.0, TensorOptions(kFloat64).device(device)));
    return std::vector<Tensor>{picked.detach().cpu(), masked.detach().cpu(), xd.grad().cpu(), written.cpu(),
                               xd.detach().take(tensor({5, -2}).to(device)).cpu()};
  };
  const auto cpu = run(Device::cpu()), gpu = run(Device::cuda(0));
  for (size_t k = 0; k < cpu.size(); ++k) {
    SCOPED_TRACE(k);
    EXPECT_TRUE(equal(cpu[k], gpu[k]));
  }
  EXPECT_EMBER_ERROR(x.cuda().index({tensor({4})}), "index 4 is out of bounds for dimension 0 with size 4");
}

// 16-bit rand and uniform_ stay below 1 on CUDA too (Note [Uniform draws of 16-bit floats]).
TEST(CudaComposedOps, SixteenBitUniformDrawsStayBelowOne) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(7);
  for (DType dtype : {kFloat16, kBFloat16}) {
    const Tensor u = rand({1 << 20}, TensorOptions(dtype).device(Device::cuda(0)));
    EXPECT_LT(u.max().item<double>(), 1.0);
    EXPECT_GE(u.min().item<double>(), 0.0);
    Tensor v = empty({1 << 20}, TensorOptions(dtype).device(Device::cuda(0)));
    v.uniform_();
    EXPECT_LT(v.max().item<double>(), 1.0);
  }
}

// This session's device-reaching changes against the CPU: digamma / trigamma just below the
// poles (the functors' reflection), polygamma of higher orders (float64 tensor ops), 16-bit
// attention in float32, 16-bit embedding_bag sums, max_norm's in-place row scatter, and float32
// bicubic taps (Note [Resampling by taps]).
TEST(CudaComposedOps, SpecialMathAttentionAndResamplingMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(8);
  const Tensor near_poles = tensor(std::vector<double>{-1e-12, -1.000000000001, -2.5, 0.25, 7.0}, {5});
  const Tensor q = randn({2, 4, 8, 16}).to(kBFloat16), k = randn({2, 4, 8, 16}).to(kBFloat16);
  const Tensor v = randn({2, 4, 8, 16}).to(kBFloat16);
  const Tensor image = rand({1, 2, 9, 13});
  auto run = [&](Device device) {
    const TensorOptions on = TensorOptions().device(device);
    manual_seed(9);
    Tensor table = (randn({6, 4}, kFloat64) * 3.0).to(device);
    const Tensor looked_up = F::embedding(tensor({1, 4, 1}).to(device), table, {.max_norm = 1.0});
    return std::vector<Tensor>{
        digamma(near_poles.to(device)).cpu(),
        polygamma(1, near_poles.to(device)).cpu(),
        polygamma(3, near_poles.to(device)).cpu(),
        F::scaled_dot_product_attention(q.to(device), k.to(device), v.to(device)).cpu(),
        F::embedding_bag(zeros({1, 600}, TensorOptions(kInt64).device(device)), ones({2, 3}, on.dtype(kBFloat16)),
                         {.mode = "sum"})
            .cpu(),
        looked_up.cpu(),
        table.cpu(),
        F::interpolate(image.to(device), {}, {1.5, 1.7}, "bicubic").cpu()};
  };
  const auto cpu = run(Device::cpu()), gpu = run(Device::cuda(0));
  const std::vector<double> tolerance{1e-12, 1e-12, 1e-12, 1e-2, 0.0, 1e-12, 1e-12, 1e-5};
  for (size_t i = 0; i < cpu.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(allclose(cpu[i].to(kFloat64), gpu[i].to(kFloat64), tolerance[i], tolerance[i], /*equal_nan=*/true));
  }
  EXPECT_EQ(gpu[4][0][0].item<double>(), 600.0);  // summed in float32, rounded once
}

}  // namespace
}  // namespace ember
