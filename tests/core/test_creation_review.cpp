// Creation and random-sampling API a review of PyTorch's "Creation Ops" and "Random sampling"
// found missing or different: torch.Generator's seed / initial_seed / get_state / set_state,
// empty_strided, torch.range, the *_like memory_format, x.bernoulli(p), integer logspace,
// fill_ of an expanded tensor and random_'s range ends.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;

// g.seed() draws a fresh seed (PyTorch's Generator.seed), initial_seed() reads it; a state
// from get_state() repeats the draws after it, on the default generator and through the
// free functions alike.
TEST(GeneratorApi, SeedReseedsAndStatesRepeatDraws) {
  Generator& g = default_generator();
  EXPECT_EQ(g.manual_seed(7).initial_seed(), 7u);
  EXPECT_EQ(initial_seed(), 7u);
  const uint64_t first = g.seed();
  EXPECT_EQ(g.initial_seed(), first);
  const uint64_t second = g.seed();
  EXPECT_NE(first, second);  // two 64-bit draws from std::random_device
  g.manual_seed(11);
  (void)rand({3});
  const Tensor state = g.get_state();
  EXPECT_EQ(state.numel(), 16);
  const Tensor a = rand({5});
  g.set_state(state);
  EXPECT_TRUE(rand({5}).equal(a));
  set_rng_state(state);
  EXPECT_TRUE(rand({5}).equal(a));
  EXPECT_EMBER_ERROR(g.set_state(zeros({4}, dtype(kUInt8))), "expected the 16-byte uint8 CPU tensor");
}

TEST(EmptyStrided, ViewsJustEnoughStorage) {
  const Tensor t = empty_strided({2, 3}, {1, 2}, dtype(kFloat64));
  EXPECT_EQ(t.sizes(), Dims({2, 3}));
  EXPECT_EQ(t.strides(), Dims({1, 2}));
  EXPECT_EQ(t.dtype(), kFloat64);
  EXPECT_EQ(static_cast<int64_t>(t.storage()->nbytes()), 6 * 8);
  EXPECT_EQ(empty_strided({2, 0}, {1, 1}).numel(), 0);
  const Tensor expanded = empty_strided({4, 3}, {0, 1});
  EXPECT_EQ(static_cast<int64_t>(expanded.storage()->nbytes()), 3 * 4);
  EXPECT_EMBER_ERROR(empty_strided({2, 3}, {1}), "mismatch in length of strides and shape");
  EXPECT_EMBER_ERROR(empty_strided({-1}, {1}), "negative dimension -1");
  EXPECT_TRUE(empty_strided({2}, {1}, TensorOptions(kFloat32).requires_grad(true)).requires_grad());
}

// torch.range includes its end and defaults to float32.
TEST(RangeFactory, IncludesTheEnd) {
  const Tensor r = range(1, 4);
  EXPECT_EQ(r.dtype(), kFloat32);
  expect_values(r, {1, 2, 3, 4}, 0);
  expect_values(range(1, 2, 0.5), {1, 1.5, 2}, 0);
  expect_values(range(3, 0, -1.5, dtype(kFloat64)), {3, 1.5, 0}, 0);
  expect_values(range(0, 1, 0.3), {0, 0.3, 0.6, 0.9}, 1e-7);
  EXPECT_EMBER_ERROR(range(0, 1, 0), "step must be nonzero");
  EXPECT_EMBER_ERROR(range(1, 0, 1), "upper bound and larger bound inconsistent with step sign");
}

TEST(LikeMemoryFormat, ContiguousAndChannelsLast) {
  const Tensor nhwc = zeros({2, 3, 4, 5}).contiguous(MemoryFormat::ChannelsLast);
  EXPECT_FALSE(empty_like(nhwc).is_contiguous());  // preserve: stays channels-last
  const Tensor rows = zeros_like(nhwc, {}, MemoryFormat::Contiguous);
  EXPECT_TRUE(rows.is_contiguous());
  const Tensor cl = ones_like(zeros({2, 3, 4, 5}), {}, MemoryFormat::ChannelsLast);
  EXPECT_TRUE(cl.is_contiguous(MemoryFormat::ChannelsLast));
  expect_values(cl.sum(), {120}, 0);
  const Tensor filled = full_like(nhwc, 2.5, dtype(kFloat64), MemoryFormat::Contiguous);
  EXPECT_TRUE(filled.is_contiguous());
  EXPECT_EQ(filled.dtype(), kFloat64);
  EXPECT_EQ(rand_like(nhwc, {}, MemoryFormat::Contiguous).sizes(), nhwc.sizes());
  EXPECT_EMBER_ERROR(randn_like(zeros({3, 4}), {}, MemoryFormat::ChannelsLast), "required rank 4 tensor");
}

TEST(BernoulliMethod, DrawsWithTheGivenProbability) {
  manual_seed(3);
  const Tensor x = zeros({20000}, dtype(kFloat64));
  const Tensor draws = x.bernoulli(0.25);
  EXPECT_EQ(draws.sizes(), x.sizes());
  EXPECT_EQ(draws.dtype(), kFloat64);
  EXPECT_NEAR(draws.mean().item<double>(), 0.25, 0.02);
  expect_values(x.bernoulli(1.0).sum(), {20000}, 0);
}

// PyTorch converts start, end and base to an integer dtype before the powers.
TEST(Logspace, IntegerDtypeTruncatesFirst) {
  expect_values(logspace(0.5, 2.5, 3, 10, dtype(kInt64)), {1, 10, 100}, 0);
  expect_values(logspace(0, 3, 4, 2.5, dtype(kInt64)), {1, 2, 4, 8}, 0);
  expect_values(logspace(0.5, 2.5, 3, 10, dtype(kFloat64)),
                {std::pow(10.0, 0.5), std::pow(10.0, 1.5), std::pow(10.0, 2.5)}, 1e-12);
}

// Fill is idempotent, so an expanded tensor may be filled (PyTorch's fill_ skips the
// overlap check); other writes into it are still refused.
TEST(FillExpanded, FillsTheBase) {
  const Tensor base = zeros({3});
  Tensor expanded = base.expand({2, 3});
  expanded.fill_(1.0);
  expect_values(base, {1, 1, 1}, 0);
  expanded.zero_();
  expect_values(base, {0, 0, 0}, 0);
  EXPECT_EMBER_ERROR(expanded.add_(1.0), "more than one element of the written-to tensor");
}

TEST(RandomRangeEnds, FullInt64RangeAndFloatTop) {
  manual_seed(5);
  Tensor all = zeros({4000}, dtype(kInt64));
  all.random_(std::numeric_limits<int64_t>::lowest(), std::nullopt);
  const std::vector<int64_t> v = all.to_vector<int64_t>();
  const auto negatives = std::count_if(v.begin(), v.end(), [](int64_t x) { return x < 0; });
  EXPECT_GT(negatives, 1800);  // about half of all 2^64 values are negative
  EXPECT_LT(negatives, 2200);
  Tensor f = zeros({4}, dtype(kFloat32));
  EXPECT_EMBER_ERROR(f.random_(int64_t{1} << 24, std::nullopt),
                     "random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' casted to dtype, "
                     "but got from=16777216 > to_inc=16777216");
  f.random_((int64_t{1} << 24) - 1, std::nullopt);  // [2^24 - 1, 2^24]
  EXPECT_GE(f.min().item<double>(), 16777215.0);
  EXPECT_LE(f.max().item<double>(), 16777216.0);
}

}  // namespace
}  // namespace ember
