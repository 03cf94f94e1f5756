// CPU GEMM for float32/float64 batches [B,n,k] x [B,k,m], scaled as BLAS's (alpha, beta:
// addmm's one call). With OpenBLAS, operands whose matrices are row- or column-major go
// straight to cblas_?gemm (a transposed view is a flag, not a copy); without it,
// gemm_fallback's blocked loop does the work.
#include "core/cpu/gemm.h"

#include <algorithm>
#include <climits>
#include <type_traits>

#ifdef EMBER_HAVE_BLAS
#include <cblas.h>

#include <cstdlib>
#endif

#include "core/cpu/float32_compute.h"
#include "core/cpu/kernels.h"
#include "core/native.h"
#include "core/parallel.h"

namespace ember::cpu {
namespace {

// Fallback blocking: a panel of kDepthBlock rows by kColumnBlock columns of b stays in
// cache while each row of a in the chunk is multiplied with it.
constexpr int64_t kColumnBlock = 256;
constexpr int64_t kDepthBlock = 128;

// Where a 3-D operand's matrices keep element (i, j): at i * ld + j (row-major) or at
// j * ld + i (column-major: `transposed`). Not usable: neither, so it needs a copy.
struct MatrixLayout {
  bool usable = false;
  bool transposed = false;
  int64_t ld = 0;
};

MatrixLayout matrix_layout(const Tensor& t) {
  const int64_t rows = t.size(1), cols = t.size(2);
  const int64_t row_stride = t.stride(1), col_stride = t.stride(2);
  if ((cols == 1 || col_stride == 1) && (rows == 1 || row_stride >= std::max<int64_t>(cols, 1)))
    return {true, false, rows == 1 ? std::max<int64_t>(cols, 1) : row_stride};
  if ((rows == 1 || row_stride == 1) && (cols == 1 || col_stride >= std::max<int64_t>(rows, 1)))
    return {true, true, cols == 1 ? std::max<int64_t>(rows, 1) : col_stride};
  return {};
}

void check_gemm_args(const Tensor& a, const Tensor& b, const Tensor& out) {
  EMBER_CHECK(is_floating(a.dtype()),
              "matmul: expected floating-point tensors (float32, float64, bfloat16 or float16), but got ",
              dtype_name(a.dtype()));
  EMBER_INTERNAL_ASSERT(a.dtype() == b.dtype() && a.dtype() == out.dtype(), "gemm: mixed dtypes");
  EMBER_INTERNAL_ASSERT(a.dim() == 3 && b.dim() == 3 && out.dim() == 3 && a.size(0) == b.size(0) &&
                            out.size(0) == a.size(0) && a.size(2) == b.size(1) && out.size(1) == a.size(1) &&
                            out.size(2) == b.size(2),
                        "gemm: shapes ", a.sizes(), " x ", b.sizes(), " -> ", out.sizes());
}

// Checks, handles empty products, and gives `compute` an out whose matrices are
// row-major with leading dimension ldc (a temporary when out's are not, holding out's
// values when beta reads them).
template <typename Compute>
void run_gemm(const Tensor& a, const Tensor& b, const Tensor& out, const GemmScale& scale, const Compute& compute) {
  check_gemm_args(a, b, out);
  if (out.numel() == 0) return;
  if (a.size(2) == 0) {  // an empty sum: out = beta * out
    if (scale.beta == 0) return cpu::fill(out, 0);
    return cpu::binary_scalar(BinaryOp::Mul, out, Scalar(scale.beta), false, out);
  }
  const MatrixLayout out_layout = matrix_layout(out);
  if (out_layout.usable && !out_layout.transposed) return compute(a, b, out, out_layout.ld, scale);
  const Tensor row_major = scale.beta == 0 ? make_empty(out.sizes(), out.dtype(), out.device()) : native::clone(out);
  compute(a, b, row_major, matrix_layout(row_major).ld, scale);
  cpu::copy(row_major, out);
}

// ---------------------------------------------------------------- fallback

// C[0:rows, 0:cols] = alpha * A[0:rows, 0:depth] @ B[0:depth, 0:cols] + beta * C; A at
// any strides, B and C row-major (column stride 1); beta == 0 never reads C.
template <typename T>
void fallback_rows(const T* A, int64_t a_row_stride, int64_t a_col_stride, const T* B, int64_t ldb, T* C,
                   int64_t ldc, int64_t rows, int64_t depth, int64_t cols, T alpha, T beta) {
  for (int64_t i = 0; i < rows; ++i) {
    if (beta == T(0)) std::fill_n(C + i * ldc, cols, T(0));
    else if (beta != T(1)) for (int64_t j = 0; j < cols; ++j) C[i * ldc + j] *= beta;
  }
  for (int64_t j0 = 0; j0 < cols; j0 += kColumnBlock) {
    const int64_t width = std::min(kColumnBlock, cols - j0);
    for (int64_t p0 = 0; p0 < depth; p0 += kDepthBlock) {
      const int64_t p_end = std::min(depth, p0 + kDepthBlock);
      for (int64_t i = 0; i < rows; ++i) {
        T* __restrict c = C + i * ldc + j0;
        const T* a_row = A + i * a_row_stride;
        for (int64_t p = p0; p < p_end; ++p) {
          const T a_ip = alpha * a_row[p * a_col_stride];
          const T* __restrict b_row = B + p * ldb + j0;
          for (int64_t j = 0; j < width; ++j) c[j] += a_ip * b_row[j];
        }
      }
    }
  }
}

void fallback_gemm(const Tensor& a, const Tensor& b, const Tensor& out, int64_t ldc, const GemmScale& scale) {
  const Tensor b_rows = (b.size(2) == 1 || b.stride(2) == 1) ? b : native::clone(b);
  const int64_t batches = a.size(0), n = a.size(1), k = a.size(2), m = b.size(2);
  visit_floating(a.dtype(), "matmul", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* A = static_cast<const T*>(a.data_ptr());
    const T* B = static_cast<const T*>(b_rows.data_ptr());
    T* C = static_cast<T*>(out.data_ptr());
    const int64_t grain = std::max<int64_t>(1, kParallelGrain / (k * m));
    parallel_for(0, batches * n, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t row = lo; row < hi;) {
        const int64_t batch = row / n, first = row % n, count = std::min(n - first, hi - row);
        fallback_rows(A + batch * a.stride(0) + first * a.stride(1), a.stride(1), a.stride(2),
                      B + batch * b_rows.stride(0), b_rows.stride(1), C + batch * out.stride(0) + first * ldc, ldc,
                      count, k, m, static_cast<T>(scale.alpha), static_cast<T>(scale.beta));
        row += count;
      }
    });
  });
}

