// The native elementwise building blocks of core/ops/elementwise.cpp, shared with the other
// elementwise families (core/ops/math.cpp): checks, PyTorch's type promotion, output in
// the inputs' layout, then the device's kernel; and the in-place forms.
#pragma once
#include <vector>

#include "core/op_kinds.h"
#include "core/tensor.h"

namespace ember::native::detail {

// PyTorch's result_type of two tensors (a 0-dim one takes part like a scalar): the dtype
// binary_op computes in, before a floating op's integers go to float32.
DType result_type(const Tensor& a, const Tensor& b);
// The same over a list (addcmul's three operands, block_diag's blocks); float32 for none.
DType result_type(const std::vector<Tensor>& tensors);
// a op b, broadcasting; comparisons give kBool.
Tensor binary_op(BinaryOp op, const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
// a op s (or s op a when scalar_first).
Tensor scalar_op(BinaryOp op, const Tensor& a, const Scalar& s, bool scalar_first);
// The dtype a unary op computes and returns for input dtype `in` (or PyTorch's error).
DType unary_result_dtype(UnaryOp op, DType in);
Tensor unary_op(UnaryOp op, const Tensor& a, DType dt, const UnaryArgs& args = {});
Tensor unary_op(UnaryOp op, const Tensor& a);

// In place, bumping self's version: self op other, self op s, op(self) of dtype `result`;
// PyTorch's errors when the result's dtype can't be cast to self's or the broadcast shape
// isn't self's.
void binary_inplace(BinaryOp op, const Tensor& self, const Tensor& other, const Scalar& alpha = 1);
void scalar_inplace(BinaryOp op, const Tensor& self, const Scalar& s);
void unary_inplace(UnaryOp op, const Tensor& self, DType result, const UnaryArgs& args = {});

}  // namespace ember::native::detail
