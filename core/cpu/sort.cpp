// CPU sort_rows (sort, argsort and topk): each row's (sort_key(value), position) pairs
// sorted, all of them (a radix sort, or std::sort for short rows) or the first k
// (std::partial_sort); the position breaks ties, so the order is Note [Sort order of ties
// and NaN]'s, as CUDA's.
#include <algorithm>
#include <vector>

#include "core/cpu/kernels.h"
#include "core/parallel.h"
#include "core/sort_keys.h"

namespace ember::cpu {

namespace {

// A value's place in its row's order: its key (flipped for descending order, so that the
// order is always ascending) and its position, which breaks ties. Sorted as contiguous
// pairs: comparing through an index array instead reads the keys at random, which was most
// of a long row's time.
template <typename Key>
struct Ranked {
  Key key;
  int64_t position;
  bool operator<(const Ranked& other) const {
    return key != other.key ? key < other.key : position < other.position;
  }
};

// Rows at least this long are radix sorted (fewer passes over memory than std::sort's
// comparisons); shorter ones, and partial sorts, use the standard algorithms.
constexpr int64_t kRadixSortMin = 256;

// A stable least-significant-byte-first radix sort of ranked pairs by key, skipping the
// bytes on which every key agrees (small non-negative integers sort in a pass or two). The pairs come in
// position order and each pass is stable, so ties keep their position order.
template <typename Key>
void radix_sort(std::vector<Ranked<Key>>& ranked, std::vector<Ranked<Key>>& scratch) {
  constexpr int kBytes = static_cast<int>(sizeof(Key));
  const int64_t n = static_cast<int64_t>(ranked.size());
  int64_t counts[kBytes][256] = {};
  for (const Ranked<Key>& r : ranked)
    for (int byte = 0; byte < kBytes; ++byte) ++counts[byte][(r.key >> (8 * byte)) & 0xff];
  scratch.resize(ranked.size());
  Ranked<Key>* from = ranked.data();
  Ranked<Key>* to = scratch.data();
  for (int byte = 0; byte < kBytes; ++byte) {
    int64_t* slots = counts[byte];
    if (std::find(slots, slots + 256, n) != slots + 256) continue;  // one value of this byte
    for (int64_t value = 0, start = 0; value < 256; ++value) {  // counts become first slots
      const int64_t count = slots[value];
      slots[value] = start;
      start += count;
    }
    for (int64_t i = 0; i < n; ++i) to[slots[(from[i].key >> (8 * byte)) & 0xff]++] = from[i];
    std::swap(from, to);
  }
  if (from != ranked.data()) std::copy(from, from + n, ranked.data());
}

}  // namespace

void sort_rows(const Tensor& in, int64_t k, bool descending, const Tensor& values, const Tensor& indices) {
  const int64_t n = in.sizes().back(), rows = n == 0 ? 0 : in.numel() / n;
  if (rows == 0 || k == 0) return;
  visit_dtype(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using Key = SortKey<T>;
    const T* src = in.data_ptr<T>();
    T* out = values.data_ptr<T>();
    int64_t* out_index = indices.data_ptr<int64_t>();
    parallel_for(0, rows, std::max<int64_t>(1, kParallelGrain / n), [&](int64_t lo, int64_t hi) {
      std::vector<Ranked<Key>> ranked(static_cast<size_t>(n)), scratch;
      for (int64_t r = lo; r < hi; ++r) {
        const T* row = src + r * n;
        for (int64_t j = 0; j < n; ++j) {
          const Key key = sort_key(row[j]);
          ranked[static_cast<size_t>(j)] = {descending ? static_cast<Key>(~key) : key, j};
        }
        // A heap for a few of many (PyTorch's k * 64 <= n); otherwise the whole row sorted (a
        // heap of half a row is ~15x slower than the radix sort), or the k smallest selected
        // and sorted. Keys with their positions are a total order: every way gives the same.
        if (k * 64 <= n) {
          std::partial_sort(ranked.begin(), ranked.begin() + k, ranked.end());
        } else if (n >= kRadixSortMin) {
          radix_sort(ranked, scratch);
        } else {
          if (k < n) std::nth_element(ranked.begin(), ranked.begin() + k, ranked.end());
          std::sort(ranked.begin(), ranked.begin() + k);
        }
        for (int64_t j = 0; j < k; ++j) {
          const int64_t p = ranked[static_cast<size_t>(j)].position;
          out[r * k + j] = row[p];
          out_index[r * k + j] = p;
        }
      }
    });
  });
}

}  // namespace ember::cpu