// ---------------------------------------------------------------- OpenBLAS
#ifdef EMBER_HAVE_BLAS

blasint blas_int(int64_t v) {
  EMBER_CHECK(v <= INT_MAX, "matmul: dimension ", v, " is too large for BLAS");
  return static_cast<blasint>(v);
}

// Row-major C (rows x cols) = alpha * op(A) @ op(B) + beta * C, op = transpose when flagged.
template <typename T>
void blas_call_serial(bool trans_a, bool trans_b, int64_t rows, int64_t cols, int64_t depth, T alpha, const T* A,
                      int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  const CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, ta, tb, blas_int(rows), blas_int(cols), blas_int(depth), alpha, A, blas_int(lda), B,
                blas_int(ldb), beta, C, blas_int(ldc));
  else
    cblas_dgemm(CblasRowMajor, ta, tb, blas_int(rows), blas_int(cols), blas_int(depth), alpha, A, blas_int(lda), B,
                blas_int(ldb), beta, C, blas_int(ldc));
}

// The same product, split along its longer side into blocks run on OpenMP threads.
template <typename T>
void blas_call(bool trans_a, bool trans_b, int64_t rows, int64_t cols, int64_t depth, T alpha, const T* A, int64_t lda,
               const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  use_single_threaded_blas();
  constexpr int64_t kMinWork = 1 << 21;  // multiply-adds below which one thread is faster
  if (rows * cols * depth < kMinWork)
    return blas_call_serial(trans_a, trans_b, rows, cols, depth, alpha, A, lda, B, ldb, beta, C, ldc);
  if (rows >= cols) {
    parallel_for(0, rows, 16, [&](int64_t r0, int64_t r1) {
      const T* a_block = trans_a ? A + r0 : A + r0 * lda;
      blas_call_serial(trans_a, trans_b, r1 - r0, cols, depth, alpha, a_block, lda, B, ldb, beta, C + r0 * ldc, ldc);
    });
  } else {
    parallel_for(0, cols, 64, [&](int64_t c0, int64_t c1) {
      const T* b_block = trans_b ? B + c0 * ldb : B + c0;
      blas_call_serial(trans_a, trans_b, rows, c1 - c0, depth, alpha, A, lda, b_block, ldb, beta, C + c0, ldc);
    });
  }
}

