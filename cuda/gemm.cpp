// CUDA GEMM through cuBLAS: [B,n,k] x [B,k,m] -> contiguous [B,n,m], float32/float64
// (cublas<S|D>gemmStridedBatched) or bfloat16 with fp32 compute (cublasGemmStridedBatchedEx),
// scaled as BLAS's (out = alpha A B + beta out: addmm's one call),
// one strided-batched call on the current stream with that stream's workspace from the
// caching allocator (a shared stride-0 right operand with a row-after-row left operand
// folds into one big product). Row-major C = A B is computed as column-major
// C^T = B^T A^T. TF32 only when cuda::set_matmul_allow_tf32.
#include <cublas_v2.h>

#include <climits>

#include "core/native.h"
#include "cuda/cuda_internal.h"
#include "cuda/stream.h"

#define EMBER_CUBLAS_CHECK(call)                                                                   \
  do {                                                                                             \
    cublasStatus_t ember_cublas_status_ = (call);                                                  \
    EMBER_CHECK(ember_cublas_status_ == CUBLAS_STATUS_SUCCESS, "cuBLAS error: ",                   \
                cublasGetStatusString(ember_cublas_status_), " in ", #call, " on cuda:",           \
                ::ember::cuda::detail::current_device_index());                                    \
  } while (0)

