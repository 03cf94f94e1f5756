// Differentiable elementwise ops: the public ember:: functions of core/ops.h are the
// native op (core/ops/) plus, when recording, a FunctionNode with the backward
// formula below. Broadcasting and dtype casts of gradients happen in FunctionNode.
#include "autograd/function_node.h"
#include "autograd/functions/unary_record.h"
#include "core/autocast.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {

namespace detail {
Tensor relu_grad_recorded(const Tensor& g, const Tensor& bits, MemoryFormat format);
}  // namespace detail

using autograd::InputMeta;
using autograd::needs_grad;
using autograd::record;
using autograd::tensor_list;
using autograd::will_record;
using autograd::will_record_into;

// ---------------------------------------------------------------- binary
Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  Tensor out = native::add(a, b, alpha);
  if (will_record_into(out, a, b)) {
    record("AddBackward", {&a, &b}, {&out}, {}, [alpha](const tensor_list& g, const tensor_list&, const auto& in) {
      return tensor_list{g[0], needs_grad(in, 1) ? (alpha.to_double() == 1.0 ? g[0] : mul(g[0], alpha)) : Tensor()};
    })->set_differentiable_backward();
  }
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  Tensor out = native::sub(a, b, alpha);
  if (will_record_into(out, a, b)) {
    record("SubBackward", {&a, &b}, {&out}, {}, [alpha](const tensor_list& g, const tensor_list&, const auto& in) {
      return tensor_list{g[0], needs_grad(in, 1) ? mul(g[0], -alpha.to_double()) : Tensor()};
    })->set_differentiable_backward();
  }
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = native::mul(a, b);
  if (will_record_into(out, a, b)) {
    // a is needed only for b's gradient and vice versa: save only what will be used.
    record("MulBackward", {&a, &b}, {&out}, {b.requires_grad() ? a : Tensor(), a.requires_grad() ? b : Tensor()},
           [](const tensor_list& g, const tensor_list& s, const auto& in) {
             return tensor_list{needs_grad(in, 0) ? mul(g[0], s[1]) : Tensor(),
                                needs_grad(in, 1) ? mul(g[0], s[0]) : Tensor()};
           })->set_differentiable_backward();
  }
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = native::div(a, b);
  if (will_record_into(out, a, b)) {
    record("DivBackward", {&a, &b}, {&out}, {b.requires_grad() ? a : Tensor(), b},
           [](const tensor_list& g, const tensor_list& s, const auto& in) {
             Tensor ga = needs_grad(in, 0) ? div(g[0], s[1]) : Tensor();
             Tensor gb;
             if (needs_grad(in, 1))  // -g * a / b^2
               gb = neg(div(mul(g[0], s[0]), mul(s[1], s[1])));
             return tensor_list{ga, gb};
           })->set_differentiable_backward();
  }
  return out;
}

Tensor pow(const Tensor& a_in, const Tensor& b_in) {
  const auto [a, b] = autocast::cast_inputs(autocast::CastPolicy::Float32, a_in, b_in);
  Tensor out = native::pow(a, b);
  if (will_record_into(out, a, b)) {
    record("PowBackward", {&a, &b}, {&out}, {a, b, b.requires_grad() ? out : Tensor()},
           [](const tensor_list& g, const tensor_list& s, const auto& in) {
             Tensor ga, gb;
             if (needs_grad(in, 0))  // g * b * a^(b-1), 0 where b == 0 (PyTorch: no 0 * inf at a = 0)
               ga = mul(g[0], where(native::eq(s[1], 0), Scalar(0.0), mul(s[1], pow(s[0], sub(s[1], 1)))));
             if (needs_grad(in, 1)) {  // g * a^b * log(a), 0 where a == 0 and b >= 0 (PyTorch)
               const Tensor d = mul(s[2], log(s[0]));
               gb = mul(g[0], where(native::eq(s[0], 0), where(native::ge(s[1], 0), Scalar(0.0), d), d));
             }
             return tensor_list{ga, gb};
           })->set_differentiable_backward();
  }
  return out;
}

// maximum/minimum: the gradient goes to the chosen input; ties split it evenly. As in
// PyTorch, an input gets nothing only where it lost a comparison, so where either is NaN
// (no comparison holds) both get the whole gradient.
static Tensor select_extreme(const char* name, const Tensor& a, const Tensor& b, bool is_max) {
  Tensor out = is_max ? native::maximum(a, b) : native::minimum(a, b);
  if (will_record_into(out, a, b)) {
    record(name, {&a, &b}, {&out}, {a, b}, [is_max](const tensor_list& g, const tensor_list& s, const auto&) {
      const DType dtype = g[0].dtype();
      const Tensor a_lost = native::to_dtype(is_max ? native::lt(s[0], s[1]) : native::gt(s[0], s[1]), dtype);
      const Tensor b_lost = native::to_dtype(is_max ? native::gt(s[0], s[1]) : native::lt(s[0], s[1]), dtype);
      const Tensor half_ties = native::mul(native::to_dtype(native::eq(s[0], s[1]), dtype), 0.5);
      const Tensor share_a = native::rsub(native::add(a_lost, half_ties), 1);
      const Tensor share_b = native::rsub(native::add(b_lost, half_ties), 1);
      return tensor_list{mul(g[0], share_a), mul(g[0], share_b)};
    })->set_differentiable_backward();
  }
  return out;
}
Tensor maximum(const Tensor& a, const Tensor& b) { return select_extreme("MaximumBackward", a, b, true); }
Tensor minimum(const Tensor& a, const Tensor& b) { return select_extreme("MinimumBackward", a, b, false); }