void blas_gemm(const Tensor& a, const Tensor& b, const Tensor& out, int64_t ldc, const GemmScale& scale) {
  const Tensor a_mat = matrix_layout(a).usable ? a : native::clone(a);
  const Tensor b_mat = matrix_layout(b).usable ? b : native::clone(b);
  const MatrixLayout la = matrix_layout(a_mat), lb = matrix_layout(b_mat);
  const int64_t batches = a.size(0), n = a.size(1), k = a.size(2), m = b.size(2);
  // One shared b (a stride-0 batch) and a whose batches follow each other row after
  // row: a single [batches*n, k] x [k, m] product.
  const bool fold = batches > 1 && b_mat.stride(0) == 0 && !la.transposed && a_mat.stride(0) == n * la.ld &&
                    out.stride(0) == n * ldc;
  visit_floating(a.dtype(), "matmul", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* A = static_cast<const T*>(a_mat.data_ptr());
    const T* B = static_cast<const T*>(b_mat.data_ptr());
    T* C = static_cast<T*>(out.data_ptr());
    const T alpha = static_cast<T>(scale.alpha), beta = static_cast<T>(scale.beta);
    if (fold) return blas_call(false, lb.transposed, batches * n, m, k, alpha, A, la.ld, B, lb.ld, beta, C, ldc);
    for (int64_t i = 0; i < batches; ++i)
      blas_call(la.transposed, lb.transposed, n, m, k, alpha, A + i * a_mat.stride(0), la.ld, B + i * b_mat.stride(0),
                lb.ld, beta, C + i * out.stride(0), ldc);
  });
}

#endif  // EMBER_HAVE_BLAS

}  // namespace

