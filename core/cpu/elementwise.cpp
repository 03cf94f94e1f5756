// CPU elementwise kernels (unary, binary, binary with a scalar, where, copy with dtype
// conversion, fill): the math of core/functors.h applied over StridedLoop, with exp, log,
// tanh, sigmoid, GELU, SiLU and the last two's gradients vectorised by
// core/cpu/vector_math.h. Runs where every operand is contiguous, or one binary operand is
// broadcast, are plain loops; contiguous float16 runs widen and narrow in bulk (F16C:
// core/cpu/half_convert.h) around the float loop.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "core/cpu/avx2_clones.h"
#include "core/cpu/half_convert.h"
#include "core/cpu/kernels.h"
#include "core/cpu/select_bits.h"
#include "core/cpu/strided_loop.h"
#include "core/cpu/vector_math.h"
#include "core/elementwise_dispatch.h"
#include "core/functors.h"

namespace ember::cpu {
namespace {

using namespace ember::functors;

// The storage's first element; StridedLoop's offsets include the tensor's own offset.
template <typename T>
T* storage_base(const Tensor& t) {
  return static_cast<T*>(t.storage()->data());
}

// A Tensor parameter per input type (for the parameter pack of apply).
template <typename In>
using TensorFor = const Tensor&;

// n elements of contiguous operands: the loop the compiler vectorises, also for AVX2
// (Note [AVX2 clones]: the same values, twice the lanes).
template <typename F, typename Out, typename... In>
EMBER_AVX2_CLONES void run_contiguous(const F& f, int64_t n, Out* out, const In*... in) {
  for (int64_t i = 0; i < n; ++i) out[i] = f(in[i]...);
}

// float32 <-> float16 casts: contiguous runs take the bulk conversions (F16C).
template <typename F, typename Out, typename... In>
constexpr bool kBulkHalfCast =
    sizeof...(In) == 1 && std::is_same_v<F, CastTo<Out>> &&
    ((std::is_same_v<Out, Half> && (std::is_same_v<In, float> && ...)) ||
     (std::is_same_v<Out, float> && (std::is_same_v<In, Half> && ...)));

// A float functor on float16 operands with a float16 result (InFloat<G, Half>; comparisons,
// whose result is bool, excluded).
template <typename F, typename Out>
struct HalfThroughFloats : std::false_type {};
template <typename G>
struct HalfThroughFloats<InFloat<G, Half>, Half> : std::true_type {};

// n elements of contiguous float16 operands through the float functor f: chunks widened by
// the bulk conversion, f's float loop (vectorised), each result rounded once on the way back.
template <typename G, typename... In>
void half_through_floats(const G& f, int64_t n, Half* out, const In*... in) {
  constexpr int64_t kChunk = 512;
  constexpr size_t kInputs = sizeof...(In);
  float buffers[kInputs + 1][kChunk];
  const std::array<const Half*, kInputs> inputs{in...};
  for (int64_t start = 0; start < n; start += kChunk) {
    const int64_t m = std::min(kChunk, n - start);
    for (size_t i = 0; i < kInputs; ++i) halves_to_floats(inputs[i] + start, buffers[i + 1], m);
    [&]<size_t... I>(std::index_sequence<I...>) {
      run_contiguous(f, m, buffers[0], static_cast<const float*>(buffers[I + 1])...);
    }(std::make_index_sequence<kInputs>{});
    floats_to_halves(buffers[0], out + start, m);
  }
}

// The vector_math function a unary functor computes (the 16-bit floats' InFloat wrapper included).
template <typename F>
struct VectorisedFn {
  static constexpr std::optional<vector_math::Fn> fn = vector_math::fn_of<F>();
};
template <typename F, typename N>
struct VectorisedFn<InFloat<F, N>> : VectorisedFn<F> {};

// The activation whose gradient functor F is, where vector_math::grad computes it.
template <typename F>
struct VectorisedGradFn : vector_math::GradFnOf<F> {};
template <typename F, typename N>
struct VectorisedGradFn<InFloat<F, N>> : VectorisedGradFn<F> {};

// out = array_op(in...) with every element through a vector_math array function (Note
// [Vectorised transcendental functions]): contiguous float and double runs directly, other
// runs (strided, 16-bit floats) gathered into buffers of the compute type and written back.
// array_op(const Compute*... in, Compute* out, n) may write over its first input.
template <typename T, typename ArrayOp, typename... In>
void apply_through_arrays(const ArrayOp& array_op, const Tensor& out, const In&... in) {
  using Compute = ComputeType<T>;
  constexpr int kInputs = static_cast<int>(sizeof...(In));
  T* const out_base = storage_base<T>(out);
  const std::array<const T*, kInputs> in_base{storage_base<const T>(in)...};
  StridedLoop<1 + kInputs>({&out, &in...}).run([&](const auto& offsets, int64_t n, const auto& strides) {
    T* const o = out_base + offsets[0];
    [&]<size_t... I>(std::index_sequence<I...>) {
      const std::array<const T*, kInputs> p{(in_base[I] + offsets[I + 1])...};
      if constexpr (std::is_same_v<Compute, T>) {
        if (strides[0] == 1 && ((strides[I + 1] == 1) && ...)) return array_op(p[I]..., o, n);
      }
      constexpr int64_t kChunk = 256;
      Compute buffers[kInputs][kChunk];
      for (int64_t start = 0; start < n; start += kChunk) {
        const int64_t m = std::min(kChunk, n - start);
        for (int i = 0; i < kInputs; ++i) {
          if constexpr (std::is_same_v<T, Half>) {  // contiguous float16: the bulk conversion
            if (strides[i + 1] == 1) {
              halves_to_floats(p[i] + start, buffers[i], m);
              continue;
            }
          }
          for (int64_t k = 0; k < m; ++k) buffers[i][k] = static_cast<Compute>(p[i][(start + k) * strides[i + 1]]);
        }
        array_op(static_cast<const Compute*>(buffers[I])..., buffers[0], m);
        if constexpr (std::is_same_v<T, Half>) {
          if (strides[0] == 1) {
            floats_to_halves(buffers[0], o + start, m);
            continue;
          }
        }
        for (int64_t k = 0; k < m; ++k) o[(start + k) * strides[0]] = T(buffers[0][k]);
      }
    }(std::make_index_sequence<kInputs>{});
  });
}

// functors::Round's nearbyint (ties to even) without a libm call, so that the loop
// vectorises: for |x| below 2^(mantissa bits), adding and subtracting that power rounds
// |x| to an integer in the default rounding mode, ties to even, and the sign is put back
// (-0.3 -> -0.0, as nearbyint); larger values, infinities and NaN are returned as they
// are, as nearbyint returns them. Bit for bit nearbyint's (tests/core/test_round_cpu.cpp).
struct RoundTiesEven {
  template <typename T>
  T operator()(T x) const {
    constexpr T kShift = std::is_same_v<T, float> ? T(8388608.0f) : T(4503599627370496.0);  // 2^23, 2^52
    const T magnitude = std::fabs(x);
    const T rounded = (magnitude + kShift) - kShift;
    return magnitude < kShift ? std::copysign(rounded, x) : x;
  }
};

struct CpuLauncher {
  // out = f(in...) over same-shaped operands (out may alias an input with the same layout).
  template <typename Out, typename... In, typename F>
  static void apply(const F& f, const Tensor& out, TensorFor<In>... in) {
    if constexpr (std::is_same_v<F, functors::Round> && std::is_floating_point_v<Out> &&
                  (std::is_same_v<Out, In> && ...)) {
      return apply<Out, In...>(RoundTiesEven{}, out, in...);
    }
    if constexpr (VectorisedFn<F>::fn.has_value() && sizeof...(In) == 1 && (std::is_same_v<Out, In> && ...)) {
      constexpr vector_math::Fn fn = *VectorisedFn<F>::fn;
      return apply_through_arrays<Out>([](const auto* p, auto* o, int64_t n) { vector_math::apply(fn, p, o, n); },
                                       out, in...);
    }
    if constexpr (VectorisedGradFn<F>::fn.has_value() && sizeof...(In) == 2 && (std::is_same_v<Out, In> && ...)) {
      constexpr vector_math::Fn fn = *VectorisedGradFn<F>::fn;
      return apply_through_arrays<Out>(
          [](const auto* g, const auto* x, auto* o, int64_t n) { vector_math::grad(fn, g, x, o, n); }, out, in...);
    }
    constexpr int kOperands = 1 + static_cast<int>(sizeof...(In));
    Out* const out_base = storage_base<Out>(out);
    const std::tuple<const In*...> in_base{storage_base<const In>(in)...};
    [&]<size_t... I>(std::index_sequence<I...>) {
      if (out.numel() == 1) {  // the common tiny case: no loop set-up at all
        out_base[out.storage_offset()] = f(std::get<I>(in_base)[in.storage_offset()]...);
        return;
      }
      StridedLoop<kOperands>({&out, &in...}).run([&](const auto& offsets, int64_t n, const auto& strides) {
        Out* const o = out_base + offsets[0];
        const std::tuple<const In*...> p{std::get<I>(in_base) + offsets[I + 1]...};
        if (strides[0] == 1 && ((strides[I + 1] == 1) && ...)) {
          if constexpr (kBulkHalfCast<F, Out, In...>) {
            if constexpr (std::is_same_v<Out, Half>) return floats_to_halves(std::get<I>(p)..., o, n);
            else return halves_to_floats(std::get<I>(p)..., o, n);
          }
          if constexpr (HalfThroughFloats<F, Out>::value && (std::is_same_v<In, Half> && ...))
            return half_through_floats(f.f, n, o, std::get<I>(p)...);
          if constexpr (sizeof...(In) == 3 && std::is_same_v<F, functors::Select>) {
            using A = std::tuple_element_t<1, std::tuple<In...>>;
            if constexpr (kSelectsBits<A>)  // where(cond, a, b) without a branch
              return run_contiguous([](bool c, A x, A y) { return select_bits(c, x, y); }, n, o, std::get<I>(p)...);
          }
          return run_contiguous(f, n, o, std::get<I>(p)...);
        }
        if constexpr (sizeof...(In) == 2) {  // a tensor against a broadcast (stride-0) value
          using A = std::tuple_element_t<0, std::tuple<In...>>;
          using B = std::tuple_element_t<1, std::tuple<In...>>;
          const A* a = std::get<0>(p);
          const B* b = std::get<1>(p);
          if (strides[0] == 1 && strides[1] == 1 && strides[2] == 0)
            return run_contiguous([&f, v = *b](A x) { return f(x, v); }, n, o, a);
          if (strides[0] == 1 && strides[1] == 0 && strides[2] == 1)
            return run_contiguous([&f, v = *a](B x) { return f(v, x); }, n, o, b);
        }
        if constexpr (sizeof...(In) == 3) {  // where(cond, a, scalar) or where(cond, scalar, b)
          using C = std::tuple_element_t<0, std::tuple<In...>>;
          using A = std::tuple_element_t<1, std::tuple<In...>>;
          using B = std::tuple_element_t<2, std::tuple<In...>>;
          constexpr bool kBits = std::is_same_v<F, functors::Select> && kSelectsBits<A> && std::is_same_v<A, B>;
          if (strides[0] == 1 && strides[1] == 1 && strides[2] == 1 && strides[3] == 0) {
            const auto v = *std::get<2>(p);
            if constexpr (kBits)
              return run_contiguous([v](bool c, A x) { return select_bits(c, x, v); }, n, o, std::get<0>(p),
                                    std::get<1>(p));
            else
              return run_contiguous([&f, v](C c, A x) { return f(c, x, v); }, n, o, std::get<0>(p), std::get<1>(p));
          }
          if (strides[0] == 1 && strides[1] == 1 && strides[2] == 0 && strides[3] == 1) {
            const auto v = *std::get<1>(p);
            if constexpr (kBits)
              return run_contiguous([v](bool c, B x) { return select_bits(c, v, x); }, n, o, std::get<0>(p),
                                    std::get<2>(p));
            else
              return run_contiguous([&f, v](C c, B x) { return f(c, v, x); }, n, o, std::get<0>(p), std::get<2>(p));
          }
        }
        for (int64_t i = 0; i < n; ++i) o[i * strides[0]] = f(std::get<I>(p)[i * strides[I + 1]]...);
      });
    }(std::index_sequence_for<In...>{});
  }
};
using Kernels = ElementwiseKernels<CpuLauncher>;

}  // namespace

void unary(UnaryOp op, const Tensor& in, const Tensor& out, const UnaryArgs& args) {
  Kernels::unary(op, in, out, args);
}
void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out, const Scalar& alpha) {
  Kernels::binary(op, a, b, out, alpha);
}
void binary_scalar(BinaryOp op, const Tensor& a, const Scalar& s, bool scalar_first, const Tensor& out) {
  Kernels::binary_scalar(op, a, s, scalar_first, out);
}
void where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) { Kernels::where(cond, a, b, out); }
void unary_backward(UnaryOp op, int order, const Tensor& grad, const Tensor& x, const Tensor& out,
                    const UnaryArgs& args) {
  Kernels::unary_backward(op, order, grad, x, out, args);
}
// Note [Bad input found by elementwise kernels] in core/loss_functors.h: the word is read
// after the loop.
void pointwise_loss(PointwiseLoss op, const Tensor& input, const Tensor& target, const Tensor& pos_weight,
                    const PointwiseLossArgs& args, const Tensor& out) {
  unsigned long long error_word[2] = {0, 0};
  Kernels::pointwise_loss(op, input, target, pos_weight, args, out, error_word);
  EMBER_CHECK(error_word[0] != kKernelErrorBceInputOutOfRange, "all elements of ",
              error_word[1] == 0 ? "input" : "target", " should be between 0 and 1");
}
void pointwise_loss_backward(PointwiseLoss op, LossGradWrt wrt, const Tensor& grad, const Tensor& input,
                             const Tensor& target, const Tensor& pos_weight, const PointwiseLossArgs& args,
                             const Tensor& out) {
  Kernels::pointwise_loss_backward(op, wrt, grad, input, target, pos_weight, args, out);
}

void copy(const Tensor& src, const Tensor& dst) {
  if (src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous()) {  // a plain memcpy
    auto* to = static_cast<char*>(dst.data_ptr());
    const auto* from = static_cast<const char*>(src.data_ptr());
    const auto bytes = static_cast<int64_t>(dst.nbytes());
    if (bytes == 0 || to == from) return;
    parallel_for(0, bytes, kParallelGrain * 8, [&](int64_t begin, int64_t end) {
      std::memcpy(to + begin, from + begin, static_cast<size_t>(end - begin));
    });
    return;
  }
  Kernels::cast(src, dst);
}

void fill(const Tensor& dst, const Scalar& value) { Kernels::fill(dst, value); }

}  // namespace ember::cpu
