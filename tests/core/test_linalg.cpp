// matmul / mm / bmm against a triple loop in float64 and float32: transposed operands,
// 1-D and broadcast-batched cases, empty products, ember's own fallback GEMM (checked
// in every build) and the error messages.
#include <random>
#include <string>
#include <vector>

#include "core/cpu/gemm.h"
#include "core/cpu/kernels.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;
using ember::testing::random_values;


// Row-major [batches, n, k] x [batches, k, m]; a shared operand holds one matrix.
std::vector<double> reference_matmul(const std::vector<double>& a, const std::vector<double>& b, int64_t batches,
                                     int64_t n, int64_t k, int64_t m) {
  const bool a_shared = static_cast<int64_t>(a.size()) == n * k;
  const bool b_shared = static_cast<int64_t>(b.size()) == k * m;
  std::vector<double> out(static_cast<size_t>(batches * n * m), 0.0);
  for (int64_t bi = 0; bi < batches; ++bi) {
    const double* pa = a.data() + (a_shared ? 0 : bi * n * k);
    const double* pb = b.data() + (b_shared ? 0 : bi * k * m);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < m; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < k; ++p) acc += pa[i * k + p] * pb[p * m + j];
        out[static_cast<size_t>((bi * n + i) * m + j)] = acc;
      }
  }
  return out;
}

// The [rows, cols] matrix of `values` (row-major), stored column-major: a transposed view.
Tensor column_major(const std::vector<double>& values, int64_t rows, int64_t cols, DType dt) {
  std::vector<double> transposed(values.size());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      transposed[static_cast<size_t>(j * rows + i)] = values[static_cast<size_t>(i * cols + j)];
  return tensor(transposed, {cols, rows}, dtype(dt)).t();
}

double tolerance(DType dt) { return dt == kFloat64 ? 1e-10 : 2e-3; }

constexpr DType kFloatTypes[] = {kFloat64, kFloat32};

TEST(LinalgMm, MatchesTripleLoop) {
  for (DType dt : kFloatTypes) {
    for (const Dims& nkm : {Dims{5, 7, 3}, Dims{64, 129, 65}, Dims{1, 300, 270}}) {
      SCOPED_TRACE(std::string(dtype_name(dt)) + " " + nkm.str());
      const int64_t n = nkm[0], k = nkm[1], m = nkm[2];
      const auto va = random_values(n * k, 1), vb = random_values(k * m, 2);
      const Tensor out = mm(tensor(va, {n, k}, dtype(dt)), tensor(vb, {k, m}, dtype(dt)));
      EXPECT_EQ(out.sizes(), (Dims{n, m}));
      EXPECT_EQ(out.dtype(), dt);
      expect_values(out, reference_matmul(va, vb, 1, n, k, m), tolerance(dt));
    }
  }
}

TEST(LinalgMm, TransposedOperandsGiveTheSameResult) {
  const int64_t n = 9, k = 13, m = 6;
  const auto va = random_values(n * k, 3), vb = random_values(k * m, 4);
  const auto expected = reference_matmul(va, vb, 1, n, k, m);
  for (DType dt : kFloatTypes) {
    const Tensor a = tensor(va, {n, k}, dtype(dt)), b = tensor(vb, {k, m}, dtype(dt));
    const Tensor a_t = column_major(va, n, k, dt), b_t = column_major(vb, k, m, dt);
    ASSERT_FALSE(a_t.is_contiguous());
    expect_values(mm(a_t, b), expected, tolerance(dt));
    expect_values(mm(a, b_t), expected, tolerance(dt));
    expect_values(a_t.mm(b_t), expected, tolerance(dt));
    expect_values(matmul(a_t, b_t), expected, tolerance(dt));
    // (b^T a^T)^T = a b
    expect_values(matmul(b.t(), a.t()).t(), expected, tolerance(dt));
  }
}

