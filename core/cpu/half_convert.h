// Bulk float <-> float16 conversions for the CPU's contiguous runs: F16C's vector
// instructions where the CPU has them, eight values at a time, else Half's own steps; both
// give the same bits for every input, NaNs included (Note [Float16] in core/half.h).
#pragma once
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "core/half.h"

namespace ember::cpu {

// out[i] = Half(in[i]) for i < n (rounded to nearest, ties to even).
void floats_to_halves(const float* in, Half* out, int64_t n);
// out[i] = float(in[i]) for i < n (exact).
void halves_to_floats(const Half* in, float* out, int64_t n);

// out[i] = in[i] converted to To for i < n: the bulk routines above between float and
// float16, a copy between equal types, an element loop otherwise (bfloat16's conversions
// are a shift and a rounding add).
template <typename From, typename To>
inline void convert_values(const From* in, To* out, int64_t n) {
  if constexpr (std::is_same_v<From, Half> && std::is_same_v<To, float>) {
    halves_to_floats(in, out, n);
  } else if constexpr (std::is_same_v<From, float> && std::is_same_v<To, Half>) {
    floats_to_halves(in, out, n);
  } else if constexpr (std::is_same_v<From, To>) {
    std::copy_n(in, n, out);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<To>(in[i]);
  }
}

// p's n values as To: p itself when From is To, else converted into buf (resized to n), so
// a 16-bit run is widened once, in bulk, before a float loop reads it.
template <typename To, typename From>
const To* values_as(const From* p, int64_t n, std::vector<To>& buf) {
  if constexpr (std::is_same_v<From, To>) {
    return p;
  } else {
    buf.resize(static_cast<size_t>(n));
    convert_values(p, buf.data(), n);
    return buf.data();
  }
}

}  // namespace ember::cpu
