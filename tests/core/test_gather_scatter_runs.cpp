// The CPU gather / scatter kernels' walk in runs (Note [Gather layouts in runs] in
// core/cpu/scatter_gather.cpp) against a plain element-by-element reference: odd sizes
// around the run blocks, every dim, transposed, sliced and expanded operands, work large
// enough to be split across threads, repeated indices (sums and products bit for bit in
// index order, the last write winning) and the first bad index reported as before.
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::random_values;

// Row-major coordinates of element i of `shape`.
std::vector<int64_t> coordinates(int64_t i, const Dims& shape) {
  std::vector<int64_t> c(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    c[d] = i % shape[d];
    i /= shape[d];
  }
  return c;
}

int64_t offset_of(const std::vector<int64_t>& c, const Tensor& t) {
  int64_t o = t.storage_offset();
  for (size_t d = 0; d < c.size(); ++d) o += c[d] * t.stride(static_cast<int64_t>(d));
  return o;
}

// An int64 index of `shape` with values in [0, extent), from a fixed seed.
Tensor random_index(const Dims& shape, int64_t extent, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int64_t> pick(0, extent - 1);
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t& x : v) x = pick(gen);
  return tensor(v, shape, dtype(kInt64));
}

Tensor random_floats(const Dims& shape, uint32_t seed) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return tensor(random_values(n, seed), shape, dtype(kFloat64)).to(kFloat32);
}

// gather element by element, in the index's row-major order.
std::vector<float> reference_gather(const Tensor& self, int64_t dim, const Tensor& index) {
  const float* s = static_cast<const float*>(self.storage()->data());
  const int64_t* idx = static_cast<const int64_t*>(index.storage()->data());
  std::vector<float> out(static_cast<size_t>(index.numel()));
  for (int64_t i = 0; i < index.numel(); ++i) {
    std::vector<int64_t> c = coordinates(i, index.sizes());
    c[static_cast<size_t>(dim)] = idx[offset_of(c, index)];
    out[static_cast<size_t>(i)] = s[offset_of(c, self)];
  }
  return out;
}

// scatter / scatter_add / scatter_reduce("prod" or "amax") into a copy of self, element by
// element in the index's row-major order (so each line along dim in order).
std::vector<float> reference_scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                                     const std::string& how) {
  const Tensor out = self.contiguous().clone();
  float* o = out.data_ptr<float>();
  const float* from = static_cast<const float*>(src.storage()->data());
  const int64_t* idx = static_cast<const int64_t*>(index.storage()->data());
  for (int64_t i = 0; i < index.numel(); ++i) {
    std::vector<int64_t> c = coordinates(i, index.sizes());
    const float v = from[offset_of(c, src)];
    c[static_cast<size_t>(dim)] = idx[offset_of(c, index)];
    float& d = o[offset_of(c, out)];
    if (how == "set") d = v;
    if (how == "add") d = d + v;
    if (how == "prod") d = d * v;
    if (how == "amax") d = (v != v || v > d) ? v : d;
  }
  const float* p = out.data_ptr<float>();
  return std::vector<float>(p, p + out.numel());
}

void expect_bits(const Tensor& got, const std::vector<float>& expected) {
  const Tensor c = got.contiguous();
  ASSERT_EQ(c.numel(), static_cast<int64_t>(expected.size()));
  const float* p = c.data_ptr<float>();
  int64_t mismatches = 0;
  for (size_t i = 0; i < expected.size(); ++i) mismatches += std::memcmp(&p[i], &expected[i], sizeof(float)) != 0;
  EXPECT_EQ(mismatches, 0);
}

// Index shapes around the run block (512 elements of the last dim) and the parallel grain
// (32768 elements), along every dim (negative ones too).
TEST(GatherRuns, EveryDimOddSizesMatchTheElementByElementWalk) {
  const Dims self_shape{4, 9, 1100};
  const Tensor self = random_floats(self_shape, 1);
  for (const Dims& index_shape : {Dims{4, 9, 1037}, Dims{3, 5, 513}, Dims{2, 7, 1}, Dims{4, 1, 1100}}) {
    for (int64_t dim = -3; dim < 3; ++dim) {
      const int64_t d = dim < 0 ? dim + 3 : dim;
      Dims shape = index_shape;
      shape[static_cast<size_t>(d)] = d == 2 ? 700 : 6;  // longer than self along dim is fine
      const Tensor index = random_index(shape, self.size(d), static_cast<uint32_t>(10 + d));
      SCOPED_TRACE("dim " + std::to_string(dim) + " index " + ::testing::PrintToString(shape));
      expect_bits(self.gather(dim, index), reference_gather(self, d, index));
    }
  }
}

