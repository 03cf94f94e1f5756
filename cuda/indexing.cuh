// Index math for CUDA kernels over same-shaped strided operands: ElementwiseLayout
// (host) drops size-1 dims and merges dims contiguous for every operand, as the CPU's
// StridedLoop does; OffsetCalculator (device) maps a row-major linear index to each
// operand's element offset. AlignedVector is the unit of the vectorised loads.
#pragma once
#include <array>
#include <cstdint>
#include <limits>

#include "core/macros.h"
#include "core/shape.h"
#include "core/tensor.h"

// `#pragma unroll` for the device pass only (host compilers warn about it).
#if defined(__CUDA_ARCH__)
#define EMBER_INDEXING_UNROLL _Pragma("unroll")
#else
#define EMBER_INDEXING_UNROLL
#endif

namespace ember::cuda::detail {

// N same-shaped operands (output first), reduced to the fewest dims: sizes[0] is the
// innermost dim. Offsets are in elements, relative to each operand's data_ptr().
template <int N>
struct ElementwiseLayout {
  int ndim = 0;
  int64_t numel = 0;
  std::array<int64_t, kMaxDims> sizes{};                        // innermost first
  std::array<std::array<int64_t, N>, kMaxDims> strides{};       // [dim][operand]

  explicit ElementwiseLayout(const std::array<const Tensor*, N>& operands) {
    std::array<const Dims*, N> strides_of;
    for (int k = 0; k < N; ++k) {
      EMBER_INTERNAL_ASSERT(operands[k]->sizes() == operands[0]->sizes(), "elementwise operand ", k,
                            " has shape ", operands[k]->sizes(), ", the output ", operands[0]->sizes(),
                            " (kernels take broadcast inputs)");
      strides_of[k] = &operands[k]->strides();
    }
    init(operands[0]->sizes(), strides_of);
  }
  // The same from a shape and each operand's strides (in elements).
  ElementwiseLayout(const Dims& shape, const std::array<const Dims*, N>& strides_of) { init(shape, strides_of); }

  // One flat run where each operand steps by 1 (contiguous) or 0 (one broadcast value)
  // and the output steps by 1.
  bool is_flat() const {
    if (ndim != 1) return false;
    if (strides[0][0] != 1 && sizes[0] != 1) return false;
    for (int k = 1; k < N; ++k) {
      if (strides[0][k] != 0 && strides[0][k] != 1) return false;
    }
    return true;
  }
  // Whether operand k (flat layout) is a single broadcast value.
  bool is_broadcast(int k) const { return sizes[0] > 1 && strides[0][k] == 0; }

  // Whether every linear index and every operand offset fits in int32.
  bool fits_int32() const {
    constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
    if (numel > kMax) return false;
    for (int k = 0; k < N; ++k) {
      int64_t extent = 0;  // the largest offset operand k reaches
      for (int d = 0; d < ndim; ++d) extent += (sizes[d] - 1) * strides[d][k];
      if (extent > kMax) return false;
    }
    return true;
  }

 private:
  void init(const Dims& shape, const std::array<const Dims*, N>& strides_of) {
    numel = 1;
    for (size_t d = 0; d < shape.size(); ++d) numel *= shape[d];
    // Innermost first, size-1 dims dropped.
    for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
      if (shape[d] == 1) continue;
      sizes[ndim] = shape[d];
      for (int k = 0; k < N; ++k) strides[ndim][k] = (*strides_of[k])[d];
      ++ndim;
    }
    if (ndim == 0) {  // one element (or a 0-dim tensor): every stride is irrelevant
      sizes[0] = 1;
      for (int k = 0; k < N; ++k) strides[0][k] = 1;
      ndim = 1;
    }
    coalesce();
  }

  // Merges dim d (outer) into the run so far when, for every operand,
  // stride[d] == stride[inner] * size[inner].
  void coalesce() {
    int merged = 0;  // the dim being extended
    for (int d = 1; d < ndim; ++d) {
      bool mergeable = true;
      for (int k = 0; k < N; ++k) mergeable = mergeable && strides[d][k] == strides[merged][k] * sizes[merged];
      if (mergeable) {
        sizes[merged] *= sizes[d];
      } else {
        ++merged;
        sizes[merged] = sizes[d];
        strides[merged] = strides[d];
      }
    }
    ndim = merged + 1;
  }
};

// Device side of ElementwiseLayout: offsets of linear index i for every operand, in
// Index arithmetic (int32 when the layout fits_int32(), else int64).
template <int N, typename Index>
struct OffsetCalculator {
  int ndim;
  Index sizes[kMaxDims];       // innermost first
  Index strides[kMaxDims][N];  // [dim][operand]

  explicit OffsetCalculator(const ElementwiseLayout<N>& layout) : ndim(layout.ndim) {
    for (int d = 0; d < kMaxDims; ++d) {
      sizes[d] = static_cast<Index>(layout.sizes[d]);
      for (int k = 0; k < N; ++k) strides[d][k] = static_cast<Index>(layout.strides[d][k]);
    }
  }

  EMBER_HD_INLINE void offsets(Index linear, Index (&out)[N]) const {
    EMBER_INDEXING_UNROLL
    for (int k = 0; k < N; ++k) out[k] = 0;
    EMBER_INDEXING_UNROLL
    for (int d = 0; d < kMaxDims; ++d) {
      if (d == ndim) break;
      Index index = linear;
      if (d + 1 < ndim) {  // the outermost dim needs no division
        const Index next = linear / sizes[d];
        index = linear - next * sizes[d];
        linear = next;
      }
      EMBER_INDEXING_UNROLL
      for (int k = 0; k < N; ++k) out[k] += index * strides[d][k];
    }
  }
};

// V elements of T loaded or stored as one aligned access (16 bytes at most).
template <typename T, int V>
struct alignas(sizeof(T) * V) AlignedVector {
  T v[V];
};

// Whether p may be accessed as AlignedVector<T, V>.
template <typename T, int V>
inline bool is_vector_aligned(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % (sizeof(T) * V) == 0;
}

}  // namespace ember::cuda::detail

#undef EMBER_INDEXING_UNROLL
