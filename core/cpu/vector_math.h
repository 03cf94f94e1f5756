// exp, log, tanh, sigmoid, GELU and SiLU (and the last two's gradients) over arrays of
// float and double on the CPU, vectorised with SLEEF where the build has it and the CPU
// runs AVX2 + FMA, the scalar functors of core/functors.h otherwise. Note [Vectorised
// transcendental functions].
#pragma once
#include <cstdint>
#include <optional>
#include <type_traits>

#include "core/cpu/vector_math_isa.h"
#include "core/functors.h"

// Note [Vectorised transcendental functions]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// A libm call per element is the CPU's slowest elementwise work (exp: ~3 ns, tanh: ~20 ns
// an element here), and PyTorch vectorises it with SLEEF. So do we: with Debian's libsleef
// (EMBER_SLEEF, on by default, optional like OpenBLAS) and a CPU with AVX2 and FMA
// (checked once at run time), exp, log and tanh are SLEEF's 1-ulp AVX2 functions, the ones
// PyTorch's CPU kernels call, and sigmoid is 1 / (1 + exp(-x)) on them, as PyTorch's.
// Exact GELU and SiLU, and their gradients, are functors::Gelu's and functors::Silu's
// formulas on SLEEF's 1-ulp exp and erf, float erf being our own (Note [A float erf] in
// vector_math_avx2.cpp: SLEEF's took 85% of float GELU's time).
//  * One value gives the same bits wherever it sits: contiguous or strided, first or last,
//    alone or in a million. The kernel gathers strided runs into a buffer, and the last
//    partial vector of an array is computed padded, so every element goes through the same
//    vector function.
//  * The scalar functors (functors::Exp and friends) stay the reference: CUDA runs them,
//    the CPU without SLEEF or AVX2 runs them. Both are within about an ulp of the exact
//    values, not always of each other: tests hold the vector results within 1 ulp of
//    long double's (2 for sigmoid, which rounds twice more).
//  * bfloat16 widens to float, goes through the float function and rounds once, as every
//    bf16 elementwise op (Note [BFloat16]).
// Softmax, log_softmax and cross_entropy (core/cpu/softmax_loss.cpp) reduce rows in double
// through the row primitives below (a row's max, its shifted exps and their sum, eight
// values at a time, summed in four double lanes joined as (0 + 1) + (2 + 3)):
//  * Double rows take SLEEF's double exp. Float rows take the float exp of float(d),
//    d = x - shift in double, times 1 + (d - float(d)): the float function's cost (double
//    exp is three times slower) and within about an ulp of a float's exp(d), where
//    float(d) alone would be |d| ulps off. The max's exp(0) is exactly 1, so the sum is
//    as close above 1 and log p of a confident row's winner keeps its ulps too; the
//    logsumexp itself is double's (PyTorch 1.13 keeps it in float: ~1e-6 at |lse| ~ 20).
//  * Without AVX2 the same primitives run the double functors in order. The two agree to
//    about a float32 ulp for float rows and a double rounding for double rows; CUDA's
//    kernels use the double formulas (cuda/softmax_loss.cu).
// Backward formulas are products and need none of this.

namespace ember::cpu::vector_math {

enum class Isa : uint8_t { Scalar, Avx2 };

// The function a unary functor computes, if it is one of those vectorised.
template <typename F>
constexpr std::optional<Fn> fn_of() {
  if constexpr (std::is_same_v<F, functors::Exp>) return Fn::Exp;
  else if constexpr (std::is_same_v<F, functors::Log>) return Fn::Log;
  else if constexpr (std::is_same_v<F, functors::Tanh>) return Fn::Tanh;
  else if constexpr (std::is_same_v<F, functors::Sigmoid>) return Fn::Sigmoid;
  else if constexpr (std::is_same_v<F, functors::Gelu>) return Fn::Gelu;
  else if constexpr (std::is_same_v<F, functors::Silu>) return Fn::Silu;
  else return std::nullopt;
}

// The instruction set apply() uses in this process: Avx2 when the build has SLEEF and the
// CPU has AVX2 and FMA.
Isa active_isa();
// Whether isa can run here (Scalar always can).
bool isa_available(Isa isa);
const char* isa_name(Isa isa);

// out[i] = fn(in[i]) for i < n; in may equal out. The same value gives the same bits at
// any position and for any n.
void apply(Fn fn, const float* in, float* out, int64_t n);
void apply(Fn fn, const double* in, double* out, int64_t n);
// The same with a chosen instruction set (tests compare them); isa must be available.
void apply_with(Isa isa, Fn fn, const float* in, float* out, int64_t n);
void apply_with(Isa isa, Fn fn, const double* in, double* out, int64_t n);

// The activations whose gradient grad() computes: Gelu and Silu.
constexpr bool has_vector_grad(Fn fn) { return fn == Fn::Gelu || fn == Fn::Silu; }
// The first-derivative functor whose activation has a vector gradient, if F is one.
template <typename F>
struct GradFnOf {
  static constexpr std::optional<Fn> fn = std::nullopt;
};
template <typename A>
struct GradFnOf<functors::FirstDerivative<A>> {
  static constexpr std::optional<Fn> fn =
      fn_of<A>().has_value() && has_vector_grad(*fn_of<A>()) ? fn_of<A>() : std::nullopt;
};

// out[i] = the activation fn's FirstDerivative(g[i], x[i]) (functors::Gelu::grad,
// functors::Silu::grad), its operations in its order; fn has_vector_grad; out may equal g
// or x. The same value pair gives the same bits at any position and for any n.
void grad(Fn fn, const float* g, const float* x, float* out, int64_t n);
void grad(Fn fn, const double* g, const double* x, double* out, int64_t n);
void grad_with(Isa isa, Fn fn, const float* g, const float* x, float* out, int64_t n);
void grad_with(Isa isa, Fn fn, const double* g, const double* x, double* out, int64_t n);

// Row primitives of softmax, log_softmax and cross_entropy (float and double rows):
// the largest x[i] ignoring NaN (-inf if there is none; fused::max_ignoring_nan's);
// sum_i exp(double(x[i]) - shift), shift finite, each exp also kept in e[i] unless e is
// null; y[i] = exp(double(x[i]) - shift) rounded to T (fused::exp_shifted's), y may
// equal x. Float rows' exps are float's to an ulp or so, double rows' double's.
template <typename T>
T max_ignoring_nan(const T* x, int64_t n);
template <typename T>
double sum_exp_shifted(const T* x, int64_t n, double shift, double* e = nullptr);
template <typename T>
void exp_shifted(const T* x, int64_t n, double shift, T* y);
// acc + the sum of p[0..n) in double, as the CPU reductions fold a contiguous run (sum,
// mean): n / 16 * 16 values into sixteen lanes (lane l takes p[i] with i % 16 == l), the
// lanes added to acc in order, then the rest one by one. With AVX2 the lanes are four
// vectors; the order of additions is the same, so are the bits.
template <typename T>
double accumulate_run(double acc, const T* p, int64_t n);
constexpr int kAccumulateLanes = 16;
// The same with a chosen instruction set; isa must be available.
template <typename T>
double accumulate_run_with(Isa isa, double acc, const T* p, int64_t n);
template <typename T>
double sum_exp_shifted_with(Isa isa, const T* x, int64_t n, double shift, double* e = nullptr);

}  // namespace ember::cpu::vector_math
