// Native pieces of the indexing ops beyond index_select / gather / scatter (core/ops.h:
// index_add, masked_select, scatter_reduce, repeat_interleave): checks and kernels without
// recording, for autograd/functions/index_ops.cpp and scatter_reduce.cpp to compose.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/gather_layout.h"
#include "core/tensor.h"

namespace ember::native {

// A copy of self with source's slices times alpha added at index along dim (PyTorch's
// index_add_ checks and messages; float32/float64/bfloat16/float16), by the device's index_add kernel.
Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha);
// index_copy_'s checks: index int64 and at most 1-D, source of self's dtype and device,
// index.numel() slices of self's shape along dim. Returns dim wrapped.
int64_t check_index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);
// index_reduce_'s checks (PyTorch's messages): the reduce name, then index_copy's; the wrapped dim.
int64_t check_index_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source,
                           std::string_view reduce);
// The index of index_copy / index_fill as scatter takes it: viewed along dim ([1, .., n, .., 1])
// and expanded to shape (no copy).
Tensor index_along(const Tensor& index, int64_t dim, const Dims& shape);

// The flat positions (int64, 1-D, ascending) where mask (kBool, any shape) is true, on
// mask's device (DeviceOps::true_positions); the count comes to the host.
Tensor true_positions(const Tensor& mask);
// The same for a contiguous 1-D mask with at least one element, as native ops (a
// cumulative sum, a where and a scatter) on any device: CUDA's DeviceOps::true_positions.
Tensor true_positions_by_scan(const Tensor& mask);

// A copy of self with src combined in at index along dim (scatter's checks and layout):
// core/gather_layout.h's scatter_combine for float32/float64/bfloat16/float16/int64.
Tensor scatter_combine(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                       ScatterReduceKind kind);

// repeat_interleave's indices: [0]*r0 + [1]*r1 + ... for repeats (int64, 0-D or 1-D,
// nonnegative; read on the host), on repeats' device.
Tensor repeat_interleave_indices(const Tensor& repeats, std::optional<int64_t> output_size = std::nullopt);

}  // namespace ember::native
