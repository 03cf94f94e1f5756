// The seeded draws behind every shuffle of nn/data (DataLoader, samplers, random_split):
// splitmix64-mixed (seed, epoch) -> mt19937_64 -> Fisher-Yates, identical on every
// platform, so each rank of a job computes the same epoch order.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace ember::data {

// A permutation of 0..n-1 that depends only on (seed, epoch).
std::vector<int64_t> seeded_permutation(size_t n, uint64_t seed, uint64_t epoch);

// The engine of seeded_permutation: mt19937_64 (whose output the standard fixes) seeded
// with the splitmix64-mixed (seed, epoch). Samplers draw from it with the helpers below,
// never with std::*_distribution, whose outputs differ between standard libraries.
std::mt19937_64 seeded_engine(uint64_t seed, uint64_t epoch);
// Uniform in [0, n) without modulo bias; n > 0.
uint64_t uniform_below(std::mt19937_64& rng, uint64_t n);
// Uniform in [0, 1): the top 53 bits of one draw times 2^-53.
double uniform_unit(std::mt19937_64& rng);
// Fisher-Yates over `values` (seeded_permutation's shuffle of 0..n-1).
void shuffle_with(std::mt19937_64& rng, std::vector<int64_t>& values);
// `seed`, or one drawn from ember's default generator when it is unset (as PyTorch's
// samplers draw theirs from torch's default generator): manual_seed decides it.
uint64_t seed_or_draw(std::optional<uint64_t> seed);

}  // namespace ember::data
