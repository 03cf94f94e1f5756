// round on the CPU (core/cpu/elementwise.cpp's RoundTiesEven, nearbyint without a libm
// call) against std::nearbyint bit for bit: ties either way, signed zeros, values around
// 2^23 and 2^52 where every float / double is an integer, infinities and NaN, float32 and
// float64, contiguous and strided.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

template <typename T>
std::vector<T> tricky_values() {
  const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
  const T big = std::is_same_v<T, float> ? T(8388608.0f) : T(4503599627370496.0);  // 2^23 or 2^52
  std::vector<T> v{T(0),         -T(0),         T(0.5),  -T(0.5),  T(1.5),        -T(1.5),  T(2.5),  -T(2.5),
                   T(0.49999997), T(-0.3),      T(3.7),  T(-3.7),  T(1e-30),      T(-1e-30), inf,     -inf,
                   nan,          big,           -big,    big - 1,  -(big - 1),    big / 2 + T(0.5),
                   big * 2 + 2,  std::numeric_limits<T>::max(),   std::numeric_limits<T>::lowest(),
                   std::numeric_limits<T>::denorm_min()};
  for (int i = -16; i < 16; ++i) v.push_back(static_cast<T>(static_cast<double>(big) + 0.5 * i));  // ties below big
  std::mt19937 gen(5);
  std::uniform_real_distribution<double> wide(-1e4, 1e4);
  for (int i = 0; i < 4000; ++i) {
    const T x = static_cast<T>(wide(gen));
    v.push_back(x);
    v.push_back(std::floor(x) + T(0.5));  // a tie
  }
  return v;
}

template <typename T>
void expect_nearbyint(DType dt) {
  const std::vector<T> v = tricky_values<T>();
  const Tensor x = tensor(v, {static_cast<int64_t>(v.size())}, dtype(dt));
  for (const Tensor& in : {x, cat({x.view({-1, 1}), x.view({-1, 1})}, 1).select(1, 0)}) {  // contiguous, strided
    const Tensor r = round(in).contiguous();
    const T* got = r.data_ptr<T>();
    int mismatches = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      const T want = std::nearbyint(v[i]);
      if (std::isnan(want)) {
        mismatches += !std::isnan(got[i]);
      } else if (std::memcmp(&got[i], &want, sizeof(T)) != 0) {
        ++mismatches;
        ADD_FAILURE() << "round(" << v[i] << ") gave " << got[i] << ", nearbyint " << want;
      }
    }
    EXPECT_EQ(mismatches, 0) << dtype_name(dt);
  }
}

TEST(RoundCpu, BitForBitNearbyint) {
  expect_nearbyint<float>(kFloat32);
  expect_nearbyint<double>(kFloat64);
}

}  // namespace
}  // namespace ember
