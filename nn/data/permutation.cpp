// seeded_permutation (nn/data/permutation.h): uniform draws without modulo bias, so the
// order does not depend on the standard library.
#include "nn/data/permutation.h"

#include <limits>
#include <random>
#include <utility>

namespace ember::data {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Uniform in [0, n) without modulo bias (std::uniform_int_distribution differs between
// standard libraries; this does not).
uint64_t uniform_below(std::mt19937_64& rng, uint64_t n) {
  const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % n;
  uint64_t r = rng();
  while (r >= limit) r = rng();
  return r % n;
}

}  // namespace

std::vector<int64_t> seeded_permutation(size_t n, uint64_t seed, uint64_t epoch) {
  std::vector<int64_t> idx(n);
  for (size_t i = 0; i < n; ++i) idx[i] = static_cast<int64_t>(i);
  std::mt19937_64 rng(splitmix64(seed ^ splitmix64(epoch)));
  for (size_t i = n; i > 1; --i) std::swap(idx[i - 1], idx[uniform_below(rng, i)]);
  return idx;
}

}  // namespace ember::data
