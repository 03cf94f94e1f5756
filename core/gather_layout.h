// gather's and scatter's element math, shared by the CPU kernels (core/cpu/scatter_gather.cpp)
// and the CUDA ones (cuda/scatter_gather.cu): element i of the index (row-major over its
// shape) has an offset in the index, in the other operand (gather's out, scatter's src)
// and in self, where the index value there picks the position along `dim`.
#pragma once
#include <cstdint>
#include <type_traits>

#include "core/reduced_float.h"
#include "core/macros.h"
#include "core/shape.h"

namespace ember {

struct GatherLayout {
  int ndim = 0;         // the index's dims (a 0-dim operand is seen as [1])
  int dim = 0;          // the gathered (scattered) dim
  int64_t numel = 0;    // the index's elements
  int64_t self_size = 1;    // self.size(dim): an index value must be in [0, self_size)
  int64_t self_stride = 0;  // self.stride(dim), in elements
  int64_t sizes[kMaxDims] = {};          // the index's shape
  int64_t index_strides[kMaxDims] = {};  // in elements, like the two below
  int64_t other_strides[kMaxDims] = {};  // gather's out, scatter's src (0 where broadcast: a value)
  int64_t self_strides[kMaxDims] = {};   // self's, 0 at `dim` (the index value gives that part)

  struct Offsets {
    int64_t index, other, self;  // self's without the `dim` part
  };

  EMBER_HD Offsets offsets(int64_t i) const {
    Offsets o{0, 0, 0};
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t next = i / sizes[d], c = i - next * sizes[d];
      i = next;
      o.index += c * index_strides[d];
      o.other += c * other_strides[d];
      o.self += c * self_strides[d];
    }
    return o;
  }
  EMBER_HD bool in_range(int64_t index_value) const { return index_value >= 0 && index_value < self_size; }
  // The self element that element (offsets o) reads or writes, its index value in range.
  EMBER_HD int64_t self_offset(const Offsets& o, int64_t index_value) const { return o.self + index_value * self_stride; }

  // Lines along `dim`: the index elements that differ only in their `dim` coordinate,
  // which are the only ones that can meet in self. The CPU gives each line to one thread
  // and walks it in order, so a repeated index's last write wins and sums are repeatable.
  EMBER_HD int64_t line_length() const { return sizes[dim]; }
  EMBER_HD int64_t line_count() const { return sizes[dim] == 0 ? 0 : numel / sizes[dim]; }
  // The linear index (for offsets()) of element j of line `line`.
  EMBER_HD int64_t line_element(int64_t line, int64_t j) const {
    int64_t inner = 1;
    for (int d = dim + 1; d < ndim; ++d) inner *= sizes[d];
    const int64_t outer = line / inner, k = line - outer * inner;
    return (outer * sizes[dim] + j) * inner + k;
  }
  // Line `line` walked in index order, as the CPU's runs walk it: fn(self offset, other
  // offset) for each element whose index value is in range, bad(value) for the others. What
  // one thread of the CUDA scatters' deterministic forms does (Note [Deterministic
  // algorithms] in core/deterministic.h), so their results are the CPU's bit for bit.
  template <typename Fn, typename Bad>
  EMBER_HD void walk_line(int64_t line, const int64_t* index, Fn fn, Bad bad) const {
    for (int64_t j = 0; j < line_length(); ++j) {
      const Offsets o = offsets(line_element(line, j));
      const int64_t v = index[o.index];
      if (in_range(v)) {
        fn(self_offset(o, v), o.other);
      } else {
        bad(v);
      }
    }
  }
};

// scatter_reduce's reductions with a kernel (sum and mean are scatter_add's): how one src
// value combines into self's. A NaN on either side wins amax/amin, as PyTorch's.
enum class ScatterReduceKind { Multiply, Max, Min };

template <typename T>
EMBER_HD T scatter_combine(ScatterReduceKind kind, T self, T src) {
  switch (kind) {
    case ScatterReduceKind::Multiply: return self * src;
    case ScatterReduceKind::Max: return (src != src || src > self) ? src : self;  // src != src: NaN
    case ScatterReduceKind::Min: return (src != src || src < self) ? src : self;
  }
  return self;
}

// How the CPU kernels and the CUDA ones' deterministic forms write a src value into self's
// element d: a copy (scatter), a sum (scatter_add) or scatter_combine (scatter_reduce), a
// bfloat16 and float16 computed in float and rounded once (Note [BFloat16] in core/bfloat16.h).
template <typename T>
using ScatterCompute = ComputeType<T>;
struct ScatterAssign {
  template <typename T>
  EMBER_HD void operator()(T& d, T s) const {
    d = s;
  }
};
struct ScatterAdd {
  template <typename T>
  EMBER_HD void operator()(T& d, T s) const {
    d = static_cast<T>(static_cast<ScatterCompute<T>>(d) + static_cast<ScatterCompute<T>>(s));
  }
};
struct ScatterCombine {
  ScatterReduceKind kind;
  template <typename T>
  EMBER_HD void operator()(T& d, T s) const {
    d = static_cast<T>(scatter_combine(kind, static_cast<ScatterCompute<T>>(d), static_cast<ScatterCompute<T>>(s)));
  }
};

}  // namespace ember
