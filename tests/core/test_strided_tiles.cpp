// Tiled strided loops (Note [Tiled strided loops] in core/cpu/strided_loop.h): which
// loops are tiled, and that tiled copies, binary ops, casts and in-place ops of
// transposed and permuted operands give every element once, at sizes that are and are
// not multiples of the tiles, with other dims around the tiled pair.
#include <gtest/gtest.h>

#include <vector>

#include <ember/ember.h>

#include "core/cpu/strided_loop.h"

namespace ember {
namespace {

int tile_dim_of(const Tensor& out, const Tensor& in) { return cpu::StridedLoop<2>({&out, &in}).tile_dim(); }

TEST(StridedTiles, OnlyLoopsWithATransposedOperandAreTiled) {
  const Tensor x = zeros({1024, 1024}), out = zeros({1024, 1024});
  EXPECT_EQ(tile_dim_of(out, x.t()), 0);
  EXPECT_EQ(tile_dim_of(out, x), -1);                                            // contiguous
  EXPECT_EQ(tile_dim_of(out, zeros({1024}).expand({1024, 1024})), -1);           // broadcast row
  EXPECT_EQ(tile_dim_of(zeros({8, 8}), zeros({8, 8}).t()), -1);                  // small: stays in cache
  EXPECT_EQ(tile_dim_of(zeros({4096, 4}), zeros({4, 4096}).t()), -1);            // a narrow inner dim
  const Tensor nchw = zeros({2, 64, 16, 16});
  EXPECT_GE(tile_dim_of(zeros({2, 64, 16, 16}).contiguous(MemoryFormat::ChannelsLast), nchw), 0);  // NCHW -> NHWC
}

// y = x.t().contiguous() for r x c sizes around the tile widths, float32 and float64.
TEST(StridedTiles, TransposedCopiesPutEveryElementInItsPlace) {
  for (const auto& [r, c] : {std::pair<int64_t, int64_t>{1024, 1024}, {1000, 1000}, {37, 1001}, {513, 77}, {2048, 9}}) {
    for (DType dtype : {kFloat32, kFloat64}) {
      SCOPED_TRACE(std::to_string(r) + "x" + std::to_string(c) + " " + std::string(dtype_name(dtype)));
      const Tensor x = arange(0, r * c, 1, dtype).reshape({r, c});
      const Tensor y = x.t().contiguous();
      ASSERT_EQ(y.sizes(), (Dims{c, r}));
      const std::vector<double> v = y.to_vector<double>();
      for (int64_t i = 0; i < c; ++i) {
        for (int64_t j = 0; j < r; ++j) ASSERT_EQ(v[i * r + j], static_cast<double>(j * c + i)) << i << ", " << j;
      }
    }
  }
}

// out = a + b.t() (two operands read differently), a cast of a permuted 4-D tensor, and
// an in-place add of a transposed tensor into a contiguous one.
TEST(StridedTiles, BinaryOpsCastsAndInPlaceOpsOfTransposedOperands) {
  const int64_t r = 300, c = 517;
  const Tensor a = arange(0, r * c, 1, kFloat64).reshape({r, c});
  const Tensor b = arange(0, r * c, 1, kFloat64).reshape({c, r}) * 1000.0;
  const std::vector<double> sum = (a + b.t()).to_vector<double>();
  for (int64_t i = 0; i < r; ++i) {
    for (int64_t j = 0; j < c; ++j) ASSERT_EQ(sum[i * c + j], (i * c + j) + 1000.0 * (j * r + i)) << i << ", " << j;
  }

  const Tensor x = arange(0, 3 * 40 * 50 * 7, 1, kFloat64).reshape({3, 40, 50, 7});
  const Tensor permuted = x.permute({0, 3, 2, 1});  // [3, 7, 50, 40]
  const std::vector<double> got = permuted.to(kFloat32).to_vector<double>();
  size_t k = 0;
  for (int64_t n = 0; n < 3; ++n)
    for (int64_t w = 0; w < 7; ++w)
      for (int64_t h = 0; h < 50; ++h)
        for (int64_t ch = 0; ch < 40; ++ch, ++k)
          ASSERT_EQ(got[k], static_cast<double>(((n * 40 + ch) * 50 + h) * 7 + w)) << n << w << h << ch;

  Tensor target = zeros({c, r}, kFloat64);
  target.add_(a.t());
  EXPECT_TRUE(equal(target, a.t().contiguous()));

  // channels-last round trip of a batch-norm-sized activation
  const Tensor act = arange(0, 4 * 32 * 14 * 14, 1).reshape({4, 32, 14, 14});
  const Tensor nhwc = act.contiguous(MemoryFormat::ChannelsLast);
  EXPECT_TRUE(nhwc.is_contiguous(MemoryFormat::ChannelsLast));
  EXPECT_TRUE(equal(nhwc.contiguous(), act));
}

}  // namespace
}  // namespace ember
