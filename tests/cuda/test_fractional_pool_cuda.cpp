// On CUDA: fractional_max_pool2d/3d (window starts from the samples with tensor ops, then
// gathers), multilabel_margin_loss, triplet_margin_with_distance_loss, AdaptiveLogSoftmaxWithLoss
// and the parameter containers, against the CPU in float64 and float32. Skipped without a GPU.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <tuple>
#include <vector>

#include "support/cuda_parity.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

TEST(CudaFractionalPool, MatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(7);
  for (const DType dt : {kFloat64, kFloat32}) {
    SCOPED_TRACE(dtype_name(dt));
    // Rounded values give ties, so the first-largest rule is exercised too.
    const Tensor x2 = (randn({3, 4, 11, 13}, kFloat64) * 4).round().to(dt);
    const Tensor s2 = rand({3, 4, 2}, dtype(dt));
    // float32: overlapping windows add their gradients with atomics, in any order.
    const double tol = dt == kFloat32 ? 1e-5 : 1e-12;
    testing::expect_cuda_matches_cpu(
        {x2},
        [&](const auto& in) {
          return F::fractional_max_pool2d(in[0], {3, 2},
                                          {.output_size = {5, 7}, .random_samples = s2.to(in[0].device())});
        },
        tol);
    const Tensor x3 = (randn({2, 3, 6, 7, 8}, kFloat64) * 4).round().to(dt);
    const Tensor s3 = rand({2, 3, 3}, dtype(dt));
    testing::expect_cuda_matches_cpu(
        {x3},
        [&](const auto& in) {
          return F::fractional_max_pool3d(in[0], 2, {.output_ratio = 0.6, .random_samples = s3.to(in[0].device())});
        },
        tol);
    // The indices too, and a NaN.
    Tensor xn = x2.clone();
    xn.select(0, 1).select(0, 2).select(0, 5).fill_(NAN);
    auto [oc, ic] = F::fractional_max_pool2d_with_indices(xn, 2, {.output_size = 6, .random_samples = s2});
    auto [og, ig] =
        F::fractional_max_pool2d_with_indices(xn.cuda(), 2, {.output_size = 6, .random_samples = s2.cuda()});
    testing::expect_same(ic, ig);
    testing::expect_same(oc, og);
  }
  // Samples drawn on the device: the output is the input gathered at the indices.
  const Tensor x = randn({2, 3, 16, 16}).cuda();
  nn::FractionalMaxPool2d pool(3, {.output_ratio = 0.5});
  auto [out, indices] = pool.forward_with_indices(x);
  EXPECT_TRUE(out.is_cuda());
  EXPECT_EQ(out.sizes(), (Dims{2, 3, 8, 8}));
  EXPECT_TRUE(equal(out.flatten(2), x.flatten(2).gather(2, indices.flatten(2))));
  // ... from the generator: the same seed draws the same windows, another seed others, and
  // every index is a position of the 16 x 16 plane
  const auto indices_with_seed = [&](uint64_t seed) {
    manual_seed(seed);
    return std::get<1>(pool.forward_with_indices(x)).cpu();
  };
  const Tensor first = indices_with_seed(3);
  EXPECT_TRUE(equal(first, indices_with_seed(3)));
  EXPECT_FALSE(equal(first, indices_with_seed(4)));
  EXPECT_TRUE((first.ge(0) & first.lt(256)).all().item<bool>());
  // Given samples move with the layer (a buffer) and give the CPU's windows.
  manual_seed(2);
  const Tensor y = randn({2, 3, 9, 9});
  nn::FractionalMaxPool2d fixed(2, {.output_size = 4, .random_samples = rand({2, 3, 2})});
  const Tensor on_cpu = fixed(y);
  fixed.to(Device::cuda(0));
  EXPECT_TRUE(fixed.random_samples.is_cuda());
  testing::expect_same(on_cpu, fixed(y.cuda()));
}

TEST(CudaMarginLosses, MultiLabelAndTripletWithDistanceMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(8);
  const Tensor x = randn({6, 9}, kFloat64);
  Tensor t = randint(-1, 9, {6, 9});
  for (const char* reduction : {"none", "mean", "sum"}) {
    testing::expect_cuda_matches_cpu(
        {x}, [&](const auto& in) { return F::multilabel_margin_loss(in[0], t.to(in[0].device()), reduction); });
  }
  const F::DistanceFunction cosine = [](const Tensor& u, const Tensor& v) { return 1.0 - F::cosine_similarity(u, v); };
  const Tensor a = randn({7, 5}, kFloat64), p = randn({7, 5}, kFloat64), n = randn({7, 5}, kFloat64);
  for (const bool swap : {false, true}) {
    testing::expect_cuda_matches_cpu({a, p, n}, [&](const auto& in) {
      return F::triplet_margin_with_distance_loss(in[0], in[1], in[2], cosine, 0.5, swap, "none");
    });
    testing::expect_cuda_matches_cpu({a, p, n}, [&](const auto& in) {
      return F::triplet_margin_with_distance_loss(in[0], in[1], in[2], {}, 1.0, swap, "sum");
    });
  }
}

TEST(CudaAdaptiveSoftmax, MatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(9);
  nn::AdaptiveLogSoftmaxWithLoss cpu(16, 50, {5, 20, 35}, 2.0, true);
  nn::AdaptiveLogSoftmaxWithLoss gpu(16, 50, {5, 20, 35}, 2.0, true);
  cpu.to(kFloat64);
  gpu.to(kFloat64);
  gpu.load_state_dict(cpu.state_dict());
  gpu.to(Device::cuda(0));
  const Tensor x = randn({40, 16}, kFloat64), target = randint(0, 50, {40});
  const Tensor xc = x.detach().requires_grad_(true), xg = x.cuda().detach().requires_grad_(true);
  testing::NoMatmulTf32 full_precision;
  const auto rc = cpu.forward(xc, target);
  const auto rg = gpu.forward(xg, target.cuda());
  testing::expect_same(rc.output.detach(), rg.output.detach(), 1e-12);
  rc.loss.backward();
  rg.loss.backward();
  testing::expect_same(xc.grad(), xg.grad(), 1e-12);
  testing::expect_same(cpu.head->weight.grad(), gpu.head->weight.grad(), 1e-12);
  testing::expect_same(cpu.log_prob(x), gpu.log_prob(x.cuda()), 1e-12);
  testing::expect_same(cpu.predict(x), gpu.predict(x.cuda()));
}

TEST(CudaParameterContainers, MoveWithTheirModule) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  nn::ParameterList list({ones({3}), zeros({2, 2})});
  nn::ParameterDict dict({{"scale", full({3}, 2.0)}});
  const Tensor kept = list[0];
  list.to(Device::cuda(0));
  dict.to(Device::cuda(0));
  EXPECT_TRUE(list[0].is_cuda());
  EXPECT_TRUE(kept.is_cuda());  // the same parameter, moved in place
  EXPECT_TRUE(dict["scale"].is_cuda());
  EXPECT_EQ(list.repr(),
            "ParameterList(\n"
            "    (0): Parameter containing: [torch.float32 of size 3 (cuda:0)]\n"
            "    (1): Parameter containing: [torch.float32 of size 2x2 (cuda:0)]\n"
            ")");
  (list[0] * dict["scale"]).sum().backward();
  ASSERT_TRUE(list[0].grad().defined());
  EXPECT_TRUE(list[0].grad().is_cuda());
  testing::expect_values(list[0].grad(), {2, 2, 2}, 0);
}

}  // namespace
}  // namespace ember
