// Native (unrecorded) special math of core/ops/special_math.cpp: the kernels of
// core/math_functors.h for erfc, erfinv, the inverse hyperbolic functions, exp2, lgamma,
// digamma and trigamma, torch.special's i0, i0e, i1, i1e, erfcx, ndtri and log_ndtr, and the binary hypot, copysign,
// logaddexp(2) and nextafter, out of place and in place.
#pragma once
#include "core/tensor.h"

namespace ember::native {

// One input: integers and bools compute in float32, as sin ... erf.
Tensor erfc(const Tensor& a);
Tensor erfinv(const Tensor& a);
Tensor asinh(const Tensor& a);
Tensor acosh(const Tensor& a);
Tensor atanh(const Tensor& a);
Tensor exp2(const Tensor& a);
Tensor lgamma(const Tensor& a);
Tensor digamma(const Tensor& a);
Tensor trigamma(const Tensor& a);
// torch.special's kernels (core/bessel_normal_functions.h): integers and bools in float32.
Tensor i0(const Tensor& a);
Tensor i0e(const Tensor& a);
Tensor i1(const Tensor& a);
Tensor i1e(const Tensor& a);
Tensor erfcx(const Tensor& a);
Tensor ndtri(const Tensor& a);
Tensor log_ndtr(const Tensor& a);
// Two inputs: copysign computes integers in float32; hypot and logaddexp(2) take floating
// operands only ('"hypot_cpu" not implemented for 'Long'', PyTorch's phrase).
Tensor hypot(const Tensor& a, const Tensor& b);
Tensor copysign(const Tensor& a, const Tensor& b);
Tensor copysign(const Tensor& a, const Scalar& b);
Tensor logaddexp(const Tensor& a, const Tensor& b);
Tensor logaddexp2(const Tensor& a, const Tensor& b);
// nextafter: floating operands only, as hypot; float16 / bfloat16 step their own format's units.
Tensor nextafter(const Tensor& a, const Tensor& b);
void hypot_(const Tensor& self, const Tensor& other);
void nextafter_(const Tensor& self, const Tensor& other);
void copysign_(const Tensor& self, const Tensor& other);
void copysign_(const Tensor& self, const Scalar& other);

}  // namespace ember::native