#ifdef EMBER_HAVE_BLAS
// Note [One thread pool]: ember parallelises with OpenMP (parallel_for). OpenBLAS's own
// threads would compete with OpenMP's on a small machine (measured on 2 cores: a
// training step took 126 ms with both, 60 ms with OpenBLAS single-threaded), so
// OpenBLAS runs one thread per call and a large product is split across OpenMP
// threads here instead. OPENBLAS_NUM_THREADS, when set, is respected.
void use_single_threaded_blas() {
  static const bool once = [] {
    if (!std::getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
}
#else
void use_single_threaded_blas() {}
#endif

void gemm_fallback(const Tensor& a, const Tensor& bm, const Tensor& out, const GemmScale& scale) {
  run_gemm(a, bm, out, scale, fallback_gemm);
}

// Note [16-bit products in blocks]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// A bfloat16 / float16 product accumulates in float32 (core/cpu/float32_compute.h): the
// operands widened, the float32 product's results rounded once. Float32 copies of the whole
// of a, b and out held more than a float32 model does (a 16-bit MLP's no_grad peak was 1.4x
// float32's), so the product goes by blocks: a group of the batch's matrices, a block of a's
// rows and one of b's columns (between kMinBlock and kMaxBlock of each, about kBlockBytes of
// float32 each where k allows), multiplied in float32 and rounded into its block of out.
// Every output element still sums its whole k in one float32 product, as the whole product
// would. The loops keep the widened block of the operand that would be widened again more
// often (a's rows outside when b is the smaller to repeat, else b's columns).
namespace {

void gemm_in_float32_blocks(const Tensor& a, const Tensor& b, const Tensor& out, const GemmScale& scale) {
  constexpr int64_t kBlockBytes = 512 << 10, kMinBlock = 128, kMaxBlock = 1024;
  const int64_t B = a.size(0), n = a.size(1), k = a.size(2), m = b.size(2);
  if (B == 0 || n == 0 || m == 0) return;
  const int64_t row_bytes = std::max<int64_t>(k, 1) * static_cast<int64_t>(sizeof(float));
  const int64_t rows = std::min(n, std::clamp<int64_t>(kBlockBytes / row_bytes, kMinBlock, kMaxBlock));
  const int64_t cols = std::min(m, std::clamp<int64_t>(kBlockBytes / row_bytes, kMinBlock, kMaxBlock));
  const int64_t block_bytes = std::max({rows * row_bytes, cols * row_bytes, rows * cols * int64_t{4}});
  const int64_t batch = std::clamp<int64_t>(kBlockBytes / block_bytes, 1, B);
  // Widenings of the repeated operand: b's blocks once per row block, or a's once per column block.
  const bool rows_outside = (n + rows - 1) / rows * m <= (m + cols - 1) / cols * n;
  for (int64_t b0 = 0; b0 < B; b0 += batch) {
    const int64_t bs = std::min(batch, B - b0);
    const Tensor a_group = native::narrow(a, 0, b0, bs), b_group = native::narrow(b, 0, b0, bs);
    const Tensor out_group = native::narrow(out, 0, b0, bs);
    const auto a_rows = [&](int64_t r0) {
      return float32_copy(native::narrow(a_group, 1, r0, std::min(rows, n - r0)));
    };
    const auto b_cols = [&](int64_t c0) {
      return float32_copy(native::narrow(b_group, 2, c0, std::min(cols, m - c0)));
    };
    const auto multiply = [&](const Tensor& a32, const Tensor& b32, int64_t r0, int64_t c0) {
      const Tensor block = native::narrow(native::narrow(out_group, 1, r0, a32.size(1)), 2, c0, b32.size(2));
      const Tensor out32 = scale.beta == 0 ? float32_like(block) : float32_copy(block);
      gemm(a32, b32, out32, scale);
      round_into(out32, block);
    };
    if (rows_outside) {
      for (int64_t r0 = 0; r0 < n; r0 += rows) {
        const Tensor a32 = a_rows(r0);
        for (int64_t c0 = 0; c0 < m; c0 += cols) multiply(a32, b_cols(c0), r0, c0);
      }
    } else {
      for (int64_t c0 = 0; c0 < m; c0 += cols) {
        const Tensor b32 = b_cols(c0);
        for (int64_t r0 = 0; r0 < n; r0 += rows) multiply(a_rows(r0), b32, r0, c0);
      }
    }
  }
}

}  // namespace

void gemm(const Tensor& a, const Tensor& b, const Tensor& out, const GemmScale& scale) {
  if (is_reduced_float(a.dtype()) && b.dtype() == a.dtype()) {  // Note [16-bit products in blocks]
    EMBER_INTERNAL_ASSERT(out.dtype() == a.dtype(), "gemm: ", a.dtype(), " operands, ", out.dtype(), " output");
    return gemm_in_float32_blocks(a, b, out, scale);
  }
#ifdef EMBER_HAVE_BLAS
  run_gemm(a, b, out, scale, blas_gemm);
#else
  run_gemm(a, b, out, scale, fallback_gemm);
#endif
}

}  // namespace ember::cpu