// A column-major left operand is passed with a transposition flag (BLAS) or read at
// its strides (fallback): nothing but the output is allocated.
TEST(LinalgMm, TransposedLeftOperandIsNotCopied) {
  const int64_t n = 64, k = 48, m = 32;
  const auto va = random_values(n * k, 28), vb = random_values(k * m, 29);
  const Tensor a_t = column_major(va, n, k, kFloat32), b = tensor(vb, {k, m}, dtype(kFloat32));
  const Device cpu = Device::cpu();
  const int64_t before = memory::allocated(cpu);
  memory::reset_peak(cpu);
  const Tensor out = mm(a_t, b);
  EXPECT_EQ(memory::max_allocated(cpu), memory::allocated(cpu));
  EXPECT_GE(memory::allocated(cpu) - before, n * m * 4);
  expect_values(out, reference_matmul(va, vb, 1, n, k, m), tolerance(kFloat32));
}

TEST(LinalgMm, StridedOperandsAreCopied) {
  const int64_t n = 4, k = 5, m = 3;
  const auto va = random_values(n * 2 * k * 2, 5), vb = random_values(k * m, 6);
  // every other row and column: neither row- nor column-major
  const Tensor a = tensor(va, {2 * n, 2 * k}, dtype(kFloat64)).slice(0, 0, 2 * n, 2).slice(1, 0, 2 * k, 2);
  const Tensor b = tensor(vb, {k, m}, dtype(kFloat64));
  expect_values(mm(a, b), reference_matmul(a.to_vector<double>(), vb, 1, n, k, m), 1e-12);
  // a broadcast row: stride 0 in the row dim
  const Tensor row = tensor(random_values(k, 7), {1, k}, dtype(kFloat64)).expand({n, k});
  expect_values(mm(row, b), reference_matmul(row.to_vector<double>(), vb, 1, n, k, m), 1e-12);
}

TEST(LinalgMatmul, VectorCases) {
  const int64_t n = 3, k = 4, m = 5;
  const auto va = random_values(n * k, 8), vb = random_values(k * m, 9), vv = random_values(k, 10);
  const auto f64 = dtype(kFloat64);
  const Tensor a = tensor(va, {n, k}, f64), b = tensor(vb, {k, m}, f64), v = tensor(vv, {k}, f64);

  const Tensor dot = matmul(v, v);
  EXPECT_EQ(dot.dim(), 0);
  double squares = 0;
  for (double x : vv) squares += x * x;
  EXPECT_NEAR(dot.item<double>(), squares, 1e-12);

  const Tensor row = matmul(v, b);  // [k] x [k, m] -> [m]
  EXPECT_EQ(row.sizes(), (Dims{m}));
  expect_values(row, reference_matmul(vv, vb, 1, 1, k, m), 1e-12);

  const Tensor column = a.matmul(v);  // [n, k] x [k] -> [n]
  EXPECT_EQ(column.sizes(), (Dims{n}));
  expect_values(column, reference_matmul(va, vv, 1, n, k, 1), 1e-12);

  const auto vbatch = random_values(2 * k * m, 11);
  const Tensor batched = matmul(v, tensor(vbatch, {2, k, m}, f64));  // [k] x [2, k, m] -> [2, m]
  EXPECT_EQ(batched.sizes(), (Dims{2, m}));
  expect_values(batched, reference_matmul(vv, vbatch, 2, 1, k, m), 1e-12);

  const auto vabatch = random_values(2 * n * k, 12);
  const Tensor batched_column = matmul(tensor(vabatch, {2, n, k}, f64), v);  // -> [2, n]
  EXPECT_EQ(batched_column.sizes(), (Dims{2, n}));
  expect_values(batched_column, reference_matmul(vabatch, vv, 2, n, k, 1), 1e-12);
}

TEST(LinalgMatmul, BroadcastBatchDims) {
  // [2,1,3,4] x [5,4,2] -> [2,5,3,2]: out[i][j] = a[i][0] @ b[j]
  const auto va = random_values(2 * 3 * 4, 13), vb = random_values(5 * 4 * 2, 14);
  for (DType dt : kFloatTypes) {
    const Tensor out = matmul(tensor(va, {2, 1, 3, 4}, dtype(dt)), tensor(vb, {5, 4, 2}, dtype(dt)));
    ASSERT_EQ(out.sizes(), (Dims{2, 5, 3, 2}));
    std::vector<double> expected;
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 5; ++j) {
        const std::vector<double> ai(va.begin() + i * 12, va.begin() + (i + 1) * 12);
        const std::vector<double> bj(vb.begin() + j * 8, vb.begin() + (j + 1) * 8);
        const auto block = reference_matmul(ai, bj, 1, 3, 4, 2);
        expected.insert(expected.end(), block.begin(), block.end());
      }
    expect_values(out, expected, tolerance(dt));
  }
}

