// DistributedDataParallel's bucket layout (Note [The first bucket] in nn/distributed/ddp.h):
// a first bucket of at most 1 MiB, then buckets of bucket_cap_bytes, so a model that fits
// in one 25 MiB bucket still starts communicating during backward.
#include <gtest/gtest.h>

#include "support/helpers.h"

namespace ember {
namespace {

using Buckets = std::vector<std::vector<size_t>>;

// Parameters: 0 = 512x512 weight (1 MiB), 1 = its bias, 2 = 256x512 (512 KiB), 3, 4 =
// 10x256 (10 KiB), 5.
std::shared_ptr<nn::Sequential> make_mlp() {
  return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(512, 512), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(512, 256),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(256, 10)});
}

TEST(DdpBuckets, FirstBucketHoldsAtMostOneMiB) {
  manual_seed(3);
  nn::DistributedDataParallel ddp(make_mlp());
  // Reverse order: 5..1 are 1 KiB + 10 KiB + 512 KiB + 2 KiB (< 1 MiB), the 1 MiB weight
  // would pass the first cap: it opens the 25 MiB bucket.
  EXPECT_EQ(ddp.bucket_parameter_indices(), (Buckets{{5, 4, 3, 2, 1}, {0}}));
  nn::DistributedDataParallel one(make_mlp(), {.bucket_cap_bytes = 25 << 20, .first_bucket_cap_bytes = 25 << 20});
  EXPECT_EQ(one.bucket_parameter_indices(), (Buckets{{5, 4, 3, 2, 1, 0}}));
  // The first cap never exceeds bucket_cap_bytes (unlike PyTorch's fixed 1 MiB).
  nn::DistributedDataParallel small(make_mlp(), {.bucket_cap_bytes = 100 << 10});
  EXPECT_EQ(small.bucket_parameter_indices(), (Buckets{{5, 4, 3}, {2}, {1}, {0}}));
  EXPECT_EMBER_ERROR(nn::DistributedDataParallel(make_mlp(), {.bucket_cap_bytes = 1, .first_bucket_cap_bytes = 0}),
                     "expected a positive first_bucket_cap_bytes, got 0");
}

TEST(DdpBuckets, FirstBucketStartsBeforeBackwardEnds) {
  const int rank = distributed::rank();
  manual_seed(4);
  auto ddp = std::make_shared<nn::DistributedDataParallel>(make_mlp());
  manual_seed(40 + static_cast<uint64_t>(rank));
  (*ddp)(randn({4, 512})).sum().backward();
  const auto& launches = ddp->last_launches();
  ASSERT_EQ(launches.size(), 2u);
  EXPECT_EQ(launches[0].bucket, 0u);
  EXPECT_EQ(launches[0].gradients_ready, 5u) << "the first bucket started with the 1 MiB weight still to come";
  EXPECT_EQ(launches[1].gradients_ready, 6u);
  // And the gradients are the averages all the same.
  Tensor g = ddp->module()->parameters()[4].grad();
  std::vector<Tensor> all;
  distributed::all_gather(all, g);
  for (const Tensor& other : all) EXPECT_EQ(other.to_vector<float>(), g.to_vector<float>());
}

}  // namespace
}  // namespace ember
