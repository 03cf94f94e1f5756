// EMBER_AVX2_CLONES: a CPU kernel loop compiled twice, for AVX2 and for the baseline, the
// loader choosing once per process (GCC's target_clones). Note [AVX2 clones].
#pragma once
#include <cstdint>  // defines __GLIBC__ where the C library is glibc

// Note [AVX2 clones]
// ~~~~~~~~~~~~~~~~~~
// The library is built for baseline x86-64 (SSE2), so a loop GCC vectorises does two
// doubles or four floats at a time, where the CPUs it runs on do twice that with AVX2.
// A function marked EMBER_AVX2_CLONES is compiled for both; an ifunc resolver picks the
// AVX2 one where the CPU has it. FMA stays off in the clone, so no multiply and add are
// contracted into one rounding, and both clones call the same library functions: they
// give the same values (tests run whichever this CPU picks; a review compared 246 ops on
// special values under both). One freedom IEEE leaves is taken differently: where both
// operands of an op are NaN, which NaN's payload comes out may differ. Mark a kernel's
// whole per-row function, not a loop inside one: what it inlines is compiled into each
// clone. Users: the elementwise kernels' contiguous
// loop (run_contiguous in core/cpu/elementwise.cpp: 1M float32 to bfloat16 0.18 -> 0.08 ms,
// leaky_relu of 2M 0.21 -> 0.09 ms) and the row norms (core/cpu/norm.cpp).
// vector_math_avx2.cpp (SLEEF's functions, AVX2 and FMA intrinsics) is the other route, for
// code that needs the intrinsics.
// ifunc resolvers need an ELF target and glibc (not musl, not MinGW); elsewhere one copy.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__ELF__) && \
    defined(__GLIBC__)
#define EMBER_AVX2_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define EMBER_AVX2_CLONES
#endif
