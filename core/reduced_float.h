// The two 16-bit floating storage types, bfloat16 and float16, as one family: both compute
// in float32 and round once (Note [BFloat16] in core/bfloat16.h, Note [Float16] in
// core/half.h), so code that widens them names the family, not one of them.
#pragma once
#include <type_traits>

#include "core/bfloat16.h"
#include "core/half.h"

namespace ember {

// BFloat16 or Half: element types stored in 16 bits and computed in float.
template <typename T>
inline constexpr bool is_reduced_float_v = std::is_same_v<T, BFloat16> || std::is_same_v<T, Half>;

// Floating element types: the built-in ones and the 16-bit ones.
template <typename T>
inline constexpr bool is_floating_element_v = std::is_floating_point_v<T> || is_reduced_float_v<T>;

// The type kernels compute T in: float for the 16-bit types, T otherwise.
template <typename T>
using ComputeType = std::conditional_t<is_reduced_float_v<T>, float, T>;

}  // namespace ember
