// sort's and topk's order as unsigned integer keys, shared by the CPU kernel (core/cpu/sort.cpp,
// which radix-sorts long rows by them and compares them otherwise) and the CUDA one
// (cuda/sort.cu, which radix-sorts them with cub):
// one key function, so both devices order every value, NaN and ±0 included, alike.
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "core/reduced_float.h"
#include "core/macros.h"

namespace ember {

// Note [Sort order of ties and NaN]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// sort, argsort and topk order values by sort_key(): NaN is larger than every number
// (ascending sort puts NaNs last, descending sort and topk(largest) put them first, as
// PyTorch does), and -0.0 equals 0.0. Equal keys keep their input order in either
// direction: every sort is stable (PyTorch's stable=true; its stable=false leaves the
// order of ties unspecified, and its CPU sort is stable too), and topk returns ties
// lowest index first (PyTorch's CPU topk may not: torch.tensor([1., 1., 2.]).topk(2,
// largest=False) gives indices [1, 0] there). The values returned are the input's own
// (a NaN keeps its payload, -0.0 its sign). topk always returns its k values sorted
// (sorted=false is accepted and gives the same order: PyTorch's is unspecified).

// The key type of a dtype's C++ type: 32 bits for float, bfloat16 and float16 (as float), uint8 and
// bool; 64 bits for double and int64.
template <typename T>
using SortKey = std::conditional_t<(sizeof(T) == 8), uint64_t, uint32_t>;

// Keys whose unsigned order is the values' order above: floats by their bits with the
// sign folded (negatives flipped whole, positives gain the top bit), NaN the largest key,
// -0.0 as 0.0; int64 with its sign bit flipped; unsigned types as they are.
template <typename T>
EMBER_HD_INLINE SortKey<T> sort_key(T v) {
  if constexpr (std::is_same_v<T, float> || is_reduced_float_v<T>) {
    const float f = static_cast<float>(v);
    if (f != f) return 0xffffffffu;  // NaN
    uint32_t u = 0;
    if (f != 0.0f) memcpy(&u, &f, sizeof(u));  // -0.0 and 0.0 both give bits 0
    return (u & 0x80000000u) != 0 ? ~u : (u | 0x80000000u);
  } else if constexpr (std::is_same_v<T, double>) {
    if (v != v) return ~uint64_t{0};
    uint64_t u = 0;
    if (v != 0.0) memcpy(&u, &v, sizeof(u));
    return (u >> 63) != 0 ? ~u : (u | (uint64_t{1} << 63));
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return static_cast<uint64_t>(v) ^ (uint64_t{1} << 63);
  } else {
    static_assert(std::is_same_v<T, uint8_t> || std::is_same_v<T, bool>, "sort_key: no key for this type");
    return static_cast<uint32_t>(v);
  }
}

}  // namespace ember