TEST(LinalgMatmul, BatchedTimesMatrixAndBack) {
  const auto f64 = dtype(kFloat64);
  const auto va = random_values(2 * 3 * 4, 15), vb = random_values(4 * 5, 16);
  const Tensor out = matmul(tensor(va, {2, 3, 4}, f64), tensor(vb, {4, 5}, f64));  // shared b
  EXPECT_EQ(out.sizes(), (Dims{2, 3, 5}));
  expect_values(out, reference_matmul(va, vb, 2, 3, 4, 5), 1e-12);
  // the same with a's matrices transposed in memory
  const Tensor a_t = tensor(va, {2, 3, 4}, f64).transpose(1, 2).contiguous().transpose(1, 2);
  expect_values(matmul(a_t, tensor(vb, {4, 5}, f64)), reference_matmul(va, vb, 2, 3, 4, 5), 1e-12);

  const auto vm = random_values(3 * 4, 17), vbatch = random_values(2 * 4 * 5, 18);
  const Tensor left = matmul(tensor(vm, {3, 4}, f64), tensor(vbatch, {2, 4, 5}, f64));  // shared a
  EXPECT_EQ(left.sizes(), (Dims{2, 3, 5}));
  expect_values(left, reference_matmul(vm, vbatch, 2, 3, 4, 5), 1e-12);
}

TEST(LinalgBmm, MatchesLoopWithTransposedBatches) {
  const int64_t batches = 3, n = 4, k = 6, m = 5;
  const auto va = random_values(batches * n * k, 19), vb = random_values(batches * k * m, 20);
  const auto expected = reference_matmul(va, vb, batches, n, k, m);
  for (DType dt : kFloatTypes) {
    const Tensor a = tensor(va, {batches, n, k}, dtype(dt)), b = tensor(vb, {batches, k, m}, dtype(dt));
    expect_values(bmm(a, b), expected, tolerance(dt));
    const Tensor a_t = a.transpose(1, 2).contiguous().transpose(1, 2);
    const Tensor b_t = b.transpose(1, 2).contiguous().transpose(1, 2);
    expect_values(a_t.bmm(b_t), expected, tolerance(dt));
    // batches taken from the middle of a larger tensor
    const Tensor wide = tensor(random_values(2 * batches * n * k, 21), {2 * batches, n, k}, dtype(dt));
    const Tensor every_other = wide.slice(0, 0, 2 * batches, 2);
    expect_values(bmm(every_other, b), reference_matmul(every_other.to_vector<double>(), vb, batches, n, k, m),
                  tolerance(dt));
  }
}

TEST(LinalgMatmul, EmptyProducts) {
  const Tensor no_depth = matmul(zeros({3, 0}, dtype(kFloat32)), zeros({0, 4}, dtype(kFloat32)));
  EXPECT_EQ(no_depth.sizes(), (Dims{3, 4}));
  expect_values(no_depth, std::vector<double>(12, 0.0));
  EXPECT_EQ(matmul(zeros({0, 3}), ones({3, 4})).sizes(), (Dims{0, 4}));
  EXPECT_EQ(bmm(zeros({0, 2, 3}), ones({0, 3, 4})).sizes(), (Dims{0, 2, 4}));
}

// cpu::gemm_fallback is what ember uses without BLAS; it is checked in every build.
TEST(LinalgGemmFallback, MatchesTripleLoop) {
  const int64_t batches = 2, n = 33, k = 300, m = 270;  // several column and depth blocks
  const auto va = random_values(batches * n * k, 22), vb = random_values(batches * k * m, 23);
  const auto expected = reference_matmul(va, vb, batches, n, k, m);
  for (DType dt : kFloatTypes) {
    SCOPED_TRACE(dtype_name(dt));
    const Tensor a = tensor(va, {batches, n, k}, dtype(dt)), b = tensor(vb, {batches, k, m}, dtype(dt));
    Tensor out = make_empty({batches, n, m}, dt, Device::cpu());
    cpu::gemm_fallback(a, b, out);
    expect_values(out, expected, tolerance(dt));

    const Tensor a_t = a.transpose(1, 2).contiguous().transpose(1, 2);
    const Tensor b_t = b.transpose(1, 2).contiguous().transpose(1, 2);
    Tensor out_t = make_empty({batches, m, n}, dt, Device::cpu()).transpose(1, 2);  // column-major out
    cpu::gemm_fallback(a_t, b_t, out_t);
    expect_values(out_t, expected, tolerance(dt));
  }
}

