// CPU elementwise kernels (unary, binary, binary with a scalar, where, copy with
// dtype conversion, fill) over StridedLoop, with the math from core/functors.h.
// Contiguous rows and stride-0 (broadcast scalar) rows get plain loops that vectorise.
#include "core/cpu/kernels.h"
#include "core/cpu/strided_loop.h"
#include "core/functors.h"

namespace ember::cpu {
namespace {

using namespace ember::functors;

template <typename T>
T* data_of(const Tensor& t) {
  return static_cast<T*>(t.storage()->data());
}

// out[i] = f(in[i])
template <typename Out, typename In, typename F>
void map1(const Tensor& out, const Tensor& in, const F& f) {
  Out* o = data_of<Out>(out);
  const In* a = data_of<const In>(in);
  StridedLoop<2>({&out, &in}).run(out.numel(), [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& s) {
    Out* po = o + off[0];
    const In* pa = a + off[1];
    if (s[0] == 1 && s[1] == 1) {
      for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) po[i * s[0]] = f(pa[i * s[1]]);
    }
  });
}

// out[i] = f(a[i], b[i])
template <typename Out, typename In, typename F>
void map2(const Tensor& out, const Tensor& a, const Tensor& b, const F& f) {
  Out* o = data_of<Out>(out);
  const In* pa0 = data_of<const In>(a);
  const In* pb0 = data_of<const In>(b);
  if (out.numel() == 1) {  // the 1-element fast path: no loop set-up at all
    o[out.storage_offset()] = f(pa0[a.storage_offset()], pb0[b.storage_offset()]);
    return;
  }
  StridedLoop<3>({&out, &a, &b}).run(out.numel(), [&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& s) {
    Out* po = o + off[0];
    const In* pa = pa0 + off[1];
    const In* pb = pb0 + off[2];
    if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
      for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
    } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
      const In bv = *pb;
      for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], bv);
    } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {
      const In av = *pa;
      for (int64_t i = 0; i < n; ++i) po[i] = f(av, pb[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) po[i * s[0]] = f(pa[i * s[1]], pb[i * s[2]]);
    }
  });
}

// Calls fn(functor) for a binary op on T; comparisons' functors return bool.
template <typename T, typename Fn>
void with_binary(BinaryOp op, const Scalar& alpha, const Fn& fn) {
  switch (op) {
    case BinaryOp::Add:
      if (alpha.to_double() == 1.0) return fn(Add{});
      return fn(AddAlpha<T>{alpha.to<T>()});
    case BinaryOp::Sub:
      if (alpha.to_double() == 1.0) return fn(Sub{});
      return fn(SubAlpha<T>{alpha.to<T>()});
    case BinaryOp::Mul: return fn(Mul{});
    case BinaryOp::Div: return fn(Div{});
    case BinaryOp::Pow: return fn(Pow{});
    case BinaryOp::Maximum: return fn(Maximum{});
    case BinaryOp::Minimum: return fn(Minimum{});
    case BinaryOp::Eq: return fn(Eq{});
    case BinaryOp::Ne: return fn(Ne{});
    case BinaryOp::Lt: return fn(Lt{});
    case BinaryOp::Le: return fn(Le{});
    case BinaryOp::Gt: return fn(Gt{});
    case BinaryOp::Ge: return fn(Ge{});
  }
}

template <typename T, typename Fn>
void with_unary(UnaryOp op, const UnaryArgs& args, const Fn& fn) {
  switch (op) {
    case UnaryOp::Neg: return fn(Neg{});
    case UnaryOp::Exp: return fn(Exp{});
    case UnaryOp::Log: return fn(Log{});
    case UnaryOp::Sqrt: return fn(Sqrt{});
    case UnaryOp::Abs: return fn(Abs{});
    case UnaryOp::Relu: return fn(Relu{});
    case UnaryOp::Sigmoid: return fn(Sigmoid{});
    case UnaryOp::Tanh: return fn(Tanh{});
    case UnaryOp::PowScalar: return fn(PowScalar{args.p0});
    case UnaryOp::Clamp: return fn(Clamp{args.p0, args.p1, args.has_p0, args.has_p1});
  }
}