TEST(GatherRuns, NonContiguousOperandsTakeTheStridedRuns) {
  const Tensor base = random_floats({1100, 9, 4}, 2);
  const Tensor self = base.permute({2, 1, 0});  // [4, 9, 1100], last dim stride 36
  const Tensor wide = random_index({4, 9, 2074}, 9, 3);
  const Tensor sliced = wide.slice(2, 0, 2074, 2);                             // [4, 9, 1037], last stride 2
  const Tensor expanded = random_index({1, 1, 1037}, 4, 4).expand({4, 9, 1037});  // stride 0 dims
  const Tensor transposed = random_index({1037, 9, 4}, 1100, 5).permute({2, 1, 0});
  EXPECT_FALSE(self.is_contiguous());
  expect_bits(self.gather(1, sliced), reference_gather(self, 1, sliced));
  expect_bits(self.gather(0, expanded), reference_gather(self, 0, expanded));
  expect_bits(self.gather(2, transposed), reference_gather(self, 2, transposed));
  expect_bits(self.gather(-1, transposed), reference_gather(self, 2, transposed));
}

// Few distinct positions, so every self element receives many values: float32 sums and
// products in another order would differ in the last bits.
TEST(ScatterRuns, RepeatedIndicesCombineInIndexOrderBitForBit) {
  const Tensor self = random_floats({4, 9, 1100}, 6);
  for (int64_t dim = 0; dim < 3; ++dim) {
    Dims shape{4, 9, 1037};
    shape[static_cast<size_t>(dim)] = dim == 2 ? 1100 : 40;
    const Tensor index = random_index(shape, 3, static_cast<uint32_t>(20 + dim));
    const Tensor src = random_floats(shape, static_cast<uint32_t>(30 + dim)) * 0.1 + 1.0;
    SCOPED_TRACE("dim " + std::to_string(dim));
    expect_bits(self.scatter(dim, index, src), reference_scatter(self, dim, index, src, "set"));
    expect_bits(self.scatter_add(dim, index, src), reference_scatter(self, dim, index, src, "add"));
    expect_bits(self.scatter_reduce(dim, index, src, "prod"), reference_scatter(self, dim, index, src, "prod"));
    expect_bits(self.scatter_reduce(dim, index, src, "amax"), reference_scatter(self, dim, index, src, "amax"));
    // a transposed src and a sliced index take the strided runs
    const Tensor src_t = src.transpose(0, 2).contiguous().transpose(0, 2);
    const Tensor index_wide = cat({index, index}, 2).slice(2, 0, 2 * shape[2], 2);
    expect_bits(self.scatter_add(dim, index_wide, src_t), reference_scatter(self, dim, index_wide, src_t, "add"));
  }
  // in place through a transposed view, and a broadcast value
  Tensor target = random_floats({1100, 9, 4}, 7);
  Tensor view = target.permute({2, 1, 0});
  const Tensor index = random_index({4, 9, 1037}, 9, 8);
  const std::vector<float> expected = reference_scatter(view, 1, index, full({4, 9, 1037}, 2.5), "set");
  view.scatter_(1, index, 2.5);
  expect_bits(view, expected);
}

// The first bad index in the index's row-major order is named, though the work is split
// across threads and the other bad index lies in another thread's part; nothing is written.
TEST(GatherRuns, TheFirstBadIndexIsReportedOnTheParallelPath) {
  const Tensor self = random_floats({64, 1000}, 9);
  std::vector<int64_t> values(64 * 1100, 3);
  values[50 * 1100 + 3] = 1000;
  values[10 * 1100 + 900] = -2;
  const Tensor index = tensor(values, {64, 1100}, dtype(kInt64));
  const char* message = "index -2 is out of bounds for dimension 1 with size 1000";
  EXPECT_EMBER_ERROR(self.gather(1, index), message);
  EXPECT_EMBER_ERROR(self.scatter_add(1, index, ones({64, 1100})), message);
  EXPECT_EMBER_ERROR(self.scatter_reduce(1, index, ones({64, 1100}), "amax"), message);
  Tensor target = zeros({64, 1000});
  EXPECT_EMBER_ERROR(target.scatter_(1, index, 1.0), message);
  EXPECT_FALSE(target.ne(0.0).any().item<bool>());
  // along dim 0 (runs across the last dim): index 64 at (70, 5), -1 at (80, 2)
  std::vector<int64_t> rows(100 * 1000, 1);
  rows[70 * 1000 + 5] = 64;
  rows[80 * 1000 + 2] = -1;
  EXPECT_EMBER_ERROR(self.gather(0, tensor(rows, {100, 1000}, dtype(kInt64))),
                     "index 64 is out of bounds for dimension 0 with size 64");
}

}  // namespace
}  // namespace ember
