// A differentiable one-input math op as data (its node's name, native kernel, UnaryOp,
// autocast policy, what its derivative reads, and the derivative in recorded ops), with
// its out-of-place and in-place recording: shared by autograd/functions/math.cpp and
// autograd/functions/special_math.cpp (Note [In-place math] in the former).
#pragma once
#include "autograd/functions/inplace_record.h"
#include "autograd/functions/unary_record.h"
#include "core/autocast.h"
#include "core/native.h"

namespace ember::autograd {

// What a one-input op's derivative reads: its input x, its output y, or nothing (it is 0
// everywhere; the in-place form then keeps no copy of x).
enum class Keeps { Input, Output, Nothing };
// A one-input math op: its node's name, its kernel (out of place, and in place by kind),
// whether autocast runs it in float32, and its derivative g * f'(kept).
struct UnaryMath {
  const char* name;
  Tensor (*native)(const Tensor&);
  UnaryOp kind;
  bool autocast_float32;
  Keeps keeps;
  Tensor (*derivative)(const Tensor& g, const Tensor& kept);
};

// Integers and bools as float32, floating tensors as they are: the input of PyTorch's
// unary float ops composed of other ops (frac, logit, sinc, entr, ndtr, mvlgamma, ...).
inline Tensor as_floating(const Tensor& a) { return is_floating(a.dtype()) ? a : a.to(kFloat32); }

inline Tensor unary_math(const UnaryMath& m, const Tensor& a_in) {
  // Ops autocast runs in float32 (PyTorch's CUDA fp32 list: acos, asin, cosh, erfinv, sinh,
  // tan, expm1, log1p, log2, log10, reciprocal, rsqrt, ...); the others keep their dtype.
  const Tensor a = m.autocast_float32 ? autocast::cast(autocast::CastPolicy::Float32, a_in) : a_in;
  return record_unary(m.name, a, m.native(a), m.keeps == Keeps::Output, m.derivative);
}

// In place: one node with the op's name and derivative (Note [In-place math]).
inline Tensor& unary_math_(const UnaryMath& m, Tensor& self) {
  return inplace(m.name, self, nullptr, [&] { native::math_(m.kind, self); },
                 [&m](const tensor_list& g, const tensor_list& s, const auto&) {
                   const Tensor& x = s[0];
                   return tensor_list{m.derivative(g[0], m.keeps == Keeps::Output ? unary_math(m, x) : x)};
                 },
                 /*save_self_before=*/m.keeps != Keeps::Nothing);
}

}  // namespace ember::autograd
