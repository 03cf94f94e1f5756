// The dtype and functor dispatch of the elementwise kernels, written once for both
// devices: given a launcher with `Launcher::template apply<Out, In...>(functor, out,
// in...)` (core/cpu/elementwise.cpp, cuda/elementwise.cu), ElementwiseKernels provides
// unary, binary, binary_scalar, where, cast and fill with core/dispatch.h's contracts.
#pragma once
#include <type_traits>

#include "core/functors.h"
#include "core/tensor.h"

namespace ember {

template <typename Launcher>
struct ElementwiseKernels {
  template <typename Tag>
  using ElementOf = typename std::decay_t<Tag>::type;

  static void unary(UnaryOp op, const Tensor& in, const Tensor& out, const UnaryArgs& args) {
    visit_dtype(in.dtype(), [&](auto tag) {
      using T = ElementOf<decltype(tag)>;
      functors::with_unary_functor<T>(op, args, [&](const auto& f) { Launcher::template apply<T, T>(f, out, in); });
    });
  }

  static void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out, const Scalar& alpha) {
    visit_dtype(a.dtype(), [&](auto tag) {
      using T = ElementOf<decltype(tag)>;
      functors::with_binary_functor<T>(op, alpha, [&](const auto& f) {
        using Out = decltype(f(T{}, T{}));  // bool for comparisons
        Launcher::template apply<Out, T, T>(f, out, a, b);
      });
    });
  }

  static void binary_scalar(BinaryOp op, const Tensor& a, const Scalar& s, bool scalar_first, const Tensor& out) {
    visit_dtype(a.dtype(), [&](auto tag) {
      using T = ElementOf<decltype(tag)>;
      functors::with_binary_functor<T>(op, Scalar(1), [&](const auto& f) {
        using F = std::decay_t<decltype(f)>;
        using Out = decltype(f(T{}, T{}));
        if (scalar_first) Launcher::template apply<Out, T>(functors::BindLeft<F, T>{f, s.to<T>()}, out, a);
        else Launcher::template apply<Out, T>(functors::BindRight<F, T>{f, s.to<T>()}, out, a);
      });
    });
  }

  static void where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
    EMBER_INTERNAL_ASSERT(cond.dtype() == kBool, "where: the condition reached the kernel as ", cond.dtype());
    visit_dtype(a.dtype(), [&](auto tag) {
      using T = ElementOf<decltype(tag)>;
      Launcher::template apply<T, bool, T, T>(functors::Select{}, out, cond, a, b);
    });
  }

  // dst = src converted elementwise to dst's dtype (any layouts).
  static void cast(const Tensor& src, const Tensor& dst) {
    visit_dtype(src.dtype(), [&](auto from_tag) {
      using From = ElementOf<decltype(from_tag)>;
      visit_dtype(dst.dtype(), [&](auto to_tag) {
        using To = ElementOf<decltype(to_tag)>;
        Launcher::template apply<To, From>(functors::CastTo<To>{}, dst, src);
      });
    });
  }

  static void fill(const Tensor& dst, const Scalar& value) {
    visit_dtype(dst.dtype(), [&](auto tag) {
      using T = ElementOf<decltype(tag)>;
      Launcher::template apply<T>(functors::Constant<T>{value.to<T>()}, dst);
    });
  }
};

}  // namespace ember
