// CPU index_select (rows of the inner dims, or single elements when the last dim is
// indexed, copied as bytes, whatever the dtype) and index_add (index_select's gradient:
// each (outer, inner) element owned by one thread, which adds the source slices in index
// order, so the sums repeat bit for bit). The element math is core/index_layout.h's, as
// the CUDA kernels'.
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "core/cpu/kernels.h"
#include "core/gather_layout.h"
#include "core/kernel_data.h"
#include "core/parallel.h"

namespace ember::cpu {
namespace {

// Before any thread starts: an exception must not leave an OpenMP region.
const int64_t* checked_indices(const Tensor& index, const IndexLayout& l) {
  const int64_t* idx = index.data_ptr<int64_t>();
  for (int64_t j = 0; j < l.count; ++j) {
    EMBER_CHECK(l.in_range(idx[j]), "index out of range in self: index ", idx[j], " at position ", j,
                ", but the indexed dimension has size ", l.size);
  }
  return idx;
}

}  // namespace

void index_select(const Tensor& in, const Tensor& index, const IndexLayout& l, const Tensor& out) {
  const int64_t* idx = checked_indices(index, l);
  if (l.inner == 1) {  // single elements (the last dim indexed): copied as words, not by memcpy
    kernel_data::visit_word(itemsize(in.dtype()), [&](auto tag) {
      using W = typename decltype(tag)::type;
      const W* src = static_cast<const W*>(in.data_ptr());
      W* dst = static_cast<W*>(out.data_ptr());
      parallel_for(0, l.outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(l.count, 1)),
                   [&](int64_t lo, int64_t hi) {
                     for (int64_t o = lo; o < hi; ++o) {
                       const W* s = src + o * l.size;
                       W* d = dst + o * l.count;
                       for (int64_t j = 0; j < l.count; ++j) d[j] = s[idx[j]];
                     }
                   });
    });
    return;
  }
  const size_t element = itemsize(in.dtype()), row = static_cast<size_t>(l.inner) * element;
  const char* src = static_cast<const char*>(in.data_ptr());
  char* dst = static_cast<char*>(out.data_ptr());
  const int64_t rows = l.outer * l.count;
  parallel_for(0, rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(l.inner, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const IndexLayout::Element e = l.element(r * l.inner);  // the row's first output element
      std::memcpy(dst + static_cast<size_t>(r) * row, src + static_cast<size_t>(l.source(e, idx[e.position])) * element,
                  row);
    }
  });
}

void index_add(const Tensor& self, const Tensor& index, const IndexLayout& l, const Tensor& source) {
  const int64_t* idx = checked_indices(index, l);
  visit_floating_or_reduced(self.dtype(), "index_add", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* dst = self.data_ptr<T>();
    const T* src = source.data_ptr<T>();
    if (l.inner == 1) {  // the last dim indexed: each row's elements in index order, as below
      parallel_for(0, l.outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(l.count, 1)),
                   [&](int64_t lo, int64_t hi) {
                     for (int64_t o = lo; o < hi; ++o) {
                       T* d = dst + o * l.size;
                       const T* s = src + o * l.count;
                       for (int64_t j = 0; j < l.count; ++j) ScatterAdd{}(d[idx[j]], s[j]);
                     }
                   });
      return;
    }
    parallel_for(0, l.outer * l.inner, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(l.count, 1)),
                 [&](int64_t lo, int64_t hi) {
      for (int64_t start = lo; start < hi;) {
        const int64_t o = start / l.inner, k0 = start % l.inner, k1 = std::min(l.inner, k0 + (hi - start));
        for (int64_t j = 0; j < l.count; ++j) {
          const IndexLayout::Element row{j, o, 0};  // the first element of source row (o, j)
          T* d = dst + l.source(row, idx[j]);
          const T* s = src + (o * l.count + j) * l.inner;
          for (int64_t k = k0; k < k1; ++k) ScatterAdd{}(d[k], s[k]);
        }
        start += k1 - k0;
      }
    });
  });
}

}  // namespace ember::cpu
