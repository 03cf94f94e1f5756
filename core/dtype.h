// Element types: the DType enum, its C++ types, sizes, names and type promotion.
// visit_dtype(dt, fn) calls fn(Tag<T>{}) with the matching C++ type.
#pragma once
#include <cstdint>
#include <ostream>
#include <string_view>
#include <utility>

#include "core/reduced_float.h"
#include "core/error.h"

namespace ember {

enum class DType : uint8_t { Float32, Float64, Int64, UInt8, Bool, BFloat16, Float16 };

inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat = DType::Float32;
inline constexpr DType kFloat64 = DType::Float64;
inline constexpr DType kDouble = DType::Float64;
inline constexpr DType kInt64 = DType::Int64;
inline constexpr DType kLong = DType::Int64;
inline constexpr DType kUInt8 = DType::UInt8;
inline constexpr DType kByte = DType::UInt8;
inline constexpr DType kBool = DType::Bool;
inline constexpr DType kBFloat16 = DType::BFloat16;  // Note [BFloat16] in core/bfloat16.h
inline constexpr DType kFloat16 = DType::Float16;    // Note [Float16] in core/half.h
inline constexpr DType kHalf = DType::Float16;

template <typename T>
struct Tag {
  using type = T;
};

template <typename T>
struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = kFloat32; };
template <> struct dtype_of<double> { static constexpr DType value = kFloat64; };
template <> struct dtype_of<int64_t> { static constexpr DType value = kInt64; };
// int has no DType of its own: tensor(std::vector<int>{...}) makes int64, like torch.tensor.
template <> struct dtype_of<int> { static constexpr DType value = kInt64; };
template <> struct dtype_of<uint8_t> { static constexpr DType value = kUInt8; };
template <> struct dtype_of<bool> { static constexpr DType value = kBool; };
template <> struct dtype_of<BFloat16> { static constexpr DType value = kBFloat16; };
template <> struct dtype_of<Half> { static constexpr DType value = kFloat16; };
template <typename T>
inline constexpr DType dtype_of_v = dtype_of<T>::value;

constexpr size_t itemsize(DType dt) {
  switch (dt) {
    case DType::Float32: return 4;
    case DType::Float64: return 8;
    case DType::Int64: return 8;
    case DType::UInt8: return 1;
    case DType::Bool: return 1;
    case DType::BFloat16: return 2;
    case DType::Float16: return 2;
  }
  return 0;
}

// bfloat16 or float16: stored in 16 bits, computed in float32 (core/reduced_float.h).
constexpr bool is_reduced_float(DType dt) { return dt == kBFloat16 || dt == kFloat16; }
// The dtype dt is computed and accumulated in: float32 for the 16-bit floats, dt otherwise.
constexpr DType compute_dtype(DType dt) { return is_reduced_float(dt) ? kFloat32 : dt; }
constexpr bool is_floating(DType dt) { return dt == kFloat32 || dt == kFloat64 || is_reduced_float(dt); }
constexpr bool is_integral(DType dt, bool include_bool = false) {
  return dt == kInt64 || dt == kUInt8 || (include_bool && dt == kBool);
}

// "float32", "float64", "int64", "uint8", "bool", "bfloat16", "float16"
std::string_view dtype_name(DType dt);
// PyTorch's scalar-type names used in messages: "Float", "Double", "Long", "Byte", "Bool", "BFloat16",
// "Half"
std::string_view dtype_torch_name(DType dt);
std::ostream& operator<<(std::ostream& os, DType dt);

// PyTorch's promotion lattice for two tensor dtypes: bool < uint8 < int64 < {bfloat16,
// float16} < float32 < float64, where bfloat16 with float16 gives float32.
DType promote_types(DType a, DType b);

// Calls fn(Tag<T>{}) for the C++ type of dt.
template <typename Fn>
decltype(auto) visit_dtype(DType dt, Fn&& fn) {
  switch (dt) {
    case DType::Float32: return fn(Tag<float>{});
    case DType::Float64: return fn(Tag<double>{});
    case DType::Int64: return fn(Tag<int64_t>{});
    case DType::UInt8: return fn(Tag<uint8_t>{});
    case DType::Bool: return fn(Tag<bool>{});
    case DType::BFloat16: return fn(Tag<BFloat16>{});
    case DType::Float16: return fn(Tag<Half>{});
  }
  EMBER_FAIL("unknown dtype ", static_cast<int>(dt));
}

// Like visit_dtype without the 16-bit floats: for kernels that compute in their storage
// type, whose op layer runs bfloat16 and float16 through float32 (Note [BFloat16]); those
// are an error naming `op`.
template <typename Fn>
decltype(auto) visit_dtype_except_reduced(DType dt, std::string_view op, Fn&& fn) {
  EMBER_CHECK(!is_reduced_float(dt), op, ": ", dt == DType::BFloat16 ? "bfloat16" : "float16",
              " tensors are not supported here (supported: float32, float64, int64, uint8, bool)");
  switch (dt) {
    case DType::Float32: return fn(Tag<float>{});
    case DType::Float64: return fn(Tag<double>{});
    case DType::Int64: return fn(Tag<int64_t>{});
    case DType::UInt8: return fn(Tag<uint8_t>{});
    case DType::Bool: return fn(Tag<bool>{});
    default: break;
  }
  EMBER_FAIL("unknown dtype ", static_cast<int>(dt));
}

// Like visit_dtype, for float32 and float64 only; other dtypes (the 16-bit floats included:
// Note [BFloat16]) are an error naming `op`.
template <typename Fn>
decltype(auto) visit_floating(DType dt, std::string_view op, Fn&& fn) {
  switch (dt) {
    case DType::Float32: return fn(Tag<float>{});
    case DType::Float64: return fn(Tag<double>{});
    default: break;
  }
  EMBER_FAIL(op, ": expected a floating-point tensor (float32 or float64), but got ", dtype_name(dt));
}

// fn(Tag<BFloat16>{}) or fn(Tag<Half>{}) when dt is a 16-bit float, returning true; false
// (and no call) otherwise: `if (visit_reduced_float(dt, [&](auto tag) {...})) return;`.
template <typename Fn>
bool visit_reduced_float(DType dt, Fn&& fn) {
  if (dt == DType::BFloat16) fn(Tag<BFloat16>{});
  else if (dt == DType::Float16) fn(Tag<Half>{});
  else return false;
  return true;
}

// visit_floating plus bfloat16 and float16, for kernels with a 16-bit path.
template <typename Fn>
decltype(auto) visit_floating_or_reduced(DType dt, std::string_view op, Fn&& fn) {
  if (dt == DType::BFloat16) return fn(Tag<BFloat16>{});
  if (dt == DType::Float16) return fn(Tag<Half>{});
  return visit_floating(dt, op, std::forward<Fn>(fn));
}

}  // namespace ember
