// Tensor factories (libtorch names): tensor from a vector or a braced list, zeros, ones, full, empty,
// arange, linspace, eye, rand, randn, randint, and the *_like forms.
#pragma once
#include <functional>
#include <initializer_list>
#include <type_traits>
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
// torch::tensor({1.0, 2.0}): a 1-D tensor of the listed values, with libtorch's dtypes
// when options name none: other integers give int64, floating values float32 (the
// default dtype: unlike the std::vector<double> form above, which keeps float64),
// bools kBool, uint8_t kUInt8.
template <typename T>
  requires std::is_integral_v<T> || std::is_same_v<T, float> || std::is_same_v<T, double>
Tensor tensor(std::initializer_list<T> values, TensorOptions options = {}) {
  constexpr bool kept = std::is_same_v<T, bool> || std::is_same_v<T, uint8_t> || std::is_floating_point_v<T>;
  using Stored = std::conditional_t<kept, T, int64_t>;
  const DType natural = std::is_floating_point_v<T> ? kFloat32 : dtype_of_v<Stored>;
  return tensor(std::vector<Stored>(values.begin(), values.end()), Dims{static_cast<int64_t>(values.size())},
                options.has_dtype() ? options : options.dtype(natural));
}
Tensor scalar_tensor(const Scalar& value, TensorOptions options = {});
// torch::from_blob: a tensor over memory ember did not allocate, without a copy (options'
// dtype, default float32, and device, default the CPU; a CUDA pointer needs the CUDA
// device). Row-major unless strides are given. `deleter` runs on `data` when the last
// tensor or view using it goes; without one the caller keeps the memory alive for as long
// as any of them lives. Checked: a null pointer with elements, negative sizes or strides,
// and strides of another rank. The caching allocator never sees the memory (record_stream
// is a no-op on it).
Tensor from_blob(void* data, const Dims& sizes, TensorOptions options = {});
Tensor from_blob(void* data, const Dims& sizes, const Dims& strides, TensorOptions options = {});
Tensor from_blob(void* data, const Dims& sizes, std::function<void(void*)> deleter, TensorOptions options = {});
Tensor from_blob(void* data, const Dims& sizes, const Dims& strides, std::function<void(void*)> deleter,
                 TensorOptions options = {});

Tensor empty(const Dims& sizes, TensorOptions options = {});
Tensor zeros(const Dims& sizes, TensorOptions options = {});
Tensor ones(const Dims& sizes, TensorOptions options = {});
// Without a dtype in options, full and arange infer it as PyTorch does: from integers
// int64 (full of a bool: kBool), else float32.
Tensor full(const Dims& sizes, const Scalar& value, TensorOptions options = {});
// torch::tensor(3) / tensor(2.5) / tensor(true): a 0-dim tensor, with the braced list's
// dtypes (other integers int64, floating values float32, bool kBool, uint8_t kUInt8).
template <typename T>
  requires std::is_integral_v<T> || std::is_same_v<T, float> || std::is_same_v<T, double>
Tensor tensor(T value, TensorOptions options = {}) {
  constexpr bool kept = std::is_same_v<T, bool> || std::is_same_v<T, uint8_t>;
  const DType natural = std::is_floating_point_v<T> ? kFloat32 : kept ? dtype_of_v<T> : kInt64;
  return full({}, Scalar(value), options.has_dtype() ? options : options.dtype(natural));
}
Tensor arange(const Scalar& end, TensorOptions options = {});
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step = 1, TensorOptions options = {});
Tensor linspace(double start, double end, int64_t steps, TensorOptions options = {});
Tensor eye(int64_t n, TensorOptions options = {});
Tensor eye(int64_t n, int64_t m, TensorOptions options = {});  // n rows, m columns
// PyTorch 2's 0-dim tensor endpoints ("linspace only supports 0-dimensional start and end tensors").
Tensor linspace(const Tensor& start, const Tensor& end, int64_t steps, TensorOptions options = {});
// torch.logspace: base ** linspace(start, end, steps), computed in float64 and rounded once.
Tensor logspace(double start, double end, int64_t steps, double base = 10.0, TensorOptions options = {});
Tensor logspace(const Tensor& start, const Tensor& end, int64_t steps, double base = 10.0, TensorOptions options = {});
Tensor rand(const Dims& sizes, TensorOptions options = {});   // uniform [0, 1)
Tensor randn(const Dims& sizes, TensorOptions options = {});  // standard normal
Tensor randint(int64_t low, int64_t high, const Dims& sizes, TensorOptions options = dtype(kInt64));
Tensor randint(int64_t high, const Dims& sizes, TensorOptions options = dtype(kInt64));  // low = 0
Tensor randperm(int64_t n, TensorOptions options = dtype(kInt64));
// The same drawing from `generator` (libtorch's order: the generator before the options; Note
// [Explicit generators] in core/random.h).
Tensor rand(const Dims& sizes, Generator& generator, TensorOptions options = {});
Tensor randn(const Dims& sizes, Generator& generator, TensorOptions options = {});
Tensor randint(int64_t low, int64_t high, const Dims& sizes, Generator& generator,
               TensorOptions options = dtype(kInt64));
Tensor randint(int64_t high, const Dims& sizes, Generator& generator, TensorOptions options = dtype(kInt64));
Tensor randperm(int64_t n, Generator& generator, TensorOptions options = dtype(kInt64));

// Laid out as t, as PyTorch's preserve_format (Note [The layout of *_like tensors] in
// core/factories.cpp).
Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, const Scalar& value);
Tensor rand_like(const Tensor& t);
Tensor randn_like(const Tensor& t);
// With options (PyTorch's dtype=, device=, requires_grad=): what options leave unset is t's.
Tensor empty_like(const Tensor& t, TensorOptions options);
Tensor zeros_like(const Tensor& t, TensorOptions options);
Tensor ones_like(const Tensor& t, TensorOptions options);
Tensor full_like(const Tensor& t, const Scalar& value, TensorOptions options);
Tensor rand_like(const Tensor& t, TensorOptions options);
Tensor randn_like(const Tensor& t, TensorOptions options);
// torch.randint_like: integers in [low, high) (or [0, high)) of t's shape, dtype and device.
Tensor randint_like(const Tensor& t, int64_t high, TensorOptions options = {});
Tensor randint_like(const Tensor& t, int64_t low, int64_t high, TensorOptions options = {});
// PyTorch's memory_format= of the *_like factories: Preserve (the forms above), Contiguous
// (row-major) or ChannelsLast (4-D t only).
Tensor empty_like(const Tensor& t, TensorOptions options, MemoryFormat memory_format);
Tensor zeros_like(const Tensor& t, TensorOptions options, MemoryFormat memory_format);
Tensor ones_like(const Tensor& t, TensorOptions options, MemoryFormat memory_format);
Tensor full_like(const Tensor& t, const Scalar& value, TensorOptions options, MemoryFormat memory_format);
Tensor rand_like(const Tensor& t, TensorOptions options, MemoryFormat memory_format);
Tensor randn_like(const Tensor& t, TensorOptions options, MemoryFormat memory_format);

// torch.empty_strided: uninitialised memory viewed with these sizes and strides (the
// storage just large enough; as_strided's checks).
Tensor empty_strided(const Dims& sizes, const Dims& strides, TensorOptions options = {});
// torch.range (deprecated in PyTorch, with its warning): start, start + step, ... up to and
// including end; float32 unless options give a dtype.
Tensor range(const Scalar& start, const Scalar& end, const Scalar& step = 1, TensorOptions options = {});

}  // namespace ember
