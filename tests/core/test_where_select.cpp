// where(cond, a, b) on the CPU's branch-free select (core/cpu/elementwise.cpp's select_bits)
// for every element size: tensor/tensor, tensor/scalar and scalar/tensor operands against
// a plain loop, random conditions, and bool operands (bitwise_and / bitwise_or are wheres).
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

std::vector<bool> random_conditions(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::bernoulli_distribution coin(0.5);
  std::vector<bool> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = coin(gen);
  return v;
}

TEST(WhereSelect, EveryDtypeAndBroadcastSideMatchesALoop) {
  constexpr int64_t n = 1000;
  const std::vector<bool> cond_values = random_conditions(n, 1);
  const Tensor cond = tensor(cond_values, {n});
  std::vector<double> a_values(n), b_values(n);
  for (int64_t i = 0; i < n; ++i) {
    a_values[static_cast<size_t>(i)] = static_cast<double>(i % 7);        // 0 is a false bool
    b_values[static_cast<size_t>(i)] = static_cast<double>((i * 3) % 5);  // likewise
  }
  for (DType dt : {kBool, kUInt8, kInt64, kBFloat16, kFloat32, kFloat64}) {
    SCOPED_TRACE(dtype_name(dt));
    const Tensor a = tensor(a_values, {n}, dtype(kFloat64)).to(dt), b = tensor(b_values, {n}, dtype(kFloat64)).to(dt);
    const std::vector<double> av = a.to(kFloat64).to_vector<double>(), bv = b.to(kFloat64).to_vector<double>();
    const Tensor scalar = tensor(std::vector<double>{3}, {}, dtype(kFloat64)).to(dt);
    const double s = scalar.to(kFloat64).item<double>();
    std::vector<double> both(n), scalar_last(n), scalar_first(n);
    for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
      both[i] = cond_values[i] ? av[i] : bv[i];
      scalar_last[i] = cond_values[i] ? av[i] : s;
      scalar_first[i] = cond_values[i] ? s : bv[i];
    }
    const Tensor got_both = where(cond, a, b), got_last = where(cond, a, scalar), got_first = where(cond, scalar, b);
    EXPECT_EQ(got_both.dtype(), dt);
    EXPECT_EQ(got_both.to(kFloat64).to_vector<double>(), both);
    EXPECT_EQ(got_last.to(kFloat64).to_vector<double>(), scalar_last);
    EXPECT_EQ(got_first.to(kFloat64).to_vector<double>(), scalar_first);
  }
}

TEST(WhereSelect, BoolOperandsGiveTrueBools) {
  const std::vector<bool> x = random_conditions(777, 2), y = random_conditions(777, 3);
  const Tensor tx = tensor(x, {777}), ty = tensor(y, {777});
  std::vector<bool> both(777), either(777);
  for (size_t i = 0; i < 777; ++i) {
    both[i] = x[i] && y[i];
    either[i] = x[i] || y[i];
  }
  EXPECT_EQ((tx & ty).to_vector<bool>(), both);
  EXPECT_EQ((tx | ty).to_vector<bool>(), either);
  // a result that is a valid bool: sums of it count the true elements
  EXPECT_EQ((tx & ty).to(kInt64).sum().item<int64_t>(), std::count(both.begin(), both.end(), true));
}

}  // namespace
}  // namespace ember