// ---------------------------------------------------------------- with a scalar
Tensor add(const Tensor& a, const Scalar& b) {
  Tensor out = native::add(a, b);
  if (will_record_into(out, a))
    record("AddBackward", {&a}, {&out}, {}, [](const tensor_list& g, const tensor_list&, const auto&) {
      return g;
    })->set_differentiable_backward();
  return out;
}

Tensor sub(const Tensor& a, const Scalar& b) {
  Tensor out = native::sub(a, b);
  if (will_record_into(out, a))
    record("SubBackward", {&a}, {&out}, {}, [](const tensor_list& g, const tensor_list&, const auto&) {
      return g;
    })->set_differentiable_backward();
  return out;
}

Tensor rsub(const Tensor& a, const Scalar& b) {
  Tensor out = native::rsub(a, b);
  if (will_record_into(out, a))
    record("RsubBackward", {&a}, {&out}, {}, [](const tensor_list& g, const tensor_list&, const auto&) {
      return tensor_list{neg(g[0])};
    })->set_differentiable_backward();
  return out;
}

Tensor mul(const Tensor& a, const Scalar& b) {
  Tensor out = native::mul(a, b);
  if (will_record_into(out, a))
    record("MulBackward", {&a}, {&out}, {}, [b](const tensor_list& g, const tensor_list&, const auto&) {
      return tensor_list{mul(g[0], b)};
    })->set_differentiable_backward();
  return out;
}

Tensor div(const Tensor& a, const Scalar& b) {
  Tensor out = native::div(a, b);
  if (will_record_into(out, a))
    record("DivBackward", {&a}, {&out}, {}, [b](const tensor_list& g, const tensor_list&, const auto&) {
      return tensor_list{div(g[0], b)};
    })->set_differentiable_backward();
  return out;
}

Tensor rdiv(const Tensor& a, const Scalar& b) {
  Tensor out = native::rdiv(a, b);
  if (will_record_into(out, a))
    record("DivBackward", {&a}, {&out}, {a}, [b](const tensor_list& g, const tensor_list& s, const auto&) {
      return tensor_list{neg(div(mul(g[0], b), mul(s[0], s[0])))};  // -g*b/a^2
    })->set_differentiable_backward();
  return out;
}

Tensor pow(const Tensor& a_in, const Scalar& b) {
  const Tensor a = autocast::cast(autocast::CastPolicy::Float32, a_in);
  Tensor out = native::pow(a, b);
  if (will_record_into(out, a))
    record("PowBackward", {&a}, {&out}, {a}, [b](const tensor_list& g, const tensor_list& s, const auto&) {
      if (b.to_double() == 0.0) return tensor_list{mul(g[0], 0.0)};
      return tensor_list{mul(g[0], mul(pow(s[0], b.to_double() - 1.0), b))};
    })->set_differentiable_backward();
  return out;
}

// ---------------------------------------------------------------- unary
using autograd::record_unary;

Tensor neg(const Tensor& a) {
  Tensor out = native::neg(a);
  if (will_record_into(out, a))
    record("NegBackward", {&a}, {&out}, {}, [](const tensor_list& g, const tensor_list&, const auto&) {
      return tensor_list{neg(g[0])};
    })->set_differentiable_backward();
  return out;
}
Tensor exp(const Tensor& a_in) {
  const Tensor a = autocast::cast(autocast::CastPolicy::Float32, a_in);
  return record_unary("ExpBackward", a, native::exp(a), true, [](const Tensor& g, const Tensor& y) { return mul(g, y); });
}
Tensor log(const Tensor& a_in) {
  const Tensor a = autocast::cast(autocast::CastPolicy::Float32, a_in);
  return record_unary("LogBackward", a, native::log(a), false, [](const Tensor& g, const Tensor& x) { return div(g, x); });
}
Tensor sqrt(const Tensor& a) {
  return record_unary("SqrtBackward", a, native::sqrt(a), true,
                  [](const Tensor& g, const Tensor& y) { return div(g, mul(y, 2.0)); });
}
Tensor abs(const Tensor& a) {
  return record_unary("AbsBackward", a, native::abs(a), false, [](const Tensor& g, const Tensor& x) {
    Tensor sign = native::sub(native::to_dtype(native::gt(x, 0), g.dtype()), native::to_dtype(native::lt(x, 0), g.dtype()));
    return mul(g, sign);
  }, /*reads_input=*/true);
}
// g where the bit is set, else 0: ReLU's gradient (relu and relu_), linear in g, so for
// create_graph its own derivative is itself (PyTorch's ThresholdBackwardBackward).
Tensor detail::relu_grad_recorded(const Tensor& g, const Tensor& bits, MemoryFormat format) {
  // Note [Gradients overwritten in backward] (core/native.h)
  Tensor out = native::relu_grad_from_bits(g, bits, format, native::overwritable_gradient(g, format));
  if (will_record_into(out, g))
    record("ThresholdBackwardBackward", {&g}, {&out}, {bits},
           [format](const tensor_list& gg, const tensor_list& s, const auto&) {
             return tensor_list{detail::relu_grad_recorded(gg[0], s[0], format)};
           })->set_differentiable_backward();
  return out;
}

