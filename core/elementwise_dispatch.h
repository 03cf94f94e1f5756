// The dtype and functor dispatch of the elementwise kernels, written once for both
// devices: given a launcher with `Launcher::template apply<Out, In...>(functor, out,
// in...)` (core/cpu/elementwise.cpp, cuda/elementwise.cu), ElementwiseKernels provides
// unary, binary, binary_scalar, where, cast and fill with core/dispatch.h's contracts;
// bfloat16 and float16 operands compute in float (InFloat).
#pragma once
#include <type_traits>

#include "core/functors.h"
#include "core/tensor.h"

namespace ember {

// A float functor applied to 16-bit float operands of type Narrow (Note [BFloat16] in
// core/bfloat16.h): the arguments widen to float exactly, the float result rounds to Narrow
// once (comparisons' bool results pass through).
template <typename F, typename Narrow>
struct InFloat {
  F f;
  template <typename... X>
  EMBER_HD_INLINE auto operator()(X... x) const {
    using R = decltype(f(static_cast<float>(x)...));
    if constexpr (std::is_same_v<R, float>) return Narrow(f(static_cast<float>(x)...));
    else return f(static_cast<float>(x)...);
  }
};

template <typename Launcher>
struct ElementwiseKernels {
  template <typename Tag>
  using ElementOf = typename std::decay_t<Tag>::type;

  static void unary(UnaryOp op, const Tensor& in, const Tensor& out, const UnaryArgs& args) {
    if (visit_reduced_float(in.dtype(), [&](auto tag) {
          using N = ElementOf<decltype(tag)>;
          functors::with_unary_functor<float>(op, args, [&](const auto& f) {
            Launcher::template apply<N, N>(InFloat<std::decay_t<decltype(f)>, N>{f}, out, in);
          });
        }))
      return;
    visit_dtype_except_reduced(in.dtype(), "unary", [&](auto tag) {
      using T = ElementOf<decltype(tag)>;
      functors::with_unary_functor<T>(op, args, [&](const auto& f) { Launcher::template apply<T, T>(f, out, in); });
    });
  }

  // out = the activation op's derivative term (g, x) of `order` (Note [Activation gradients]).
  static void unary_backward(UnaryOp op, int order, const Tensor& grad, const Tensor& x, const Tensor& out,
                             const UnaryArgs& args) {
    if (visit_reduced_float(x.dtype(), [&](auto tag) {
          using N = ElementOf<decltype(tag)>;
          functors::with_unary_grad_functor<float>(op, args, order, [&](const auto& f) {
            Launcher::template apply<N, N, N>(InFloat<std::decay_t<decltype(f)>, N>{f}, out, grad, x);
          });
        }))
      return;
    visit_floating(x.dtype(), op_name(op), [&](auto tag) {
      using T = ElementOf<decltype(tag)>;
      functors::with_unary_grad_functor<T>(op, args, order,
                                           [&](const auto& f) { Launcher::template apply<T, T, T>(f, out, grad, x); });
    });
  }

  // out = the loss term of (input, target[, pos_weight]) (core/loss_functors.h); bad
  // input goes to error_word (Note [Bad input found by elementwise kernels]).
  static void pointwise_loss(PointwiseLoss op, const Tensor& input, const Tensor& target, const Tensor& pos_weight,
                             const PointwiseLossArgs& args, const Tensor& out, unsigned long long* error_word) {
    functors::with_loss_functor(op, args, error_word, [&](const auto& loss) {
      using L = std::decay_t<decltype(loss)>;
      apply_loss(functors::LossTerm<L>{loss}, input.dtype(), out, pos_weight, input, target);
    });
  }

  // out = grad * d loss / d input (or d target), over (grad, input, target[, pos_weight]).
  static void pointwise_loss_backward(PointwiseLoss op, LossGradWrt wrt, const Tensor& grad, const Tensor& input,
                                      const Tensor& target, const Tensor& pos_weight, const PointwiseLossArgs& args,
                                      const Tensor& out) {
    functors::with_loss_functor(op, args, nullptr, [&](const auto& loss) {
      using L = std::decay_t<decltype(loss)>;
      if (wrt == LossGradWrt::Input)
        apply_loss(functors::LossGradInput<L>{loss}, input.dtype(), out, pos_weight, grad, input, target);
      else
        apply_loss(functors::LossGradTarget<L>{loss}, input.dtype(), out, pos_weight, grad, input, target);
    });
  }

  // f over the operands, plus pos_weight as the last one when defined (BCE with logits).
  template <typename F, typename... Operands>
  static void apply_loss(const F& f, DType dtype, const Tensor& out, const Tensor& pos_weight,
                         const Operands&... operands) {
    auto run = [&]<typename T, typename G>(const G& g) {
      constexpr bool kPosWeight = decltype(f.l)::kTakesPosWeight;
      if constexpr (kPosWeight) {
        if (pos_weight.defined()) {
          Launcher::template apply<T, TensorElement<T, Operands>..., T>(g, out, operands..., pos_weight);
          return;
        }
      }
      Launcher::template apply<T, TensorElement<T, Operands>...>(g, out, operands...);
    };
    if (visit_reduced_float(dtype, [&](auto tag) {
          using N = ElementOf<decltype(tag)>;
          run.template operator()<N>(InFloat<F, N>{f});
        }))
      return;
    visit_floating(dtype, "pointwise loss", [&](auto tag) {
      using T = ElementOf<decltype(tag)>;
      run.template operator()<T>(f);
    });
  }
  template <typename T, typename>
  using TensorElement = T;

  static void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out, const Scalar& alpha) {
    if (visit_reduced_float(a.dtype(), [&](auto tag) {
          using N = ElementOf<decltype(tag)>;
          functors::with_binary_functor<float>(op, alpha, [&](const auto& f) {
            using Wrapped = InFloat<std::decay_t<decltype(f)>, N>;
            using Out = decltype(Wrapped{f}(N{}, N{}));  // bool for comparisons
            Launcher::template apply<Out, N, N>(Wrapped{f}, out, a, b);
          });
        }))
      return;
    visit_dtype_except_reduced(a.dtype(), "binary", [&](auto tag) {
      using T = ElementOf<decltype(tag)>;
      functors::with_binary_functor<T>(op, alpha, [&](const auto& f) {
        using Out = decltype(f(T{}, T{}));  // bool for comparisons
        Launcher::template apply<Out, T, T>(f, out, a, b);
      });
    });
  }

  static void binary_scalar(BinaryOp op, const Tensor& a, const Scalar& s, bool scalar_first, const Tensor& out) {
    // The scalar stays a float for 16-bit operands: bf16 + 0.1 adds 0.1f, then rounds.
    if (visit_reduced_float(a.dtype(), [&](auto tag) {
          using N = ElementOf<decltype(tag)>;
          functors::with_binary_functor<float>(op, Scalar(1), [&](const auto& f) {
            using F = std::decay_t<decltype(f)>;
            using Out = decltype(InFloat<F, N>{f}(N{}, N{}));
            if (scalar_first)
              Launcher::template apply<Out, N>(InFloat<functors::BindLeft<F, float>, N>{{f, s.to<float>()}}, out, a);
            else
              Launcher::template apply<Out, N>(InFloat<functors::BindRight<F, float>, N>{{f, s.to<float>()}}, out, a);
          });
        }))
      return;
    visit_dtype_except_reduced(a.dtype(), "binary", [&](auto tag) {
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
