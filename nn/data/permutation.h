// The seeded permutation behind every shuffle of nn/data (DataLoader, DistributedSampler):
// splitmix64-mixed (seed, epoch) -> mt19937_64 -> Fisher-Yates, identical on every
// platform, so each rank of a job computes the same epoch order.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ember::data {

// A permutation of 0..n-1 that depends only on (seed, epoch).
std::vector<int64_t> seeded_permutation(size_t n, uint64_t seed, uint64_t epoch);

}  // namespace ember::data
