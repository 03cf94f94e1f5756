// core/cpu/lapack.h: each matrix of a batch handed to LAPACK in its column-major layout (a
// transposed copy), after one workspace query per batch, results transposed back; trsm takes
// the row-major matrices as they are.
#include "core/cpu/lapack.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/cpu/gemm.h"
#include "core/factories.h"
#include "core/ops.h"

#ifdef EMBER_HAVE_BLAS
#include <cblas.h>

// LAPACK's Fortran entry points in OpenBLAS (no LAPACKE there); the trailing size_t
// arguments are gfortran's hidden lengths of the character arguments.
extern "C" {
void ssyevd_(const char* jobz, const char* uplo, const int* n, float* a, const int* lda, float* w, float* work,
             const int* lwork, int* iwork, const int* liwork, int* info, size_t, size_t);
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w, double* work,
             const int* lwork, int* iwork, const int* liwork, int* info, size_t, size_t);
void sgesdd_(const char* jobz, const int* m, const int* n, float* a, const int* lda, float* s, float* u, const int* ldu,
             float* vt, const int* ldvt, float* work, const int* lwork, int* iwork, int* info, size_t);
void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s, double* u,
             const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork, int* iwork, int* info,
             size_t);
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, size_t);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, size_t);
void sgetrf_(const int* m, const int* n, float* a, const int* lda, int* ipiv, int* info);
void dgetrf_(const int* m, const int* n, double* a, const int* lda, int* ipiv, int* info);
void sgeqrf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work, const int* lwork,
             int* info);
void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work, const int* lwork,
             int* info);
void sorgqr_(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau, float* work,
             const int* lwork, int* info);
void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau, double* work,
             const int* lwork, int* info);
}
#endif

