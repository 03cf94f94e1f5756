// ember's own CPU GEMM: what cpu::gemm uses in a build without BLAS, declared here
// so tests can check it in every build.
#pragma once
#include "core/dispatch.h"

namespace ember::cpu {

// out[b] = alpha * a[b] @ bm[b] + beta * out[b] for 3-D float32/float64 [B,n,k] x [B,k,m]
// -> [B,n,m], any strides: a blocked i-k-j loop, parallel over rows.
void gemm_fallback(const Tensor& a, const Tensor& bm, const Tensor& out, const GemmScale& scale = {});

// OpenBLAS to one thread per call, once (Note [One thread pool]); LAPACK's callers
// (core/cpu/lapack.cpp) too. Nothing in a build without BLAS.
void use_single_threaded_blas();

}  // namespace ember::cpu
