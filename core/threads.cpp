// set_num_threads / get_num_threads over OpenMP's thread count (core/threads.h).
#include "core/threads.h"

#include <omp.h>

#include "core/error.h"

namespace ember {

void set_num_threads(int n) {
  EMBER_CHECK(n > 0, "set_num_threads expects a positive integer, but got ", n);
  omp_set_num_threads(n);
}

int get_num_threads() { return omp_get_max_threads(); }

}  // namespace ember
