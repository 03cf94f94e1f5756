// EmbeddingBag on CUDA (a composition of embedding, index_add, scatter_reduce and gather):
// each mode's bags and gradients against the CPU in float64 and float32, with per-sample
// weights, padding, empty bags, include_last_offset and ties in max. Skipped without a GPU.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <vector>

#include "support/cuda_parity.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

// 500 indices into 97 rows in 64 bags of random lengths (several empty), the offsets sorted.
struct Bags {
  Tensor indices, offsets;
};
Bags random_bags() {
  manual_seed(5);
  const Tensor indices = randint(0, 97, {500});
  const Tensor starts = std::get<0>(sort(randint(0, 501, {63})));
  return {indices, cat({zeros({1}, dtype(kInt64)), starts})};
}

TEST(CudaEmbeddingBag, EachModeMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Bags b = random_bags();
  const Tensor w = randn({97, 16}, kFloat64);
  for (const char* mode : {"sum", "mean", "max"}) {
    SCOPED_TRACE(mode);
    for (const std::optional<int64_t> padding : {std::optional<int64_t>(), std::optional<int64_t>(3)}) {
      testing::expect_cuda_matches_cpu({w}, [&](const auto& in) {
        const Device d = in[0].device();
        return F::embedding_bag(b.indices.to(d), in[0],
                                {.offsets = b.offsets.to(d), .mode = mode, .padding_idx = padding});
      });
    }
    // float32: index_add's atomics add in another order
    testing::expect_cuda_matches_cpu(
        {w.to(kFloat32)},
        [&](const auto& in) {
          const Device d = in[0].device();
          return F::embedding_bag(b.indices.to(d), in[0], {.offsets = b.offsets.to(d), .mode = mode});
        },
        1e-5);
  }
  // per-sample weights, include_last_offset (the indices past the last offset in no bag), 2-D
  testing::expect_cuda_matches_cpu({w, randn({500}, kFloat64)}, [&](const auto& in) {
    const Device d = in[0].device();
    return F::embedding_bag(b.indices.to(d), in[0],
                            {.offsets = b.offsets.narrow(0, 0, 40).to(d),
                             .mode = "sum",
                             .per_sample_weights = in[1],
                             .include_last_offset = true});
  });
  testing::expect_cuda_matches_cpu({w}, [&](const auto& in) {
    return F::embedding_bag(b.indices.view({50, 10}).to(in[0].device()), in[0], {.mode = "max", .padding_idx = 7});
  });
}

// Rows 0 and 1 are equal: each bag's gradient goes to its first largest row on both devices.
TEST(CudaEmbeddingBag, MaxTiesGoToTheFirstRowAsOnTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  Tensor w = randn({6, 8}, kFloat64);
  w[1].copy_(w[0]);
  const Tensor x = tensor(std::vector<int64_t>{1, 0, 2, 0, 1, 5, 1, 1});
  testing::expect_cuda_matches_cpu({w}, [&](const auto& in) {
    return F::embedding_bag(x.view({2, 4}).to(in[0].device()), in[0], {.mode = "max"});
  });
}

TEST(CudaEmbeddingBag, ModuleOnCudaAndCheckedIndices) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  nn::EmbeddingBag bag(20, 4, {.mode = "sum"});
  bag.to(Device::cuda(0));
  const Tensor y = bag(tensor(std::vector<int64_t>{1, 2, 19}).cuda(), tensor(std::vector<int64_t>{0, 1}).cuda());
  EXPECT_TRUE(y.is_cuda());
  EXPECT_TRUE(allclose(y.cpu(), cat({bag.weight[1], bag.weight[2] + bag.weight[19]}).view({2, 4}).cpu(), 1e-6, 1e-6));
  EXPECT_EMBER_ERROR(bag(tensor(std::vector<int64_t>{1, 20}).cuda(), tensor(std::vector<int64_t>{0}).cuda()),
                     "found idx to be 20");
  EXPECT_EMBER_ERROR(bag(tensor(std::vector<int64_t>{1}).cuda(), tensor(std::vector<int64_t>{0})),
                     "Expected all tensors to be on the same device");
}

}  // namespace
}  // namespace ember
