// The host forms of Note [Rounding without libm on the host] (core/math_functors.h):
// trunc/floor/ceil and fmod of floats and doubles, bit for bit libm's over
// random values of every exponent and the edges (signed zeros, halves, 2^23 / 2^52 and
// their neighbours, subnormals, infinities, NaN), and through the tensor ops.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include <ember/ember.h>

#include "core/math_functors.h"

namespace ember {
namespace {

template <typename T>
bool same_bits(T a, T b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// Values of every binade from subnormal to the largest, both signs, plus the edges.
template <typename T>
std::vector<T> sample_values(uint32_t seed) {
  constexpr int kMinExp = std::numeric_limits<T>::min_exponent - std::numeric_limits<T>::digits;
  constexpr int kMaxExp = std::numeric_limits<T>::max_exponent;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> mantissa(1.0, 2.0);
  std::vector<T> out;
  for (int e = kMinExp; e < kMaxExp; ++e)
    for (int k = 0; k < 6; ++k) {
      const T v = static_cast<T>(std::ldexp(mantissa(rng), e - 1));
      out.push_back(v);
      out.push_back(-v);
    }
  const T inf = std::numeric_limits<T>::infinity();
  const T whole = std::ldexp(T(1), std::numeric_limits<T>::digits - 1);  // 2^23, 2^52
  for (const T v : {T(0), T(0.5), T(1.5), T(2.5), T(1), T(0.49999997), T(0.9999999), whole, whole - T(0.5),
                    whole + T(1), whole - T(1), T(2) * whole, std::nextafter(whole, T(0)),
                    std::numeric_limits<T>::denorm_min(), std::numeric_limits<T>::min(),
                    std::numeric_limits<T>::max(), inf}) {
    out.push_back(v);
    out.push_back(-v);
  }
  out.push_back(std::numeric_limits<T>::quiet_NaN());
  return out;
}

template <typename T>
void expect_roundings_are_libms() {
  for (const T x : sample_values<T>(7)) {
    ASSERT_TRUE(same_bits(functors::Trunc{}(x), std::trunc(x))) << x;
    ASSERT_TRUE(same_bits(functors::Floor{}(x), std::floor(x))) << x;
    ASSERT_TRUE(same_bits(functors::Ceil{}(x), std::ceil(x))) << x;
  }
}

TEST(RoundingHost, TruncFloorCeilAreLibmsToTheBit) {
  expect_roundings_are_libms<float>();
  expect_roundings_are_libms<double>();
}

// Every pair of a wide sample (quotients of every size, so both the fast path and libm's
// fallback), and random pairs whose quotients sit on or next to whole numbers (where the
// rounded quotient can be one too many), for whole parts up to and past the fast path's limit.
template <typename T>
void expect_fmod_is_libms(int64_t whole_limit, size_t stride_a, size_t stride_b) {
  const std::vector<T> values = sample_values<T>(3);
  for (size_t i = 0; i < values.size(); i += stride_a)
    for (size_t j = 0; j < values.size(); j += stride_b) {
      const T a = values[i], b = values[j];
      ASSERT_TRUE(same_bits(functors::Fmod{}(a, b), std::fmod(a, b))) << a << " fmod " << b;
    }
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int64_t> whole(-whole_limit, whole_limit);
  std::uniform_real_distribution<T> divisor(T(-3), T(3));
  for (int k = 0; k < 200000; ++k) {
    const T b = k % 7 == 0 ? std::ldexp(divisor(rng), -900 + k % 1800) : divisor(rng);
    const T a = static_cast<T>(whole(rng)) * b;  // k * b rounded: on, above or below a multiple
    for (const T x : {a, std::nextafter(a, T(0)), std::nextafter(a, a * T(2)), -a}) {
      ASSERT_TRUE(same_bits(functors::Fmod{}(x, b), std::fmod(x, b))) << x << " fmod " << b;
      T floored = std::fmod(x, b);  // Python's %: b's sign
      if (floored != 0 && ((b < 0) != (floored < 0))) floored += b;
      ASSERT_TRUE(same_bits(functors::Remainder{}(x, b), floored)) << x << " % " << b;
    }
  }
}

TEST(RoundingHost, FmodIsLibmsToTheBit) {
  expect_fmod_is_libms<float>(int64_t{1} << 26, 7, 5);       // ~3300 values: 320k pairs
  expect_fmod_is_libms<double>(int64_t{1} << 27, 101, 89);  // ~25000 values: 70k pairs
}

TEST(RoundingHost, TensorOpsGiveLibmsBits) {
  manual_seed(4);
  const Tensor x = randn({4099}) * 1e4;  // odd length: vector body and tail
  const Tensor y = randn({4099});
  const auto xs = x.to_vector<float>(), ys = y.to_vector<float>();
  const auto fl = floor(x).to_vector<float>(), ce = ceil(x).to_vector<float>(), tr = trunc(x).to_vector<float>();
  const auto fm = fmod(x, y).to_vector<float>(), rm = remainder(x, y).to_vector<float>();
  for (size_t i = 0; i < xs.size(); ++i) {
    ASSERT_TRUE(same_bits(fl[i], std::floor(xs[i])));
    ASSERT_TRUE(same_bits(ce[i], std::ceil(xs[i])));
    ASSERT_TRUE(same_bits(tr[i], std::trunc(xs[i])));
    ASSERT_TRUE(same_bits(fm[i], std::fmod(xs[i], ys[i])));
    float r = std::fmod(xs[i], ys[i]);
    if (r != 0 && ((ys[i] < 0) != (r < 0))) r += ys[i];
    ASSERT_TRUE(same_bits(rm[i], r)) << xs[i] << " % " << ys[i];
  }
  const Tensor d = x.to(kFloat64) * 1e9;
  const auto ds = d.to_vector<double>(), dfl = floor(d).to_vector<double>();
  for (size_t i = 0; i < ds.size(); ++i) ASSERT_TRUE(same_bits(dfl[i], std::floor(ds[i])));
}

}  // namespace
}  // namespace ember