// ReLU keeps y > 0 as bits, not y (Note [Compact saved activations] in core/bitmask.h):
// grad where the bit is set, else 0, exactly PyTorch's threshold_backward on y.
Tensor relu(const Tensor& a) {
  if (!will_record(a)) {
    Tensor out = native::relu(a);
    autograd::note_untracked(out, {&a});
    return out;
  }
  auto [out, bits] = native::relu_with_bits(a);  // one pass for both
  const MemoryFormat format = native::dense_format(out);
  record("ReluBackward", {&a}, {&out}, {bits}, [format](const tensor_list& g, const tensor_list& s, const auto&) {
    return tensor_list{detail::relu_grad_recorded(g[0], s[0], format)};
  })->set_backward_reads_inputs();
  return out;
}
Tensor sigmoid(const Tensor& a) {
  return record_unary("SigmoidBackward", a, native::sigmoid(a), true, [](const Tensor& g, const Tensor& y) {
    return mul(g, mul(y, rsub(y, 1)));  // g*y*(1-y)
  });
}
Tensor tanh(const Tensor& a) {
  return record_unary("TanhBackward", a, native::tanh(a), true, [](const Tensor& g, const Tensor& y) {
    return mul(g, rsub(mul(y, y), 1));  // g*(1-y^2)
  });
}
Tensor clamp(const Tensor& a, std::optional<Scalar> min, std::optional<Scalar> max) {
  return record_unary("ClampBackward", a, native::clamp(a, min, max), false, [min, max](const Tensor& g, const Tensor& x) {
    // the gradient passes where min <= x <= max
    Tensor grad = g;
    if (min) grad = mul(grad, native::to_dtype(native::ge(x, *min), g.dtype()));
    if (max) grad = mul(grad, native::to_dtype(native::le(x, *max), g.dtype()));
    return grad;
  });
}

// ---------------------------------------------------------------- where
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  Tensor out = native::where(cond, a, b);
  if (will_record_into(out, a, b)) {
    record("WhereBackward", {&a, &b}, {&out}, {cond}, [](const tensor_list& g, const tensor_list& s, const auto& in) {
      Tensor zero = mul(g[0], 0.0);
      return tensor_list{needs_grad(in, 0) ? where(s[0], g[0], zero) : Tensor(),
                         needs_grad(in, 1) ? where(s[0], zero, g[0]) : Tensor()};
    })->set_differentiable_backward();
  }
  return out;
}
Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b) {
  Tensor out = native::where(cond, a, b);
  if (will_record_into(out, b)) {
    record("WhereBackward", {&b}, {&out}, {cond}, [](const tensor_list& g, const tensor_list& s, const auto&) {
      return tensor_list{where(s[0], Scalar(0.0), g[0])};
    })->set_differentiable_backward();
  }
  return out;
}
Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b) {
  Tensor out = native::where(cond, a, b);
  if (will_record_into(out, a)) {
    record("WhereBackward", {&a}, {&out}, {cond}, [](const tensor_list& g, const tensor_list& s, const auto&) {
      return tensor_list{where(s[0], g[0], Scalar(0.0))};
    })->set_differentiable_backward();
  }
  return out;
}

Tensor where(const Tensor& cond, const Scalar& a, const Scalar& b) {
  const DType dt = a.is_floating() || b.is_floating() ? kFloat32 : a.is_bool() && b.is_bool() ? kBool : kInt64;
  const TensorOptions options = TensorOptions(dt).device(cond.device());
  return native::where(cond, full({}, a, options), full({}, b, options));
}

// ---------------------------------------------------------------- not differentiable
Tensor eq(const Tensor& a, const Tensor& b) { return native::eq(a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return native::ne(a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return native::lt(a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return native::le(a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return native::gt(a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return native::ge(a, b); }
Tensor eq(const Tensor& a, const Scalar& b) { return native::eq(a, b); }
Tensor ne(const Tensor& a, const Scalar& b) { return native::ne(a, b); }
Tensor lt(const Tensor& a, const Scalar& b) { return native::lt(a, b); }
Tensor le(const Tensor& a, const Scalar& b) { return native::le(a, b); }
Tensor gt(const Tensor& a, const Scalar& b) { return native::gt(a, b); }
Tensor ge(const Tensor& a, const Scalar& b) { return native::ge(a, b); }

}  // namespace ember
