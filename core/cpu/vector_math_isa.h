// The function codes of core/cpu/vector_math.h and its per-instruction-set entry points.
// Included by files built for one instruction set (vector_math_avx2.cpp), so it includes
// nothing that defines an inline function.
#pragma once
#include <stdint.h>

namespace ember::cpu::vector_math {

enum class Fn : uint8_t { Exp, Log, Tanh, Sigmoid, Gelu, Silu };  // Gelu: the exact (erf) form

namespace avx2 {  // SLEEF's AVX2 functions; call only where the CPU has AVX2 and FMA
void apply(Fn fn, const float* in, float* out, int64_t n);
void apply(Fn fn, const double* in, double* out, int64_t n);
void grad(Fn fn, const float* g, const float* x, float* out, int64_t n);  // Gelu, Silu
void grad(Fn fn, const double* g, const double* x, double* out, int64_t n);
// The row primitives of vector_math.h (max_ignoring_nan, sum_exp_shifted, exp_shifted).
float max_ignoring_nan(const float* x, int64_t n);
double max_ignoring_nan(const double* x, int64_t n);
double sum_exp_shifted(const float* x, int64_t n, double shift, double* e);
double sum_exp_shifted(const double* x, int64_t n, double shift, double* e);
void exp_shifted(const float* x, int64_t n, double shift, float* y);
void exp_shifted(const double* x, int64_t n, double shift, double* y);
// accumulate_run of vector_math.h.
double accumulate_run(double acc, const float* p, int64_t n);
double accumulate_run(double acc, const double* p, int64_t n);
}  // namespace avx2

}  // namespace ember::cpu::vector_math
