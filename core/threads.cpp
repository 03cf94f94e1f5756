// set_num_threads / get_num_threads (core/threads.h): one process-wide count over OpenMP's.
//
// Note [Intra-op threads]
// OpenMP's thread count (nthreads-var) belongs to each thread: omp_set_num_threads on one
// thread leaves the others (a user's threads, the DataLoader's prefetch worker) at the start
// value. PyTorch keeps the count in a global that every parallel loop applies, so ember does
// too: set_num_threads stores it, and get_num_threads, which parallel_for and the CPU kernels
// ask for their width, returns it (OpenMP's own count until the first call).
#include "core/threads.h"

#include <omp.h>

#include <atomic>

#include "core/error.h"

namespace ember {
namespace {
std::atomic<int> configured_threads{0};  // 0: not set
}  // namespace

void set_num_threads(int n) {
  EMBER_CHECK(n > 0, "set_num_threads expects a positive integer, but got ", n);
  configured_threads.store(n, std::memory_order_relaxed);
  omp_set_num_threads(n);
}

int get_num_threads() {
  const int n = configured_threads.load(std::memory_order_relaxed);
  return n > 0 ? n : omp_get_max_threads();
}

}  // namespace ember