TEST(LinalgGemmFallback, SharedOperandAndEmptyDepth) {
  const auto va = random_values(3 * 4 * 5, 24), vb = random_values(5 * 2, 25);
  const Tensor a = tensor(va, {3, 4, 5}, dtype(kFloat64));
  const Tensor b = tensor(vb, {1, 5, 2}, dtype(kFloat64)).expand({3, 5, 2});
  Tensor out = make_empty({3, 4, 2}, kFloat64, Device::cpu());
  cpu::gemm_fallback(a, b, out);
  expect_values(out, reference_matmul(va, vb, 3, 4, 5, 2), 1e-12);

  Tensor no_depth = full({2, 3, 4}, 5.0, dtype(kFloat32));
  cpu::gemm_fallback(zeros({2, 3, 0}), zeros({2, 0, 4}), no_depth);
  expect_values(no_depth, std::vector<double>(24, 0.0));
}

TEST(LinalgGemm, NonContiguousOutput) {
  const auto va = random_values(2 * 3 * 4, 26), vb = random_values(2 * 4 * 5, 27);
  const Tensor a = tensor(va, {2, 3, 4}, dtype(kFloat32)), b = tensor(vb, {2, 4, 5}, dtype(kFloat32));
  Tensor out = make_empty({2, 5, 3}, kFloat32, Device::cpu()).transpose(1, 2);
  cpu::gemm(a, b, out);
  expect_values(out, reference_matmul(va, vb, 2, 3, 4, 5), 1e-4);
}

TEST(LinalgErrors, MessagesMatchPyTorch) {
  EXPECT_EMBER_ERROR(mm(ones({2, 3}), ones({4, 5})), "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)");
  EXPECT_EMBER_ERROR(matmul(ones({2, 3}), ones({4, 5})), "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)");
  EXPECT_EMBER_ERROR(matmul(ones({3}), ones({4, 5})), "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x5)");
  EXPECT_EMBER_ERROR(matmul(ones({3}), ones({4})), "inconsistent tensor size");
  EXPECT_EMBER_ERROR(matmul(ones({2, 3}), ones({3, 4}, dtype(kFloat64))),
                     "expected m1 and m2 to have the same dtype, but got: float != double");
  EXPECT_EMBER_ERROR(matmul(ones({2, 3}, dtype(kInt64)), ones({3, 4}, dtype(kInt64))),
                     "matmul: expected floating-point tensors (float32, float64, bfloat16 or float16), but got int64");
  EXPECT_EMBER_ERROR(mm(ones({3}), ones({3, 4})), "self must be a matrix");
  EXPECT_EMBER_ERROR(mm(ones({2, 3}), ones({3})), "mat2 must be a matrix");
  EXPECT_EMBER_ERROR(bmm(ones({2, 3, 4}), ones({3, 4, 5})),
                     "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [3, 4].");
  EXPECT_EMBER_ERROR(bmm(ones({3, 4}), ones({3, 4, 5})), "batch1 must be a 3D tensor");
  EXPECT_EMBER_ERROR(bmm(ones({2, 3, 4}), ones({2, 5, 5})),
                     "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 5]");
  EXPECT_EMBER_ERROR(matmul(scalar_tensor(1.0), ones({3})), "both arguments to matmul need to be at least 1D");
  EXPECT_EMBER_ERROR(matmul(ones({2, 2, 3, 4}), ones({3, 4, 5})), "The size of tensor a (2) must match");
  Tensor out = make_empty({1, 2, 2}, kInt64, Device::cpu());
  EXPECT_EMBER_ERROR(cpu::gemm(ones({1, 2, 2}, dtype(kInt64)), ones({1, 2, 2}, dtype(kInt64)), out),
                     "matmul: expected floating-point tensors (float32, float64, bfloat16 or float16), but got int64");
}

}  // namespace
}  // namespace ember
