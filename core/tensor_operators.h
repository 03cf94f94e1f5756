// Tensor's operators, as PyTorch's: arithmetic and comparisons (broadcasting, scalars
// on either side), compound assignment (in place), and bitwise ops on bool tensors.
// Included at the end of core/tensor.h; defined in autograd/functions/tensor_methods.cpp,
// inplace.cpp and logical.cpp as the free functions of core/ops.h.
#pragma once
#include "core/tensor.h"

namespace ember {

// ---- operators (broadcasting; scalars on either side) ----
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, const Scalar& b);
Tensor operator-(const Tensor& a, const Scalar& b);
Tensor operator*(const Tensor& a, const Scalar& b);
Tensor operator/(const Tensor& a, const Scalar& b);
Tensor operator+(const Scalar& a, const Tensor& b);
Tensor operator-(const Scalar& a, const Tensor& b);
Tensor operator*(const Scalar& a, const Tensor& b);
Tensor operator/(const Scalar& a, const Tensor& b);
Tensor operator-(const Tensor& a);
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator==(const Tensor& a, const Scalar& b);
Tensor operator!=(const Tensor& a, const Scalar& b);
Tensor operator<(const Tensor& a, const Scalar& b);
Tensor operator<=(const Tensor& a, const Scalar& b);
Tensor operator>(const Tensor& a, const Scalar& b);
Tensor operator>=(const Tensor& a, const Scalar& b);
Tensor& operator+=(Tensor& a, const Tensor& b);
Tensor& operator-=(Tensor& a, const Tensor& b);
Tensor& operator*=(Tensor& a, const Tensor& b);
Tensor& operator/=(Tensor& a, const Tensor& b);
Tensor& operator+=(Tensor& a, const Scalar& b);
Tensor& operator-=(Tensor& a, const Scalar& b);
Tensor& operator*=(Tensor& a, const Scalar& b);
Tensor& operator/=(Tensor& a, const Scalar& b);
// bitwise_not/and/or/xor and the shifts (core/ops.h): integer and bool tensors (no bool
// shifts); floating operands are errors. The compound forms write in place.
Tensor operator~(const Tensor& a);
Tensor operator&(const Tensor& a, const Tensor& b);
Tensor operator|(const Tensor& a, const Tensor& b);
Tensor operator^(const Tensor& a, const Tensor& b);
Tensor operator<<(const Tensor& a, const Tensor& b);
Tensor operator>>(const Tensor& a, const Tensor& b);
Tensor operator&(const Tensor& a, const Scalar& b);
Tensor operator|(const Tensor& a, const Scalar& b);
Tensor operator^(const Tensor& a, const Scalar& b);
Tensor operator<<(const Tensor& a, const Scalar& b);
Tensor operator>>(const Tensor& a, const Scalar& b);
Tensor& operator&=(Tensor& a, const Tensor& b);
Tensor& operator|=(Tensor& a, const Tensor& b);
Tensor& operator^=(Tensor& a, const Tensor& b);
Tensor& operator<<=(Tensor& a, const Tensor& b);
Tensor& operator>>=(Tensor& a, const Tensor& b);
Tensor& operator&=(Tensor& a, const Scalar& b);
Tensor& operator|=(Tensor& a, const Scalar& b);
Tensor& operator^=(Tensor& a, const Scalar& b);
Tensor& operator<<=(Tensor& a, const Scalar& b);
Tensor& operator>>=(Tensor& a, const Scalar& b);

}  // namespace ember
