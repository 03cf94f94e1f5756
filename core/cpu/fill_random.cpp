// CPU random fills (uniform, normal) from Philox4x32-10; dst is contiguous.
//
// Note [Philox element mapping] (a CUDA kernel must follow it to draw the same numbers):
// element i of dst (logical = memory order) uses the block w[0..3] =
// Philox4x32::block(seed, counter + i); nothing else is shared between elements.
//  - uniform, float32: u = to_float(w[0]); float64: u = to_double(w[0], w[1]).
//    The value is low + (high - low) * u, computed in double as one multiply then one
//    add (no fused multiply-add: use __dmul_rn/__dadd_rn on CUDA), rounded to the
//    dtype; a result equal to `high` after rounding becomes `low` (as PyTorch does).
//  - normal (Box-Muller, both dtypes): u1 = 1 - to_double(w[0], w[1]) in (0, 1],
//    u2 = to_double(w[2], w[3]); z = sqrt(-2 log u1) * cos(2 pi u2), in double; the
//    value is mean + stddev * z (again multiply, then add), rounded to the dtype.
//    Uniforms are bit-identical across devices; normals match up to the last-ulp
//    differences of the devices' double log/cos (invisible after rounding to float32
//    but for rare ties).
#include <cmath>
#include <type_traits>

#include "core/cpu/kernels.h"
#include "core/parallel.h"
#include "core/random.h"

namespace ember::cpu {

namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;

template <typename T>
double uniform_unit(const uint32_t words[4]) {
  if constexpr (std::is_same_v<T, float>) return Philox4x32::to_float(words[0]);
  else return Philox4x32::to_double(words[0], words[1]);
}

double standard_normal(const uint32_t words[4]) {
  const double u1 = 1.0 - Philox4x32::to_double(words[0], words[1]);
  const double u2 = Philox4x32::to_double(words[2], words[3]);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

// Philox4x32::block for kBatch consecutive counters at once, lane by lane, so that the
// rounds compile to vector multiplies; the words are those of block() (same math).
constexpr int64_t kBatch = 16;

void philox_batch(uint64_t seed, uint64_t counter, uint32_t words[4][kBatch]) {
  uint32_t c0[kBatch], c1[kBatch], c2[kBatch] = {}, c3[kBatch] = {};
  for (int64_t j = 0; j < kBatch; ++j) {
    const uint64_t c = counter + static_cast<uint64_t>(j);
    c0[j] = static_cast<uint32_t>(c);
    c1[j] = static_cast<uint32_t>(c >> 32);
  }
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
#pragma omp simd
    for (int64_t j = 0; j < kBatch; ++j) {
      const uint64_t p0 = static_cast<uint64_t>(Philox4x32::kMul0) * c0[j];
      const uint64_t p1 = static_cast<uint64_t>(Philox4x32::kMul1) * c2[j];
      const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1[j] ^ k0;
      const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3[j] ^ k1;
      c1[j] = static_cast<uint32_t>(p1);
      c3[j] = static_cast<uint32_t>(p0);
      c0[j] = n0;
      c2[j] = n2;
    }
    k0 += Philox4x32::kKey0;
    k1 += Philox4x32::kKey1;
  }
  for (int64_t j = 0; j < kBatch; ++j) {
    words[0][j] = c0[j];
    words[1][j] = c1[j];
    words[2][j] = c2[j];
    words[3][j] = c3[j];
  }
}

// dst[i] = sample(Philox block of counter + i), over chunks in parallel; full batches
// of kBatch elements through philox_batch, the rest one block at a time.
template <typename Sample>
void fill_from_philox(const Tensor& dst, const char* op, uint64_t seed, uint64_t counter, const Sample& sample) {
  EMBER_INTERNAL_ASSERT(dst.is_contiguous(), op, " expects a contiguous destination");
  visit_floating(dst.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* out = static_cast<T*>(dst.data_ptr());
    parallel_for(0, dst.numel(), kParallelGrain, [&](int64_t begin, int64_t end) {
      uint32_t words[4];
      int64_t i = begin;
      uint32_t batch[4][kBatch];
      for (; i + kBatch <= end; i += kBatch) {
        philox_batch(seed, counter + static_cast<uint64_t>(i), batch);
        for (int64_t j = 0; j < kBatch; ++j) {
          const uint32_t w[4] = {batch[0][j], batch[1][j], batch[2][j], batch[3][j]};
          out[i + j] = sample(tag, w);
        }
      }
      for (; i < end; ++i) {
        Philox4x32::block(seed, counter + static_cast<uint64_t>(i), words);
        out[i] = sample(tag, words);
      }
    });
  });
}

}  // namespace

void uniform(const Tensor& dst, double low, double high, const PhiloxArgs& rng) {
  uint64_t seed = 0, counter = 0;
  rng.unpack(seed, counter);  // host memory in the pointer form (Note [Graph-safe random numbers])
  const double span = high - low;
  fill_from_philox(dst, "uniform", seed, counter, [=](auto tag, const uint32_t words[4]) {
    using T = typename decltype(tag)::type;
    const double scaled = span * uniform_unit<T>(words);
    const auto value = static_cast<T>(low + scaled);
    return value == static_cast<T>(high) ? static_cast<T>(low) : value;
  });
}

void normal(const Tensor& dst, double mean, double stddev, const PhiloxArgs& rng) {
  uint64_t seed = 0, counter = 0;
  rng.unpack(seed, counter);
  fill_from_philox(dst, "normal", seed, counter, [=](auto tag, const uint32_t words[4]) {
    using T = typename decltype(tag)::type;
    const double scaled = stddev * standard_normal(words);
    return static_cast<T>(mean + scaled);
  });
}

}  // namespace ember::cpu