namespace ember::cpu::lapack {
namespace {

#ifndef EMBER_HAVE_BLAS
[[noreturn]] void check_unavailable(const char* op) {
  EMBER_FAIL(op, ": this build of ember has no LAPACK (it comes with OpenBLAS: configure with EMBER_BLAS=ON and ",
             "OpenBLAS installed, as tools/install-deps.sh does)");
}
#else
// The identity of size n repeated over b matrices, in A's dtype.
Tensor identities(int64_t b, int64_t n, const Tensor& like) {
  return zeros({b, n, n}, TensorOptions(like.dtype())) + eye(n, TensorOptions(like.dtype()));
}

template <typename Fn>
void on_real(const Tensor& A, const char* op, Fn&& fn) {
  if (A.dtype() == kFloat32) return fn(Tag<float>{});
  EMBER_CHECK(A.dtype() == kFloat64, "\"", op, "\" not implemented for '", dtype_torch_name(A.dtype()), "'");
  fn(Tag<double>{});
}

int lapack_int(int64_t v, const char* op) {
  EMBER_CHECK(v <= INT_MAX, op, ": a dimension or workspace of ", v, " elements is too large for LAPACK");
  return static_cast<int>(v);
}

// A's matrices in column-major order: [b, cols, rows] row-major, always a copy (LAPACK
// overwrites it; transpose().contiguous() would hand back A itself for a single row or column).
Tensor column_major_copy(const Tensor& A) {
  Tensor out = empty({A.size(0), A.size(2), A.size(1)}, TensorOptions(A.dtype()));
  out.copy_(A.transpose(1, 2));
  return out;
}

// A workspace size LAPACK returned as a floating-point number (rounded up: a float32
// query can round a large size down).
template <typename T>
int workspace_size(T query, const char* op) {
  return lapack_int(std::max<int64_t>(1, static_cast<int64_t>(std::ceil(static_cast<double>(query) * 1.0001))), op);
}

template <typename T>
void syevd(char jobz, char uplo, int n, T* a, int lda, T* w, T* work, int lwork, int* iwork, int liwork, int* info) {
  if constexpr (std::is_same_v<T, float>)
    ssyevd_(&jobz, &uplo, &n, a, &lda, w, work, &lwork, iwork, &liwork, info, 1, 1);
  else
    dsyevd_(&jobz, &uplo, &n, a, &lda, w, work, &lwork, iwork, &liwork, info, 1, 1);
}

template <typename T>
void gesdd(char jobz, int m, int n, T* a, int lda, T* s, T* u, int ldu, T* vt, int ldvt, T* work, int lwork, int* iwork,
           int* info) {
  if constexpr (std::is_same_v<T, float>)
    sgesdd_(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, iwork, info, 1);
  else
    dgesdd_(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, iwork, info, 1);
}

template <typename T>
void potrf(char uplo, int n, T* a, int lda, int* info) {
  if constexpr (std::is_same_v<T, float>)
    spotrf_(&uplo, &n, a, &lda, info, 1);
  else
    dpotrf_(&uplo, &n, a, &lda, info, 1);
}

template <typename T>
void getrf(int m, int n, T* a, int lda, int* ipiv, int* info) {
  if constexpr (std::is_same_v<T, float>)
    sgetrf_(&m, &n, a, &lda, ipiv, info);
  else
    dgetrf_(&m, &n, a, &lda, ipiv, info);
}

template <typename T>
void geqrf(int m, int n, T* a, int lda, T* tau, T* work, int lwork, int* info) {
  if constexpr (std::is_same_v<T, float>)
    sgeqrf_(&m, &n, a, &lda, tau, work, &lwork, info);
  else
    dgeqrf_(&m, &n, a, &lda, tau, work, &lwork, info);
}

template <typename T>
void orgqr(int m, int n, int k, T* a, int lda, const T* tau, T* work, int lwork, int* info) {
  if constexpr (std::is_same_v<T, float>)
    sorgqr_(&m, &n, &k, a, &lda, tau, work, &lwork, info);
  else
    dorgqr_(&m, &n, &k, a, &lda, tau, work, &lwork, info);
}

// info < 0 names an argument LAPACK refused: a bug here, not bad input.
void check_arguments(int info, const char* routine) {
  EMBER_INTERNAL_ASSERT(info >= 0, routine, ": argument ", -info, " was refused");
}
#endif

}  // namespace

#ifdef EMBER_HAVE_BLAS

bool available() { return true; }

Eigh eigh(const Tensor& A, bool lower, bool with_vectors) {
  const int64_t b = A.size(0), n = A.size(1);
  Eigh out;
  out.values = empty({b, n}, TensorOptions(A.dtype()));
  if (b == 0 || n == 0) {
    if (with_vectors) out.vectors = empty({b, n, n}, TensorOptions(A.dtype()));
    return out;
  }
  use_single_threaded_blas();
  // row-major A read column-major is A^T: its lower triangle is A^T's upper one
  const Tensor a = A.contiguous().clone();
  const int N = lapack_int(n, "linalg.eigh");
  // LAPACK computes its minimum workspace in 32-bit integers: refuse sizes where that overflows
  lapack_int(with_vectors ? 1 + 6 * n + 2 * n * n : 2 * n + 1, "linalg.eigh");
  const char jobz = with_vectors ? 'V' : 'N', uplo = lower ? 'U' : 'L';
  on_real(A, "linalg_eigh_cpu", [&]<typename T>(Tag<T>) {
    T* data = a.data_ptr<T>();
    T* w = out.values.data_ptr<T>();
    T work_query = 0;
    int iwork_query = 0, info = 0;
    syevd<T>(jobz, uplo, N, data, N, w, &work_query, -1, &iwork_query, -1, &info);
    check_arguments(info, "syevd");
    const int lwork = workspace_size(work_query, "linalg.eigh"), liwork = std::max(1, iwork_query);
    std::vector<T> work(static_cast<size_t>(lwork));
    std::vector<int> iwork(static_cast<size_t>(liwork));
    for (int64_t i = 0; i < b; ++i) {
      syevd<T>(jobz, uplo, N, data + i * n * n, N, w + i * n, work.data(), lwork, iwork.data(), liwork, &info);
      check_arguments(info, "syevd");
      if (info > 0 && !out.failure) out.failure = Failure{i, info};
    }
  });
  // the eigenvectors are a's columns: read row-major, that is their transpose
  if (with_vectors) out.vectors = a.transpose(1, 2).contiguous();
  return out;
}

Svd svd(const Tensor& A, bool with_vectors, bool full) {
  const int64_t b = A.size(0), m = A.size(1), n = A.size(2), k = std::min(m, n);
  const int64_t u_cols = full ? m : k, vh_rows = full ? n : k;
  Svd out;
  out.S = empty({b, k}, TensorOptions(A.dtype()));
  if (b == 0 || k == 0) {
    if (with_vectors) {
      out.U = full ? identities(b, m, A) : empty({b, m, 0}, TensorOptions(A.dtype()));
      out.Vh = full ? identities(b, n, A) : empty({b, 0, n}, TensorOptions(A.dtype()));
    }
    return out;
  }
  use_single_threaded_blas();
  const Tensor a = column_major_copy(A);
  // U (m x u_cols) and Vh (vh_rows x n) column-major: [b, u_cols, m] and [b, n, vh_rows]
  const Tensor u = with_vectors ? empty({b, u_cols, m}, TensorOptions(A.dtype())) : Tensor();
  const Tensor vt = with_vectors ? empty({b, n, vh_rows}, TensorOptions(A.dtype())) : Tensor();
  const int M = lapack_int(m, "linalg.svd"), N = lapack_int(n, "linalg.svd");
  // LAPACK computes its minimum workspace in 32-bit integers: refuse sizes where that overflows
  const int64_t larger = std::max(m, n);
  lapack_int(with_vectors ? 3 * k * k + std::max(larger, 4 * k * k + 4 * k) : 3 * k + std::max(larger, 7 * k),
             "linalg.svd");
  const int ldvt = with_vectors ? lapack_int(vh_rows, "linalg.svd") : 1;
  const char jobz = with_vectors ? (full ? 'A' : 'S') : 'N';
  on_real(A, "linalg_svd_cpu", [&]<typename T>(Tag<T>) {
    T* data = a.data_ptr<T>();
    T* s = out.S.data_ptr<T>();
    T unused = 0;
    T* u_data = with_vectors ? u.data_ptr<T>() : &unused;
    T* vt_data = with_vectors ? vt.data_ptr<T>() : &unused;
    const int ldu = with_vectors ? M : 1;
    std::vector<int> iwork(static_cast<size_t>(8 * k));
    T work_query = 0;
    int info = 0;
    gesdd<T>(jobz, M, N, data, M, s, u_data, ldu, vt_data, ldvt, &work_query, -1, iwork.data(), &info);
    check_arguments(info, "gesdd");
    const int lwork = workspace_size(work_query, "linalg.svd");
    std::vector<T> work(static_cast<size_t>(lwork));
    for (int64_t i = 0; i < b; ++i) {
      T* u_i = with_vectors ? u_data + i * m * u_cols : u_data;
      T* vt_i = with_vectors ? vt_data + i * vh_rows * n : vt_data;
      gesdd<T>(jobz, M, N, data + i * m * n, M, s + i * k, u_i, ldu, vt_i, ldvt, work.data(), lwork, iwork.data(),
               &info);
      // -4: A holds a NaN (LAPACK checks its norm); PyTorch words it as a failure to converge
      EMBER_INTERNAL_ASSERT(info >= 0 || info == -4, "gesdd: argument ", -info, " was refused");
      if (info != 0 && !out.failure) out.failure = Failure{i, info};
    }
  });
  if (with_vectors) {
    out.U = u.transpose(1, 2).contiguous();
    out.Vh = vt.transpose(1, 2).contiguous();
  }
  return out;
}

Qr qr(const Tensor& A, bool complete, bool with_q) {
  const int64_t b = A.size(0), m = A.size(1), n = A.size(2), k = std::min(m, n);
  const int64_t r_rows = complete ? m : k, q_cols = complete ? m : k;
  Qr out;
  if (b == 0 || k == 0) {
    out.R = zeros({b, r_rows, n}, TensorOptions(A.dtype()));
    if (with_q) out.Q = complete ? identities(b, m, A) : empty({b, m, 0}, TensorOptions(A.dtype()));
    return out;
  }
  use_single_threaded_blas();
  const Tensor a = column_major_copy(A);  // [b, n, m]: n columns of m
  const Tensor tau = empty({b, k}, TensorOptions(A.dtype()));
  const int M = lapack_int(m, "linalg.qr"), N = lapack_int(n, "linalg.qr"), K = static_cast<int>(k);
  on_real(A, "linalg_qr_cpu", [&]<typename T>(Tag<T>) {
    T* data = a.data_ptr<T>();
    T work_query = 0;
    int info = 0;
    geqrf<T>(M, N, data, M, tau.data_ptr<T>(), &work_query, -1, &info);
    check_arguments(info, "geqrf");
    std::vector<T> work(static_cast<size_t>(workspace_size(work_query, "linalg.qr")));
    for (int64_t i = 0; i < b; ++i) {
      geqrf<T>(M, N, data + i * m * n, M, tau.data_ptr<T>() + i * k, work.data(), static_cast<int>(work.size()), &info);
      check_arguments(info, "geqrf");
    }
  });
  // R: the upper triangle of the factored a (read row-major through the transpose)
  out.R = a.transpose(1, 2).narrow(1, 0, r_rows).triu().contiguous();
  if (with_q) {
    // Q's q_cols columns: the reflectors in the first k, the rest (complete, m > n) unset
    Tensor q = zeros({b, q_cols, m}, TensorOptions(A.dtype()));
    const int64_t copied = std::min(q_cols, n);
    q.narrow(1, 0, copied).copy_(a.narrow(1, 0, copied));
    const int Q_COLS = lapack_int(q_cols, "linalg.qr");
    on_real(A, "linalg_qr_cpu", [&]<typename T>(Tag<T>) {
      T* data = q.data_ptr<T>();
      T work_query = 0;
      int info = 0;
      orgqr<T>(M, Q_COLS, K, data, M, tau.data_ptr<T>(), &work_query, -1, &info);
      check_arguments(info, "orgqr");
      std::vector<T> work(static_cast<size_t>(workspace_size(work_query, "linalg.qr")));
      for (int64_t i = 0; i < b; ++i) {
        orgqr<T>(M, Q_COLS, K, data + i * m * q_cols, M, tau.data_ptr<T>() + i * k, work.data(),
                 static_cast<int>(work.size()), &info);
        check_arguments(info, "orgqr");
      }
    });
    out.Q = q.transpose(1, 2).contiguous();
  }
  return out;
}

Lu lu(const Tensor& A) {
  const int64_t b = A.size(0), m = A.size(1), n = A.size(2), k = std::min(m, n);
  const TensorOptions index_options(kInt64);
  Lu out{Tensor(), empty({b, k}, index_options), empty({b, m}, index_options), zeros({b}, index_options)};
  if (b == 0 || k == 0) {
    out.lu = A.clone();
    out.perm.copy_(arange(m, index_options).expand({b, m}));
    return out;
  }
  use_single_threaded_blas();
  const Tensor a = column_major_copy(A);  // [b, n, m]
  const int M = lapack_int(m, "linalg.lu"), N = lapack_int(n, "linalg.lu");
  std::vector<int> ipiv(static_cast<size_t>(k));
  int64_t* pivots = out.pivots.data_ptr<int64_t>();
  int64_t* perm = out.perm.data_ptr<int64_t>();
  int64_t* swaps = out.swaps.data_ptr<int64_t>();
  on_real(A, "lu_cpu", [&]<typename T>(Tag<T>) {
    for (int64_t i = 0; i < b; ++i) {
      int info = 0;
      getrf<T>(M, N, a.data_ptr<T>() + i * m * n, M, ipiv.data(), &info);
      check_arguments(info, "getrf");  // info > 0: an exact zero on U's diagonal, still factored
      int64_t* row_of = perm + i * m;
      for (int64_t r = 0; r < m; ++r) row_of[r] = r;
      for (int64_t step = 0; step < k; ++step) {
        const int64_t other = ipiv[static_cast<size_t>(step)] - 1;
        EMBER_INTERNAL_ASSERT(other >= step && other < m, "getrf: pivot ", other + 1, " of step ", step + 1,
                              " is outside rows ", step + 1, "..", m);
        pivots[i * k + step] = other;
        if (other != step) {
          std::swap(row_of[step], row_of[other]);
          ++swaps[i];
        }
      }
    }
  });
  out.lu = a.transpose(1, 2).contiguous();
  return out;
}

Cholesky cholesky(const Tensor& A) {
  const int64_t b = A.size(0), n = A.size(1);
  Cholesky out{A.clone(), zeros({b}, TensorOptions(kInt64))};
  if (b == 0 || n == 0) return out;
  use_single_threaded_blas();
  const int N = lapack_int(n, "linalg.cholesky");
  int64_t* infos = out.info.data_ptr<int64_t>();
  on_real(A, "cholesky_cpu", [&]<typename T>(Tag<T>) {
    for (int64_t i = 0; i < b; ++i) {
      T* a = out.L.data_ptr<T>() + i * n * n;
      // row-major A read as column-major is A^T, whose upper triangle is A's lower one: potrf('U')
      // gives U with A = U^T U, which read back row-major is L
      int info = 0;
      potrf<T>('U', N, a, N, &info);
      check_arguments(info, "potrf");
      // OpenBLAS's potrf passes a NaN pivot (reference LAPACK's potrf2 flags it): the first NaN
      // on the diagonal names the minor
      for (int64_t j = 0; info == 0 && j < n; ++j)
        if (std::isnan(a[j * n + j])) info = static_cast<int>(j + 1);
      infos[i] = info;
    }
  });
  return out;
}

void triangular_solve(const Tensor& A, const Tensor& X, bool upper, bool unitriangular) {
  const int64_t b = A.size(0), n = A.size(1), k = X.size(2);
  if (b == 0 || n == 0 || k == 0) return;
  use_single_threaded_blas();
  const int N = lapack_int(n, "linalg.solve_triangular"), K = lapack_int(k, "linalg.solve_triangular");
  const CBLAS_UPLO uplo = upper ? CblasUpper : CblasLower;
  const CBLAS_DIAG diag = unitriangular ? CblasUnit : CblasNonUnit;
  on_real(A, "triangular_solve_cpu", [&]<typename T>(Tag<T>) {
    const T* a = A.data_ptr<T>();
    T* x = X.data_ptr<T>();
    for (int64_t i = 0; i < b; ++i) {
      if constexpr (std::is_same_v<T, float>)
        cblas_strsm(CblasRowMajor, CblasLeft, uplo, CblasNoTrans, diag, N, K, 1.0f, a + i * n * n, N, x + i * n * k, K);
      else
        cblas_dtrsm(CblasRowMajor, CblasLeft, uplo, CblasNoTrans, diag, N, K, 1.0, a + i * n * n, N, x + i * n * k, K);
    }
  });
}

#else

bool available() { return false; }

void triangular_solve(const Tensor&, const Tensor&, bool, bool) { check_unavailable("linalg.solve_triangular"); }

Lu lu(const Tensor&) {
  check_unavailable("linalg.lu");
  return {};
}

Cholesky cholesky(const Tensor&) {
  check_unavailable("linalg.cholesky");
  return {};
}

Eigh eigh(const Tensor&, bool, bool) {
  check_unavailable("linalg.eigh");
  return {};
}

Svd svd(const Tensor&, bool, bool) {
  check_unavailable("linalg.svd");
  return {};
}

Qr qr(const Tensor&, bool, bool) {
  check_unavailable("linalg.qr");
  return {};
}

#endif  // EMBER_HAVE_BLAS

}  // namespace ember::cpu::lapack
