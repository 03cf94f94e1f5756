// The 3-D family on CUDA (conv3d and conv_transpose3d through cuDNN's 2-D graphs, the 3-D
// pooling through the 2-D kernels, dropout3d, BatchNorm3d): values, indices and gradients
// equal to the CPU's in float64 and float32 (TF32 off). Skipped without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <functional>
#include <vector>

#include "support/cuda_parity.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::NoTf32;

namespace F = nn::functional;

using Op = testing::CudaParityOp;
using testing::expect_cuda_matches_cpu;

TEST(CudaVolumetric, ConvolutionsMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const NoTf32 no_tf32;
  manual_seed(5);
  const Op conv = [](const std::vector<Tensor>& in) {
    return F::conv3d(in[0], in[1], in[2], {2, 1, 1}, {1, 1, 0}, {1, 2, 1}, 2);
  };
  const Op same = [](const std::vector<Tensor>& in) { return F::conv3d(in[0], in[1], in[2], 1, nn::kSame); };
  const Op up = [](const std::vector<Tensor>& in) {
    return F::conv_transpose3d(in[0], in[1], in[2], 2, {1, 0, 1}, {1, 0, 1});
  };
  for (const DType dt : {kFloat64, kFloat32}) {
    SCOPED_TRACE(dtype_name(dt));
    const double tol = dt == kFloat64 ? 1e-12 : 1e-4;
    expect_cuda_matches_cpu({randn({2, 4, 7, 6, 5}, dt), randn({6, 2, 3, 3, 2}, dt), randn({6}, dt)}, conv, tol);
    expect_cuda_matches_cpu({randn({1, 3, 5, 4, 6}, dt), randn({4, 3, 2, 3, 2}, dt), randn({4}, dt)}, same, tol);
    expect_cuda_matches_cpu({randn({2, 4, 3, 4, 3}, dt), randn({4, 3, 3, 2, 3}, dt), randn({3}, dt)}, up, tol);
  }
}

TEST(CudaVolumetric, PoolingMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(6);
  const Tensor x = randn({2, 3, 7, 6, 9}, kFloat64);
  const auto [vc, ic] = F::max_pool3d_with_indices(x, {3, 2, 3}, {2, 2, 1}, {1, 1, 0}, {1, 2, 1}, true);
  const auto [vg, ig] = F::max_pool3d_with_indices(x.cuda(), {3, 2, 3}, {2, 2, 1}, {1, 1, 0}, {1, 2, 1}, true);
  EXPECT_TRUE(equal(vc, vg.cpu()));
  EXPECT_TRUE(equal(ic, ig.cpu()));
  const auto [ac, aic] = F::adaptive_max_pool3d_with_indices(x, {3, 4, 5});
  const auto [ag, aig] = F::adaptive_max_pool3d_with_indices(x.cuda(), {3, 4, 5});
  EXPECT_TRUE(equal(ac, ag.cpu()));
  EXPECT_TRUE(equal(aic, aig.cpu()));
  const std::vector<Op> ops{
      [](const std::vector<Tensor>& in) { return F::max_pool3d(in[0], 2, {1, 2, 2}, {1, 0, 1}); },
      [](const std::vector<Tensor>& in) { return F::avg_pool3d(in[0], {3, 2, 2}, 2, 1, true, false); },
      [](const std::vector<Tensor>& in) { return F::avg_pool3d(in[0], 3, 1, 1, false, true, 4); },
      [](const std::vector<Tensor>& in) { return F::adaptive_avg_pool3d(in[0], {2, 3, 4}); },
      [](const std::vector<Tensor>& in) { return F::adaptive_max_pool3d(in[0], {2, 3, 4}); },
  };
  for (size_t i = 0; i < ops.size(); ++i) {
    SCOPED_TRACE(i);
    expect_cuda_matches_cpu({x}, ops[i], 1e-12);
    expect_cuda_matches_cpu({x.to(kFloat32)}, ops[i], 1e-5);
  }
}

TEST(CudaVolumetric, LayersRunOnCuda) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(7);
  nn::BatchNorm3d bn(4), bn_gpu(4);
  bn_gpu.to(Device::cuda(0));
  const Tensor x = randn({3, 4, 5, 6, 5});
  EXPECT_LT(testing::max_abs_diff(bn.forward(x), bn_gpu.forward(x.cuda()).cpu()), 1e-4);
  EXPECT_LT(testing::max_abs_diff(bn.running_var, bn_gpu.running_var.cpu()), 1e-5);
  nn::Dropout3d drop(0.5);
  const Tensor kept = drop.forward(ones({4, 8, 3, 2, 2}, TensorOptions().device(Device::cuda(0)))).sum({2, 3, 4});
  for (const double v : kept.cpu().to_vector<double>()) EXPECT_TRUE(v == 0.0 || v == 24.0) << v;
}

}  // namespace
}  // namespace ember
