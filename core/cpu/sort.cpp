// CPU sort_rows (sort, argsort and topk): each row's positions ordered by
// (sort_key(value), position), all of them (std::sort) or the first k (std::partial_sort);
// the position breaks ties, so the order is Note [Sort order of ties and NaN]'s, as CUDA's.
#include <algorithm>
#include <numeric>
#include <vector>

#include "core/cpu/kernels.h"
#include "core/parallel.h"
#include "core/sort_keys.h"

namespace ember::cpu {

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
      std::vector<Key> keys(static_cast<size_t>(n));
      std::vector<int64_t> order(static_cast<size_t>(n));
      for (int64_t r = lo; r < hi; ++r) {
        const T* row = src + r * n;
        for (int64_t j = 0; j < n; ++j) keys[static_cast<size_t>(j)] = sort_key(row[j]);
        std::iota(order.begin(), order.end(), int64_t{0});
        const auto before = [&](int64_t a, int64_t b) {
          const Key ka = keys[static_cast<size_t>(a)], kb = keys[static_cast<size_t>(b)];
          if (ka != kb) return descending ? ka > kb : ka < kb;
          return a < b;
        };
        if (k < n) std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
        else std::sort(order.begin(), order.end(), before);
        for (int64_t j = 0; j < k; ++j) {
          const int64_t p = order[static_cast<size_t>(j)];
          out[r * k + j] = row[p];
          out_index[r * k + j] = p;
        }
      }
    });
  });
}

}  // namespace ember::cpu
