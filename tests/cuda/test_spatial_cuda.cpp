// The spatial ops composed of view, pooling, gather and scatter ops on CUDA against the CPU,
// forward and backward: pixel/channel shuffles, 1-D pooling, local_response_norm,
// affine_grid + grid_sample (every mode, padding mode and align_corners; gradients to the
// input, the grid and theta; the one-kernel forward of unrecorded calls; the one-kernel
// backward for either operand, float32, strided, and create_graph's composed gradients) and
// max_unpool1d/2d/3d.
// Skipped without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "support/cuda_parity.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using Inputs = std::vector<Tensor>;

using testing::expect_cuda_matches_cpu;

TEST(CudaSpatial, ShufflesMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(11);
  const Tensor x = randn({2, 12, 4, 6}, kFloat64);
  expect_cuda_matches_cpu({x}, [](const Inputs& in) { return F::pixel_shuffle(in[0], 2); });
  expect_cuda_matches_cpu({x}, [](const Inputs& in) { return F::pixel_unshuffle(in[0], 2) * 1.0; });
  expect_cuda_matches_cpu({x}, [](const Inputs& in) { return F::channel_shuffle(in[0], 3); });
  expect_cuda_matches_cpu({x.contiguous(MemoryFormat::ChannelsLast)},
                          [](const Inputs& in) { return F::pixel_shuffle(in[0], 2); });
}

TEST(CudaSpatial, Pool1dMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(12);
  const Tensor x = randn({3, 4, 13}, kFloat64);
  expect_cuda_matches_cpu({x}, [](const Inputs& in) { return F::max_pool1d(in[0], 3, 2, 1, 2, true); });
  expect_cuda_matches_cpu({x}, [](const Inputs& in) { return F::avg_pool1d(in[0], 4, 3, 2, true, false); });
  expect_cuda_matches_cpu({x}, [](const Inputs& in) { return F::adaptive_avg_pool1d(in[0], 5); });
  expect_cuda_matches_cpu({x}, [](const Inputs& in) { return F::adaptive_max_pool1d(in[0].select(0, 1), 4); });
  auto [out, indices] = F::max_pool1d_with_indices(x.cuda(), 3, 2, 1);
  testing::expect_same(std::get<1>(F::max_pool1d_with_indices(x, 3, 2, 1)), indices);
}

TEST(CudaSpatial, LocalResponseNormMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(13);
  expect_cuda_matches_cpu({randn({2, 7, 5}, kFloat64)},
                          [](const Inputs& in) { return F::local_response_norm(in[0], 3, 0.5, 0.75, 1.0); });
  expect_cuda_matches_cpu({randn({2, 6, 3, 4}, kFloat64)},
                          [](const Inputs& in) { return F::local_response_norm(in[0], 4); });
}

TEST(CudaSpatial, GridSampleMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(14);
  const Tensor x = randn({2, 3, 5, 6}, kFloat64);
  const Tensor grid = rand({2, 4, 7, 2}, kFloat64) * 3.0 - 1.5;  // points outside the image too
  for (const char* mode : {"bilinear", "nearest", "bicubic"})
    for (const char* padding : {"zeros", "border", "reflection"})
      for (bool align_corners : {false, true}) {
        SCOPED_TRACE(std::string(mode) + " " + padding + (align_corners ? " align_corners" : ""));
        expect_cuda_matches_cpu({x, grid}, [&](const Inputs& in) {
          return F::grid_sample(in[0], in[1], mode, padding, align_corners);
        });
      }
  // the spatial transformer: theta -> affine_grid -> grid_sample
  const Tensor theta = randn({2, 2, 3}, kFloat64) * 0.5;
  expect_cuda_matches_cpu({theta, x}, [](const Inputs& in) {
    return F::grid_sample(in[1], F::affine_grid(in[0], {2, 3, 4, 4}), "bilinear", "reflection");
  });
}

// Unrecorded calls take the one-kernel forward (cuda/grid_sample.cu): the CPU's values for
// every mode, padding and align_corners, float32 and float64, strided operands, far and NaN
// points; and a bilinear RandomRotation of a batch, which samples that way under no_grad.
TEST(CudaSpatial, UnrecordedGridSampleMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(16);
  NoGradGuard no_grad;
  const Tensor x = randn({3, 4, 9, 7}, kFloat64).transpose(2, 3);  // [3, 4, 7, 9], strided
  Tensor grid = rand({3, 5, 6, 2}, kFloat64) * 3.6 - 1.8;
  grid.select(1, 0).select(1, 0).copy_(tensor(std::vector<double>{std::nan(""), 1e12, 1.0, -1.0, 0.0, 0.5},
                                              {3, 2}, kFloat64));
  for (const DType dtype : {kFloat64, kFloat32})
    for (const char* mode : {"bilinear", "nearest", "bicubic"})
      for (const char* padding : {"zeros", "border", "reflection"})
        for (bool align_corners : {false, true}) {
          SCOPED_TRACE(std::string(mode) + " " + padding + (align_corners ? " align_corners " : " ") +
                       std::string(dtype_name(dtype)));
          const Tensor xd = x.to(dtype), gd = grid.to(dtype);
          testing::expect_same(F::grid_sample(xd, gd, mode, padding, align_corners),
                               F::grid_sample(xd.cuda(), gd.cuda(), mode, padding, align_corners),
                               dtype == kFloat64 ? 1e-12 : 1e-5);
        }
  // bilinear: the devices' sin/cos may differ in an ulp, which could move a nearest pixel
  const Tensor batch = rand({16, 1, 28, 28});
  const transforms::RandomRotation rotation(20, {.interpolation = transforms::InterpolationMode::BILINEAR});
  manual_seed(17);
  const Tensor rotated_cpu = rotation(batch);
  manual_seed(17);
  testing::expect_same(rotated_cpu, rotation(batch.cuda()), 1e-4);
}

