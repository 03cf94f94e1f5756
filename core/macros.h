// Portability macros shared by host and device code: EMBER_HD marks functions
// that compile for both the CPU loops in core/cpu and the CUDA kernels in cuda/, and
// EMBER_MATH(fn) names the math function fn they call.
#pragma once

#if defined(__CUDACC__)
#define EMBER_HD __host__ __device__
#define EMBER_HD_INLINE __host__ __device__ __forceinline__
#else
#define EMBER_HD
#define EMBER_HD_INLINE inline
#endif

// Math calls in EMBER_HD code (the functors of core/*_functors.h, core/optim_math.h):
// CUDA's global overloads in device code, <cmath>'s std:: overloads on the host (so
// float stays float and the CPU loops vectorise). Include <cmath> where it is used.
#if defined(__CUDA_ARCH__)
#define EMBER_HD_STD  // CUDA's math functions are global
#else
#define EMBER_HD_STD std
#endif
#define EMBER_MATH(fn) EMBER_HD_STD::fn

#define EMBER_LIKELY(x) __builtin_expect(!!(x), 1)
#define EMBER_UNLIKELY(x) __builtin_expect(!!(x), 0)
