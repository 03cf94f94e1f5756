// NCCL with a communicator of one rank on cuda:0 (a one-GPU machine runs it, no mpirun):
// all_reduce Sum/Avg, broadcast and all_gather leave or copy the values, on the current
// stream; wrong tensors are an ember::Error. Skipped without a GPU or without NCCL.
#include <gtest/gtest.h>

#include "cuda/nccl.h"
#include "cuda/stream.h"
#include "support/helpers.h"

namespace ember {
namespace {

#define REQUIRE_NCCL()                                                      \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";              \
  if (!cuda::nccl::is_available()) GTEST_SKIP() << "ember built without NCCL"

TEST(NcclSingleRank, CollectivesOfOneRank) {
  REQUIRE_NCCL();
  cuda::set_device(0);
  const Device dev = Device::cuda(0);
  cuda::nccl::Communicator comm(cuda::nccl::unique_id(), /*world_size=*/1, /*rank=*/0, /*device=*/0);
  EXPECT_EQ(comm.device(), 0);
  Tensor f = tensor(std::vector<float>{1.5f, -2.0f, 3.0f}).to(dev);
  comm.all_reduce(f, /*average=*/false);
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{1.5f, -2.0f, 3.0f}));
  Tensor d = tensor(std::vector<double>{0.25, 8.0}).to(dev);
  comm.all_reduce(d, /*average=*/true);
  EXPECT_EQ(d.to_vector<double>(), (std::vector<double>{0.25, 8.0}));
  Tensor i = tensor(std::vector<int64_t>{7, -1}).to(dev);
  comm.all_reduce(i, false);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{7, -1}));
  comm.broadcast(f, 0);
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{1.5f, -2.0f, 3.0f}));
  Tensor gathered = zeros({3}, TensorOptions(kFloat32).device(dev));
  comm.all_gather(f, gathered);
  EXPECT_EQ(gathered.to_vector<float>(), f.to_vector<float>());
  // A large tensor: the whole of it, not a prefix.
  Tensor big = full({1 << 20}, 2.0, TensorOptions(kFloat32).device(dev));
  comm.all_reduce(big, true);
  EXPECT_EQ(big.sum().item<double>(), 2.0 * (1 << 20));
  // wait() polls the event: a "not ready" answer must not linger as the last CUDA error,
  // where the next kernel's launch check would take it for its own.
  Tensor large = full({1 << 26}, 1.0, TensorOptions(kFloat32).device(dev));  // 256 MiB: still running at the first poll
  comm.all_reduce(large, false);
  cuda::Event done(false);
  done.record(cuda::current_stream());
  comm.wait(done, "all_reduce of 256 MiB");
  const Tensor doubled = large * 2.0;
  EXPECT_EQ(doubled.sum().item<double>(), 2.0 * (1 << 26));
}

TEST(NcclSingleRank, WrongTensorsAreErrors) {
  REQUIRE_NCCL();
  cuda::set_device(0);
  cuda::nccl::Communicator comm(cuda::nccl::unique_id(), 1, 0, 0);
  EXPECT_EMBER_ERROR(comm.all_reduce(zeros({4}), false), "expected a contiguous tensor on cuda:0, got one on cpu");
  Tensor strided = zeros({4, 4}, TensorOptions(kFloat32).device(Device::cuda(0))).transpose(0, 1);
  EXPECT_EMBER_ERROR(comm.broadcast(strided, 0), "(not contiguous)");
  EXPECT_EMBER_ERROR(cuda::nccl::Communicator(std::vector<char>(3), 1, 0, 0), "expected a unique id of 128 bytes, got 3");
}

}  // namespace
}  // namespace ember
