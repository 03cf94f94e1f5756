// seeded_permutation and the engine helpers (nn/data/permutation.h): uniform draws
// without modulo bias, so the order does not depend on the standard library.
#include "nn/data/permutation.h"

#include <limits>
#include <utility>

#include "core/factories.h"

namespace ember::data {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

std::mt19937_64 seeded_engine(uint64_t seed, uint64_t epoch) {
  return std::mt19937_64(splitmix64(seed ^ splitmix64(epoch)));
}

uint64_t uniform_below(std::mt19937_64& rng, uint64_t n) {
  const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % n;
  uint64_t r = rng();
  while (r >= limit) r = rng();
  return r % n;
}

double uniform_unit(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

void shuffle_with(std::mt19937_64& rng, std::vector<int64_t>& values) {
  for (size_t i = values.size(); i > 1; --i) std::swap(values[i - 1], values[uniform_below(rng, i)]);
}

uint64_t seed_or_draw(std::optional<uint64_t> seed) {
  if (seed) return *seed;
  // PyTorch's int(torch.empty((), dtype=torch.int64).random_().item()): one draw.
  return static_cast<uint64_t>(randint(0, std::numeric_limits<int64_t>::max(), {}, kInt64).item<int64_t>());
}

std::vector<int64_t> seeded_permutation(size_t n, uint64_t seed, uint64_t epoch) {
  std::vector<int64_t> idx(n);
  for (size_t i = 0; i < n; ++i) idx[i] = static_cast<int64_t>(i);
  std::mt19937_64 rng = seeded_engine(seed, epoch);
  shuffle_with(rng, idx);
  return idx;
}

}  // namespace ember::data