// The one-kernel backward (cuda/grid_sample.cu, atomics into the input's gradient) against the
// CPU kernel: float32 and float64, strided operands, each operand's gradient alone; and a
// create_graph backward (the composed ops) differentiated again on both devices.
TEST(CudaSpatial, GridSampleBackwardMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(18);
  const Tensor x = randn({3, 4, 9, 7}, kFloat64).transpose(2, 3);  // [3, 4, 7, 9], strided
  const Tensor grid = rand({3, 10, 12, 2}, kFloat64) * 2.8 - 1.4;
  const Tensor w = randn({3, 4, 10, 12}, kFloat64);
  for (const DType dtype : {kFloat64, kFloat32})
    for (const char* mode : {"bilinear", "nearest", "bicubic"})
      for (const char* padding : {"zeros", "border", "reflection"})
        for (const int wanted : {3, 1, 2}) {  // bit 0: the input's gradient, bit 1: the grid's
          SCOPED_TRACE(std::string(mode) + " " + padding + " " + std::string(dtype_name(dtype)) + " wanted " +
                       std::to_string(wanted));
          const double tol = dtype == kFloat64 ? 1e-12 : 1e-4;
          std::vector<Tensor> grads[2];
          for (int d = 0; d < 2; ++d) {
            const Device device = d == 0 ? Device::cpu() : Device::cuda(0);
            const Tensor xi = x.to(dtype).to(device).detach().requires_grad_((wanted & 1) != 0);
            const Tensor gi = grid.to(dtype).to(device).detach().requires_grad_((wanted & 2) != 0);
            autograd::tensor_list inputs;
            if (wanted & 1) inputs.push_back(xi);
            if (wanted & 2) inputs.push_back(gi);
            grads[d] = autograd::grad({(F::grid_sample(xi, gi, mode, padding) * w.to(dtype).to(device)).sum()}, inputs);
          }
          // relative to the gradients' size: float32 grid gradients reach ~50, and nvcc's fused
          // multiply-adds move a position by an ulp
          for (size_t i = 0; i < grads[0].size(); ++i)
            testing::expect_same(grads[0][i], grads[1][i], tol * (1.0 + grads[0][i].abs().max().item<double>()));
        }
  // a Hessian-vector product through the grid (create_graph: the composed ops on CUDA)
  Tensor hvp[2];
  for (int d = 0; d < 2; ++d) {
    const Device device = d == 0 ? Device::cpu() : Device::cuda(0);
    const Tensor xi = x.to(device).detach().requires_grad_(true);
    const Tensor gi = grid.to(device).detach().requires_grad_(true);
    const Tensor loss = (F::grid_sample(xi, gi, "bilinear", "border") * w.to(device)).sum();
    const Tensor g_grid = autograd::grad({loss}, {gi}, {}, std::nullopt, /*create_graph=*/true)[0];
    hvp[d] = autograd::grad({(g_grid * g_grid).sum()}, {xi})[0];
  }
  testing::expect_same(hvp[0], hvp[1], 1e-10);
}

TEST(CudaSpatial, MaxUnpoolMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(15);
  const Tensor source = randn({2, 3, 7, 6}, kFloat64);
  auto [pooled, indices] = F::max_pool2d_with_indices(source, 3, 2, 1);
  const Tensor indices_gpu = indices.cuda();
  expect_cuda_matches_cpu({pooled}, [&](const Inputs& in) {
    return F::max_unpool2d(in[0], in[0].is_cuda() ? indices_gpu : indices, 3, 2, 1, Dims{7, 6});
  });
  EXPECT_EMBER_ERROR(F::max_unpool2d(pooled.cuda(), indices_gpu + 100, 3, 2, 1), "Found an invalid max index");
}

TEST(CudaSpatial, MaxUnpool1dAnd3dMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(16);
  auto [pooled1, indices1] = F::max_pool1d_with_indices(randn({2, 3, 11}, kFloat64), 3, 2, 1);
  const Tensor indices1_gpu = indices1.cuda();
  expect_cuda_matches_cpu({pooled1}, [&](const Inputs& in) {
    return F::max_unpool1d(in[0], in[0].is_cuda() ? indices1_gpu : indices1, 3, 2, 1, Dims{11});
  });
  auto [pooled3, indices3] = F::max_pool3d_with_indices(randn({2, 2, 5, 4, 7}, kFloat64), 2);
  const Tensor indices3_gpu = indices3.cuda();
  expect_cuda_matches_cpu({pooled3}, [&](const Inputs& in) {
    return F::max_unpool3d(in[0], in[0].is_cuda() ? indices3_gpu : indices3, 2, {}, 0, Dims{5, 4, 7});
  });
  EXPECT_EMBER_ERROR(F::max_unpool3d(pooled3.cuda(), indices3_gpu + 1000, 2), "Found an invalid max index");
}

}  // namespace
}  // namespace ember
