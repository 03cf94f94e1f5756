// index_select's element math, shared by the CPU kernels (core/cpu/indexing.cpp) and
// the CUDA ones (cuda/indexing_kernels.cu): both see the input as [outer, size, inner]
// around the indexed dim and the output (index_add's source) as [outer, count, inner].
#pragma once
#include <cstdint>

#include "core/macros.h"

namespace ember {

struct IndexLayout {
  int64_t outer = 1;  // product of the dims before `dim`
  int64_t size = 0;   // the input's size along `dim`
  int64_t count = 0;  // number of indices: the output's size along `dim`
  int64_t inner = 1;  // product of the dims after `dim`

  // Element i of the output (or of index_add's source): its position in the index, its
  // outer coordinate and its offset in the inner dims.
  struct Element {
    int64_t position, outer, k;
  };

  EMBER_HD int64_t selected_numel() const { return outer * count * inner; }
  EMBER_HD Element element(int64_t i) const {
    const int64_t row = i / inner, o = row / count;
    return {row - o * count, o, i - row * inner};
  }
  // The input element that e reads once the index value there is known (in range).
  EMBER_HD int64_t source(const Element& e, int64_t index_value) const {
    return (e.outer * size + index_value) * inner + e.k;
  }
  EMBER_HD bool in_range(int64_t index_value) const { return index_value >= 0 && index_value < size; }
  // index_add's sources for one (outer, inner) element `column` of the output, in index
  // order, as the CPU's index_add adds them: fn(input offset, source offset) for each index
  // value in range, bad(value) for the others. What one thread of the CUDA index_add's
  // deterministic form does (Note [Deterministic algorithms] in core/deterministic.h).
  template <typename Fn, typename Bad>
  EMBER_HD void walk_column(int64_t column, const int64_t* index, Fn fn, Bad bad) const {
    const int64_t o = column / inner, k = column - o * inner;
    for (int64_t j = 0; j < count; ++j) {
      const int64_t v = index[j];
      if (in_range(v)) {
        fn(source({j, o, k}, v), (o * count + j) * inner + k);
      } else {
        bad(v);
      }
    }
  }
};

}  // namespace ember
