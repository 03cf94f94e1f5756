// Max pooling's saved window indices by dtype (Note [Compact saved activations] in
// core/bitmask.h), for the CPU and CUDA pooling kernels alike.
#pragma once
#include <cstdint>

#include "core/error.h"
#include "core/tensor.h"

namespace ember {

// fn(I*) with the index pointer in the dtype of `indices` (kUInt8 or kInt64), or a null
// uint8_t* when indices is undefined.
template <typename Fn>
void visit_pool_indices(const Tensor& indices, const Fn& fn) {
  if (!indices.defined()) return fn(static_cast<uint8_t*>(nullptr));
  if (indices.dtype() == kUInt8) return fn(static_cast<uint8_t*>(indices.data_ptr()));
  EMBER_CHECK(indices.dtype() == kInt64, "max_pool2d: expected kUInt8 or kInt64 window indices, but got ",
              dtype_name(indices.dtype()));
  fn(static_cast<int64_t*>(indices.data_ptr()));
}

}  // namespace ember
