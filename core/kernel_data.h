// Helpers kernels of several families share (CPU and CUDA host code): typed data pointers
// of optional tensors (weight, bias, statistics) and elements visited as unsigned words.
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/dtype.h"
#include "core/error.h"
#include "core/tensor.h"

namespace ember::kernel_data {

// t's data as T, or nullptr when t is undefined (an absent weight, bias or statistic).
template <typename T>
const T* cdata(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.data_ptr()) : nullptr;
}
template <typename T>
T* mdata(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.data_ptr()) : nullptr;
}

// fn(Tag<Word>{}) for the unsigned word of an element's size: kernels that only move
// elements (gather, scatter) copy them as such words, whatever the dtype.
template <typename Fn>
void visit_word(size_t element_size, Fn&& fn) {
  switch (element_size) {
    case 1: return fn(Tag<uint8_t>{});
    case 2: return fn(Tag<uint16_t>{});
    case 4: return fn(Tag<uint32_t>{});
    case 8: return fn(Tag<uint64_t>{});
    default: EMBER_FAIL("gather/scatter: no kernel for elements of ", element_size, " bytes");
  }
}

}  // namespace ember::kernel_data
