// Bilinear on CUDA (a cuBLAS product and a reduction): the output and every gradient against
// the CPU in float64, with leading dims, one sample and no bias; the layer moved to CUDA.
// Skipped without a GPU.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include "support/cuda_parity.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

TEST(CudaBilinear, MatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(4);
  const Tensor x1 = randn({2, 7, 6}, kFloat64), x2 = randn({2, 7, 5}, kFloat64);
  const Tensor w = randn({9, 6, 5}, kFloat64), b = randn({9}, kFloat64);
  testing::expect_cuda_matches_cpu({x1, x2, w, b},
                                   [](const auto& in) { return F::bilinear(in[0], in[1], in[2], in[3]); });
  testing::expect_cuda_matches_cpu({x1[0][3], x2[0][3], w},
                                   [](const auto& in) { return F::bilinear(in[0], in[1], in[2]); });
  nn::Bilinear layer(6, 5, 9);
  const Tensor cpu = layer(x1.to(kFloat32), x2.to(kFloat32));
  layer.to(Device::cuda(0));
  testing::NoMatmulTf32 full_float32;
  const Tensor gpu = layer(x1.to(kFloat32).cuda(), x2.to(kFloat32).cuda());
  EXPECT_TRUE(gpu.is_cuda());
  testing::expect_same(cpu, gpu, 1e-5);
}

}  // namespace
}  // namespace ember
