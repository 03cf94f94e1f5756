// The sorted form of the CUDA scatters and index_add under use_deterministic_algorithms
// (Note [Deterministic algorithms] in core/deterministic.h), for layouts with too few lines
// or columns to give a thread each: what its threads do, so tests run them on the CPU.
#pragma once
#include <cstdint>

#include "core/gather_layout.h"
#include "core/index_layout.h"
#include "core/macros.h"

namespace ember::ordered_runs {

// Note [Ordered runs]
// ~~~~~~~~~~~~~~~~~~~
// Each contribution (a scatter's index element, an index_add source element) gets its
// destination's key (its offset in self + 1; 0 for an index out of range, reported), and a
// stable radix sort of the keys (cub's) groups the contributions of each destination in their
// element order, which is the CPU kernels' order: a destination's contributions all lie on
// one line along the scattered dim (one column of index_add), where the element order is the
// index order. One thread then combines each run of equal keys in that order, so the results
// are the CPU's bit for bit with a thread per destination, whatever the layout's shape. The
// line (column) form, a thread per line, needs no sort and is taken when there are at least
// kMinOwners lines. A self whose elements overlap (as_strided) has no such order on either
// device. One run is one thread's: all values into one destination are summed serially, as on
// the CPU; the sort holds four int64 arrays of the contributions besides cub's scratch.
constexpr int64_t kMinOwners = 16384;

// A contribution's key: its destination offset() + 1, or 0 (reported by bad(value)) for an
// index value out of range, whose offset is never computed (it could overflow).
template <typename Offset, typename Bad>
EMBER_HD_INLINE uint64_t destination_key(bool in_range, Offset offset, int64_t value, Bad bad) {
  if (in_range) return static_cast<uint64_t>(offset()) + 1;
  bad(value);
  return 0;
}

// Element i's key; its other operand's offset (scatter's src) in `other`.
template <typename Bad>
EMBER_HD_INLINE uint64_t scatter_key(const GatherLayout& l, int64_t i, const int64_t* index, int64_t& other, Bad bad) {
  const GatherLayout::Offsets o = l.offsets(i);
  other = o.other;
  const int64_t v = index[o.index];
  return destination_key(
      l.in_range(v), [&] { return l.self_offset(o, v); }, v, bad);
}

// Source element i's key (its source offset is i).
template <typename Bad>
EMBER_HD_INLINE uint64_t index_add_key(const IndexLayout& l, int64_t i, const int64_t* index, Bad bad) {
  const IndexLayout::Element e = l.element(i);
  const int64_t v = index[e.position];
  return destination_key(
      l.in_range(v), [&] { return l.source(e, v); }, v, bad);
}

// The largest key into a destination of these sizes and (non-negative) strides: 1 + its last
// element's offset (1 for an empty one, whose every key is 0).
inline uint64_t max_key(const int64_t* sizes, const int64_t* strides, int64_t ndim) {
  int64_t last = 0;
  for (int64_t d = 0; d < ndim; ++d) {
    if (sizes[d] == 0) return 1;
    last += (sizes[d] - 1) * strides[d];
  }
  return static_cast<uint64_t>(last) + 1;
}

// The bits the sort reads: those of max_key (the radix sort's end_bit).
inline int significant_bits(uint64_t max_key) {
  int bits = 1;
  while (bits < 64 && (max_key >> bits) != 0) ++bits;
  return bits;
}

// Thread p of the combine over n sorted keys and their values: where a run of equal keys
// starts at p, fn(destination offset, value) for each of the run's values in order.
template <typename Fn>
EMBER_HD_INLINE void combine_run(int64_t p, const uint64_t* keys, const int64_t* values, int64_t n, Fn fn) {
  const uint64_t key = keys[p];
  if (key == 0 || (p > 0 && keys[p - 1] == key)) return;
  for (int64_t q = p; q < n && keys[q] == key; ++q) fn(static_cast<int64_t>(key - 1), values[q]);
}

}  // namespace ember::ordered_runs
