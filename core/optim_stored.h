// The fused optimizer updates for parameters stored in 16 bits, shared by the CPU loops and
// the CUDA kernels: stored_as<T>(update) runs an update written for float on each element's
// widened values and rounds every written value once (Note [16-bit optimizer steps]).
#pragma once
#include <type_traits>

#include "core/macros.h"
#include "core/reduced_float.h"

namespace ember::fused {

// Note [16-bit optimizer steps]
// A bfloat16 or float16 parameter (a model after Module::half()) keeps its optimizer state
// in its own dtype, as PyTorch's optimizers do (their state is zeros_like(param)). Its
// fused update is the float32 update (core/optim_math*.h) on the element's parameter,
// gradient and state widened to float, each written value rounded back once: the same
// bits on the CPU and on CUDA, one rounding per value and step where PyTorch's 16-bit
// foreach ops round after every op. There is no fp32 master copy of the weights: updates
// smaller than half a 16-bit ulp of the weight are lost, which is why autocast keeps
// float32 parameters (Note [Autocast]).
template <typename T, typename Update>
struct StoredAs {
  Update update;  // on float

  EMBER_HD_INLINE void operator()(T& p, T g, T& a) const {
    float pf = static_cast<float>(p), af = static_cast<float>(a);
    update(pf, static_cast<float>(g), af);
    p = T(pf);
    a = T(af);
  }
  EMBER_HD_INLINE void operator()(T& p, T g, T& a, T& b) const {
    float pf = static_cast<float>(p), af = static_cast<float>(a), bf = static_cast<float>(b);
    update(pf, static_cast<float>(g), af, bf);
    p = T(pf);
    a = T(af);
    b = T(bf);
  }
  EMBER_HD_INLINE void operator()(T& p, T g, T& a, T& b, T& c) const {
    float pf = static_cast<float>(p), af = static_cast<float>(a), bf = static_cast<float>(b),
          cf = static_cast<float>(c);
    update(pf, static_cast<float>(g), af, bf, cf);
    p = T(pf);
    a = T(af);
    b = T(bf);
    c = T(cf);
  }
};

// The update for elements stored as T: `update` itself for float and double, else it
// through float (StoredAs). `update` is an update for ComputeType<T>.
template <typename T, typename Update>
EMBER_HD_INLINE auto stored_as(const Update& update) {
  if constexpr (is_reduced_float_v<T>) {
    return StoredAs<T, Update>{update};
  } else {
    return update;
  }
}

}  // namespace ember::fused
