// PyTorch's dtype queries: result_type, can_cast, finfo and iinfo (torch.result_type,
// torch.can_cast, torch.finfo, torch.iinfo), from the promotion and casting rules the ops
// themselves use (core/ops/elementwise.cpp).
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "core/scalar.h"
#include "core/tensor.h"

namespace ember {

// The dtype `a op b` computes in, by PyTorch's promotion: dimensioned tensors first, then
// 0-dim tensors, then numbers, each category only raising the result's kind (an int64
// tensor with 2.5 is float32; a float16 tensor with a float64 0-dim tensor stays float16).
DType result_type(const Tensor& a, const Tensor& b);
DType result_type(const Tensor& a, const Scalar& b);
DType result_type(const Scalar& a, const Tensor& b);

// Whether an op may write a result of dtype `from` into a tensor of dtype `to` (in-place
// ops, out=): not floating into integral, not anything but bool into bool.
bool can_cast(DType from, DType to);

// torch.finfo of a floating dtype (float32 by default).
struct FInfo {
  int bits = 0;
  double eps = 0;               // the gap between 1 and the next value
  double max = 0, min = 0;      // the largest finite value and its negative
  double tiny = 0;              // the smallest positive normal value (smallest_normal)
  double resolution = 0;        // 10^-(decimal digits of precision)
  DType dtype = kFloat32;
  double smallest_normal() const { return tiny; }
};
FInfo finfo(DType dtype = kFloat32);

// torch.iinfo of an integral dtype (int64, uint8).
struct IInfo {
  int bits = 0;
  int64_t max = 0, min = 0;
  DType dtype = kInt64;
};
IInfo iinfo(DType dtype);

}  // namespace ember
