// Random numbers: a counter-based Philox4x32-10 generator whose math is
// __host__ __device__, so CPU and CUDA draw the same streams from the same seed.
// manual_seed(s) reseeds the default generator.
#pragma once
#include <atomic>
#include <cstdint>
#include <mutex>

#include "core/macros.h"

namespace ember {

struct Philox4x32 {
  static constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  static constexpr uint32_t kKey0 = 0x9E3779B9u, kKey1 = 0xBB67AE85u;

  // 4 random 32-bit words for (seed, counter): pure function, no state.
  EMBER_HD_INLINE static void block(uint64_t seed, uint64_t counter, uint32_t out[4]) {
    uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32);
    uint32_t c2 = 0, c3 = 0;
    uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
    for (int round = 0; round < 10; ++round) {
      uint64_t p0 = static_cast<uint64_t>(kMul0) * c0;
      uint64_t p1 = static_cast<uint64_t>(kMul1) * c2;
      uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
      uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
      c0 = hi1 ^ c1 ^ k0;
      c1 = lo1;
      c2 = hi0 ^ c3 ^ k1;
      c3 = lo0;
      k0 += kKey0;
      k1 += kKey1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
  }
  // Uniform in [0, 1) from 32 bits (float) or 53 bits (double).
  EMBER_HD_INLINE static float to_float(uint32_t x) { return static_cast<float>(x >> 8) * (1.0f / 16777216.0f); }
  EMBER_HD_INLINE static double to_double(uint32_t a, uint32_t b) {
    uint64_t v = (static_cast<uint64_t>(a) << 21) ^ b;
    return static_cast<double>(v & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
  }
};

class Generator {
 public:
  explicit Generator(uint64_t seed = 67280421310721ull) : seed_(seed) {}
  void manual_seed(uint64_t seed) {
    std::lock_guard<std::mutex> lock(mu_);
    seed_ = seed;
    offset_ = 0;
    generation_.fetch_add(1, std::memory_order_release);
  }
  uint64_t seed() const { return seed_; }
  // Counts manual_seed calls, so stateful streams (cuDNN's dropout states) can restart
  // when the generator was reseeded, even with the same seed.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // Reserves `n` counters and returns (seed, first counter) for a kernel to use.
  std::pair<uint64_t, uint64_t> reserve(uint64_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t start = offset_;
    offset_ += n;
    return {seed_, start};
  }

 private:
  std::mutex mu_;
  uint64_t seed_;
  uint64_t offset_ = 0;
  std::atomic<uint64_t> generation_{0};
};

Generator& default_generator();
void manual_seed(uint64_t seed);

}  // namespace ember
