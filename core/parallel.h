// parallel_for over [begin, end) on the CPU with OpenMP: work under `grain`
// elements runs inline on the calling thread (no fork cost for small tensors).
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "core/threads.h"

namespace ember {

inline constexpr int64_t kParallelGrain = 32768;

// fn(chunk_begin, chunk_end) is called on disjoint chunks covering [begin, end).
template <typename Fn>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const Fn& fn) {
  const int64_t n = end - begin;
  if (n <= 0) return;
  const int max_threads = omp_in_parallel() ? 1 : get_num_threads();  // Note [Intra-op threads]
  if (n <= grain || max_threads <= 1) {
    fn(begin, end);
    return;
  }
  const int64_t chunks = std::min<int64_t>(max_threads, (n + grain - 1) / grain);
#pragma omp parallel num_threads(static_cast<int>(chunks))
  {
    const int64_t t = omp_get_thread_num();
    const int64_t per = (n + chunks - 1) / chunks;
    const int64_t lo = begin + t * per;
    const int64_t hi = std::min(end, lo + per);
    if (lo < hi) fn(lo, hi);
  }
}

}  // namespace ember