template <typename T>
constexpr bool kTranscendentalOk = std::is_floating_point_v<T>;

}  // namespace

void unary(UnaryOp op, const Tensor& in, const Tensor& out, const UnaryArgs& args) {
  visit_dtype(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    with_unary<T>(op, args, [&](auto f) {
      using F = decltype(f);
      constexpr bool needs_float = std::is_same_v<F, Exp> || std::is_same_v<F, Log> || std::is_same_v<F, Sqrt> ||
                                   std::is_same_v<F, Sigmoid> || std::is_same_v<F, Tanh>;
      if constexpr (needs_float && !kTranscendentalOk<T>) {
        EMBER_FAIL("unary op on ", dtype_name(in.dtype()), " reached the kernel; the op layer promotes to float");
      } else if constexpr (std::is_same_v<T, bool> && std::is_same_v<F, Neg>) {
        EMBER_FAIL("Negation, the `-` operator, on a bool tensor is not supported.");
      } else {
        map1<T, T>(out, in, f);
      }
    });
  });
}

void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out, const Scalar& alpha) {
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    with_binary<T>(op, alpha, [&](auto f) {
      using R = decltype(f(T{}, T{}));
      if constexpr (std::is_same_v<R, bool>) map2<bool, T>(out, a, b, f);
      else map2<T, T>(out, a, b, f);
    });
  });
}

void binary_scalar(BinaryOp op, const Tensor& a, const Scalar& s, bool scalar_first, const Tensor& out) {
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T sv = s.to<T>();
    with_binary<T>(op, Scalar(1), [&](auto f) {
      using R = decltype(f(T{}, T{}));
      using Out = std::conditional_t<std::is_same_v<R, bool>, bool, T>;
      if (scalar_first) map1<Out, T>(out, a, [&](T x) { return f(sv, x); });
      else map1<Out, T>(out, a, [&](T x) { return f(x, sv); });
    });
  });
}

void where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = data_of<T>(out);
    const bool* c = data_of<const bool>(cond);
    const T* pa = data_of<const T>(a);
    const T* pb = data_of<const T>(b);
    // two passes over three-operand loops: pick from a where cond, then from b elsewhere
    StridedLoop<3>({&out, &cond, &a}).run(out.numel(), [&](const auto& off, int64_t n, const auto& s) {
      for (int64_t i = 0; i < n; ++i)
        if (c[off[1] + i * s[1]]) o[off[0] + i * s[0]] = pa[off[2] + i * s[2]];
    });
    StridedLoop<3>({&out, &cond, &b}).run(out.numel(), [&](const auto& off, int64_t n, const auto& s) {
      for (int64_t i = 0; i < n; ++i)
        if (!c[off[1] + i * s[1]]) o[off[0] + i * s[0]] = pb[off[2] + i * s[2]];
    });
  });
}

void copy(const Tensor& src, const Tensor& dst) {
  visit_dtype(src.dtype(), [&](auto stag) {
    using S = typename decltype(stag)::type;
    visit_dtype(dst.dtype(), [&](auto dtag) {
      using D = typename decltype(dtag)::type;
      if constexpr (std::is_same_v<D, bool>) map1<bool, S>(dst, src, [](S x) { return x != S(0); });
      else map1<D, S>(dst, src, [](S x) { return static_cast<D>(x); });
    });
  });
}

void fill(const Tensor& dst, const Scalar& value) {
  visit_dtype(dst.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = value.to<T>();
    T* o = data_of<T>(dst);
    StridedLoop<1>({&dst}).run(dst.numel(), [&](const auto& off, int64_t n, const auto& s) {
      T* p = o + off[0];
      if (s[0] == 1) {
        for (int64_t i = 0; i < n; ++i) p[i] = v;
      } else {
        for (int64_t i = 0; i < n; ++i) p[i * s[0]] = v;
      }
    });
  });
}

}  // namespace ember::cpu
