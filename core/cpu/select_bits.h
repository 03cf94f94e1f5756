// cond ? a : b on the bits, without a branch, for the CPU kernels whose conditions are
// data (where's masks, max/min over short rows): a branch on them is mispredicted about half
// of the time. Loops the compiler vectorises keep the plain ?:, which this would stop.
#pragma once
#include <bit>
#include <cstdint>
#include <type_traits>

namespace ember::cpu {

template <typename T>
using SelectBits = std::conditional_t<
    sizeof(T) == 1, uint8_t,
    std::conditional_t<sizeof(T) == 2, uint16_t, std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;
template <typename T>
inline constexpr bool kSelectsBits =
    std::is_trivially_copyable_v<T> && (sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);
template <typename T>
T select_bits(bool cond, T a, T b) {
  using Bits = SelectBits<T>;
  const Bits mask = static_cast<Bits>(Bits(0) - static_cast<Bits>(cond));
  return std::bit_cast<T>(static_cast<Bits>((std::bit_cast<Bits>(a) & mask) | (std::bit_cast<Bits>(b) & ~mask)));
}

}  // namespace ember::cpu