namespace ember::cuda_kernels {

namespace {

// NVIDIA's recommended cuBLAS workspace for Hopper (also enough for older GPUs).
constexpr size_t kCublasWorkspaceBytes = size_t{32} << 20;

// One cuBLAS handle per device and thread (handles are not safe to share across
// threads), created on first use and kept for the thread's life.
cublasHandle_t handle_for_current_device() {
  constexpr int kMaxDevices = 64;
  thread_local cublasHandle_t handles[kMaxDevices] = {};
  const int dev = cuda::detail::current_device_index();
  EMBER_CHECK(dev < kMaxDevices, "cuda:", dev, " is beyond the devices ember supports");
  if (handles[dev] == nullptr) EMBER_CUBLAS_CHECK(cublasCreate(&handles[dev]));
  return handles[dev];
}

// How a [rows, cols] matrix (the last two dims of a 3-D tensor) sits in memory:
// row-major (ld = row stride) or column-major (transposed, ld = column stride).
struct Layout {
  bool usable = false;
  bool transposed = false;
  int64_t ld = 0;
};
Layout layout_of(const Tensor& t) {
  const int64_t rows = t.size(1), cols = t.size(2);
  const int64_t rs = t.stride(1), cs = t.stride(2);
  if ((cs == 1 || cols == 1) && rs >= std::max<int64_t>(1, cols)) return {true, false, std::max<int64_t>(rs, 1)};
  if ((rs == 1 || rows == 1) && cs >= std::max<int64_t>(1, rows)) return {true, true, std::max<int64_t>(cs, 1)};
  return {};
}

int as_int(int64_t v, const char* what) {
  EMBER_CHECK(v <= INT_MAX, "matmul on CUDA: ", what, " = ", v, " is beyond cuBLAS's 32-bit sizes");
  return static_cast<int>(v);
}

}  // namespace

void prepare_cublas() {
  handle_for_current_device();
  cuda::detail::stream_workspace(kCublasWorkspaceBytes);
}

void gemm(const Tensor& a_in, const Tensor& b_in, const Tensor& out, const GemmScale& scale) {
  const int64_t batches = a_in.size(0), n = a_in.size(1), k = a_in.size(2), m = b_in.size(2);
  if (batches == 0 || n == 0 || m == 0) return;
  if (k == 0) {  // an empty sum: out = beta * out
    if (scale.beta == 0) return cuda_kernels::fill(out, Scalar(0));
    return cuda_kernels::binary_scalar(BinaryOp::Mul, out, Scalar(scale.beta), false, out);
  }
  EMBER_INTERNAL_ASSERT(out.is_contiguous(), "cuda gemm: the output must be contiguous");
  const Tensor a = layout_of(a_in).usable ? a_in : native::clone(a_in);
  const Tensor b = layout_of(b_in).usable ? b_in : native::clone(b_in);
  const Layout la = layout_of(a), lb = layout_of(b);

  cublasHandle_t handle = handle_for_current_device();
  EMBER_CUBLAS_CHECK(cublasSetStream(handle, cuda::detail::current_raw_stream()));
  // cublasSetStream resets the workspace to cuBLAS's own: give it the stream's, from the allocator.
  void* workspace = cuda::detail::stream_workspace(kCublasWorkspaceBytes);
  EMBER_CUBLAS_CHECK(cublasSetWorkspace(handle, workspace, kCublasWorkspaceBytes));
  const bool tf32 = a.dtype() == kFloat32 && cuda::matmul_allow_tf32();
  // 16-bit operands: no split-K partial sums rounded to 16 bits (Note [BFloat16]: fp32
  // accumulation throughout; float16's partials could also overflow past 65504).
  cublasMath_t math = tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH;
  if (is_reduced_float(a.dtype()))
    math = static_cast<cublasMath_t>(CUBLAS_DEFAULT_MATH | CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION);
  EMBER_CUBLAS_CHECK(cublasSetMathMode(handle, math));

  // Column-major view: C^T [m, n] = op(B)^T [m, k] x op(A)^T [k, n]. A row-major matrix
  // is its own transpose in column-major terms, so "not transposed" here means N.
  const cublasOperation_t op_b = lb.transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_a = la.transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
  // (one [batches * n, k] product only where its row count is a cuBLAS int)
  const bool fold = batches > 1 && b.stride(0) == 0 && !la.transposed && a.stride(0) == n * la.ld &&
                    batches * n <= INT_MAX;
  const int64_t rows_c = fold ? batches * n : n;
  const int batch_count = fold ? 1 : as_int(batches, "batch");
  const int M = as_int(m, "m"), N = as_int(rows_c, "n"), K = as_int(k, "k");
  const int ldb = as_int(lb.ld, "ldb"), lda = as_int(la.ld, "lda"), ldc = M;
  const long long stride_b = b.stride(0), stride_a = fold ? 0 : a.stride(0), stride_c = fold ? 0 : n * m;

  if (a.dtype() == kFloat32) {
    const float alpha = static_cast<float>(scale.alpha), beta = static_cast<float>(scale.beta);
    EMBER_CUBLAS_CHECK(cublasSgemmStridedBatched(handle, op_b, op_a, M, N, K, &alpha,
                                                 static_cast<const float*>(b.data_ptr()), ldb, stride_b,
                                                 static_cast<const float*>(a.data_ptr()), lda, stride_a, &beta,
                                                 static_cast<float*>(out.data_ptr()), ldc, stride_c, batch_count));
  } else if (a.dtype() == kFloat64) {
    const double alpha = scale.alpha, beta = scale.beta;
    EMBER_CUBLAS_CHECK(cublasDgemmStridedBatched(handle, op_b, op_a, M, N, K, &alpha,
                                                 static_cast<const double*>(b.data_ptr()), ldb, stride_b,
                                                 static_cast<const double*>(a.data_ptr()), lda, stride_a, &beta,
                                                 static_cast<double*>(out.data_ptr()), ldc, stride_c, batch_count));
  } else if (is_reduced_float(a.dtype())) {  // 16-bit operands and result, fp32 accumulation (Note [BFloat16])
    const float alpha = static_cast<float>(scale.alpha), beta = static_cast<float>(scale.beta);
    const cudaDataType_t type = a.dtype() == kBFloat16 ? CUDA_R_16BF : CUDA_R_16F;
    EMBER_CUBLAS_CHECK(cublasGemmStridedBatchedEx(handle, op_b, op_a, M, N, K, &alpha, b.data_ptr(), type, ldb,
                                                  stride_b, a.data_ptr(), type, lda, stride_a, &beta, out.data_ptr(),
                                                  type, ldc, stride_c, batch_count, CUBLAS_COMPUTE_32F,
                                                  CUBLAS_GEMM_DEFAULT));
  } else {
    EMBER_FAIL("matmul on CUDA: expected float32, float64, bfloat16 or float16 operands, got ", dtype_name(a.dtype()));
  }
}

}  // namespace ember::cuda_kernels
