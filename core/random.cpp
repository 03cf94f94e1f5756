// The process-wide default generator behind rand/randn/randint/randperm and dropout.
#include "core/random.h"

namespace ember {

Generator& default_generator() {
  static Generator generator;
  return generator;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace ember
