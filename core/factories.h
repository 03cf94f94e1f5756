// Tensor factories (libtorch names): tensor from a vector, zeros, ones, full, empty,
// arange, linspace, eye, rand, randn, randint, and the *_like forms.
#pragma once
#include <vector>

#include "core/tensor.h"

namespace ember {

// Copies `values` into a new tensor of `sizes` (element count must match).
// The dtype comes from options; values are converted to it.
template <typename T>
Tensor tensor(const std::vector<T>& values, const Dims& sizes, TensorOptions options = dtype(dtype_of_v<T>));
template <typename T>
Tensor tensor(const std::vector<T>& values, TensorOptions options = dtype(dtype_of_v<T>)) {
  return tensor(values, Dims{static_cast<int64_t>(values.size())}, options);
}
Tensor scalar_tensor(const Scalar& value, TensorOptions options = {});

Tensor empty(const Dims& sizes, TensorOptions options = {});
Tensor zeros(const Dims& sizes, TensorOptions options = {});
Tensor ones(const Dims& sizes, TensorOptions options = {});
// Without a dtype in options, full and arange infer it as PyTorch does: from integers
// int64 (full of a bool: kBool), else float32.
Tensor full(const Dims& sizes, const Scalar& value, TensorOptions options = {});
Tensor arange(const Scalar& end, TensorOptions options = {});
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step = 1, TensorOptions options = {});
Tensor linspace(double start, double end, int64_t steps, TensorOptions options = {});
Tensor eye(int64_t n, TensorOptions options = {});
Tensor rand(const Dims& sizes, TensorOptions options = {});   // uniform [0, 1)
Tensor randn(const Dims& sizes, TensorOptions options = {});  // standard normal
Tensor randint(int64_t low, int64_t high, const Dims& sizes, TensorOptions options = dtype(kInt64));
Tensor randperm(int64_t n, TensorOptions options = dtype(kInt64));

Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, const Scalar& value);
Tensor rand_like(const Tensor& t);
Tensor randn_like(const Tensor& t);

}  // namespace ember
