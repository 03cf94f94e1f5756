// Scalar: a number passed to an op (a + 1.0, fill_(3), full(..., 3.5)). Remembers
// whether it was integral, so int64 tensors stay int64 with integral scalars (PyTorch).
#pragma once
#include <cstdint>
#include <ostream>
#include <type_traits>

#include "core/dtype.h"

namespace ember {

class Scalar {
 public:
  Scalar() = default;
  template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  Scalar(T v) {  // NOLINT(google-explicit-constructor): numbers convert implicitly, as in libtorch
    if constexpr (std::is_same_v<T, bool>) {
      kind_ = Kind::Bool;
      i_ = v ? 1 : 0;
      d_ = i_;
    } else if constexpr (std::is_integral_v<T>) {
      kind_ = Kind::Int;
      i_ = static_cast<int64_t>(v);
      d_ = static_cast<double>(v);
    } else {
      kind_ = Kind::Float;
      d_ = static_cast<double>(v);
      // to_int() of a float truncates; one outside int64 (or NaN) reads 0 rather than
      // converting out of range (undefined behaviour).
      i_ = d_ >= -9.2233720368547758e18 && d_ < 9.2233720368547758e18 ? static_cast<int64_t>(d_) : 0;
    }
  }
  bool is_floating() const { return kind_ == Kind::Float; }
  bool is_integral() const { return kind_ == Kind::Int; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  double to_double() const { return d_; }
  int64_t to_int() const { return i_; }
  template <typename T>
  T to() const {
    if constexpr (std::is_floating_point_v<T>) return static_cast<T>(d_);
    else if constexpr (is_reduced_float_v<T>) return T(static_cast<float>(d_));
    else if constexpr (std::is_same_v<T, bool>) return kind_ == Kind::Float ? d_ != 0.0 : i_ != 0;
    else return kind_ == Kind::Float ? static_cast<T>(d_) : static_cast<T>(i_);
  }
  // The dtype a tensor of dtype `t` gets when combined with this scalar (PyTorch rules:
  // a float scalar promotes integral/bool tensors to float32, otherwise t wins, except
  // that an int scalar promotes a bool tensor to int64).
  DType result_type_with(DType t) const {
    if (kind_ == Kind::Float && !ember::is_floating(t)) return kFloat32;
    if (kind_ == Kind::Int && t == kBool) return kInt64;
    return t;
  }

 private:
  enum class Kind : uint8_t { Float, Int, Bool };
  Kind kind_ = Kind::Int;
  double d_ = 0.0;
  int64_t i_ = 0;
};

// Python's spelling: 3, 2.5 (shortest round trip, ".0" for whole numbers), True / False.
std::ostream& operator<<(std::ostream& os, const Scalar& s);

}  // namespace ember
