// Factories: values, dtypes and shapes of tensor/zeros/ones/full/arange/linspace/eye,
// the random factories' ranges, statistics and reproducibility, and bad arguments.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/random.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;

TEST(FactoriesTensor, CopiesValuesWithTheirDtype) {
  Tensor f = tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(f.dtype(), kFloat32);
  EXPECT_EQ(f.sizes(), (Dims{2, 3}));
  expect_values(f, {1, 2, 3, 4, 5, 6}, 0.0);
  EXPECT_EQ(tensor(std::vector<double>{1.5}).dtype(), kFloat64);
  EXPECT_EQ(tensor(std::vector<int64_t>{1}).dtype(), kInt64);
  EXPECT_EQ(tensor(std::vector<uint8_t>{1}).dtype(), kUInt8);
  EXPECT_EQ(tensor(std::vector<bool>{true, false}).to_vector<bool>(), (std::vector<bool>{true, false}));
  Tensor ints = tensor(std::vector<int>{-1, 2, 3});
  EXPECT_EQ(ints.dtype(), kInt64);
  EXPECT_EQ(ints.to_vector<int64_t>(), (std::vector<int64_t>{-1, 2, 3}));
}

TEST(FactoriesTensor, ConvertsToTheRequestedDtype) {
  Tensor l = tensor(std::vector<float>{1.7f, -2.5f, 0.0f}, {3}, kInt64);
  EXPECT_EQ(l.dtype(), kInt64);
  EXPECT_EQ(l.to_vector<int64_t>(), (std::vector<int64_t>{1, -2, 0}));
  Tensor b = tensor(std::vector<double>{0.5, 0.0}, dtype(kBool));
  EXPECT_EQ(b.to_vector<bool>(), (std::vector<bool>{true, false}));
  Tensor d = tensor(std::vector<int64_t>{3, 4}, {2}, TensorOptions().dtype(kFloat64).requires_grad(true));
  EXPECT_EQ(d.dtype(), kFloat64);
  EXPECT_TRUE(d.requires_grad());
  expect_values(d, {3, 4}, 0.0);
  EXPECT_EQ(tensor(std::vector<float>{2.5f}, Dims{}).dim(), 0);
}

TEST(FactoriesErrors, BadArguments) {
  EXPECT_EMBER_ERROR(tensor(std::vector<float>{1, 2, 3, 4, 5}, {2, 3}),
                     "tensor(): expected 6 values for shape [2, 3], but got 5");
  EXPECT_EMBER_ERROR(zeros({2, -3}), "Trying to create tensor with negative dimension -3");
  EXPECT_EMBER_ERROR(empty({1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}), "at most 10 dimensions");
  EXPECT_EMBER_ERROR(zeros({2}, TensorOptions().dtype(kInt64).requires_grad(true)),
                     "Only Tensors of floating point and complex dtype can require gradients");
  EXPECT_EMBER_ERROR(rand({2}, kInt64), "rand: expected a floating-point dtype");
  EXPECT_EMBER_ERROR(randn({2}, kBool), "randn: expected a floating-point dtype");
  EXPECT_EMBER_ERROR(randint(5, 5, {2}), "random_ expects 'from' to be less than 'to'");
  EXPECT_EMBER_ERROR(eye(-1), "n must be greater or equal to 0");
  EXPECT_EMBER_ERROR(linspace(0, 1, -1), "number of steps must be non-negative");
  EXPECT_EMBER_ERROR(randperm(-2), "n must be non-negative");
}

TEST(FactoriesFill, ZerosOnesFullEmpty) {
  Tensor z = zeros({2, 3});
  EXPECT_EQ(z.sizes(), (Dims{2, 3}));
  EXPECT_EQ(z.dtype(), kFloat32);
  expect_values(z, std::vector<double>(6, 0.0), 0.0);
  expect_values(ones({4}, kInt64), {1, 1, 1, 1}, 0.0);
  EXPECT_EQ(ones({4}, kInt64).dtype(), kInt64);
  Tensor f = full({2}, 3.5, TensorOptions().dtype(kFloat64).requires_grad(true));
  EXPECT_EQ(f.dtype(), kFloat64);
  EXPECT_TRUE(f.requires_grad());
  expect_values(f, {3.5, 3.5}, 0.0);
  EXPECT_EQ(full({3}, true, kBool).to_vector<bool>(), (std::vector<bool>{true, true, true}));
  Tensor s = scalar_tensor(2.25);
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.item<double>(), 2.25);
  Tensor e = empty({3, 0, 2}, kUInt8);
  EXPECT_EQ(e.numel(), 0);
  EXPECT_EQ(e.dtype(), kUInt8);
}

TEST(FactoriesFill, LikeForms) {
  Tensor t = tensor(std::vector<double>{1, 2, 3, 4}, {2, 2});
  for (const Tensor& like : {empty_like(t), zeros_like(t), ones_like(t), full_like(t, 9), rand_like(t), randn_like(t)}) {
    EXPECT_EQ(like.sizes(), t.sizes());
    EXPECT_EQ(like.dtype(), kFloat64);
    EXPECT_FALSE(like.is_alias_of(t));
  }
  expect_values(full_like(t, 9), {9, 9, 9, 9}, 0.0);
  expect_values(zeros_like(t), {0, 0, 0, 0}, 0.0);
  EXPECT_EMBER_ERROR(rand_like(tensor(std::vector<int64_t>{1})), "expected a floating-point dtype");
}

TEST(FactoriesArange, LengthsAndValues) {
  expect_values(arange(5), {0, 1, 2, 3, 4}, 0.0);
  // The dtype from the values when none is given, as torch.arange and torch.full.
  EXPECT_EQ(arange(5).dtype(), kInt64);
  EXPECT_EQ(arange(5, TensorOptions().device(Device::cpu())).dtype(), kInt64);
  EXPECT_EQ(arange(5.0).dtype(), kFloat32);
  EXPECT_EQ(arange(0, 1, 0.5).dtype(), kFloat32);
  EXPECT_EQ(full({2}, 3).dtype(), kInt64);
  EXPECT_EQ(full({2}, 3.0).dtype(), kFloat32);
  EXPECT_EQ(full({2}, true).dtype(), kBool);
  EXPECT_EQ(full({2}, 3, kFloat64).dtype(), kFloat64);
  EXPECT_EQ(zeros({2}).dtype(), kFloat32);  // zeros, ones and scalar_tensor never infer
  EXPECT_EQ(ones({2}, TensorOptions().device(Device::cpu())).dtype(), kFloat32);
  EXPECT_EQ(scalar_tensor(3).dtype(), kFloat32);
  EXPECT_EQ(arange(0, 10, 1, kInt64).dtype(), kInt64);
  expect_values(arange(0, 10, 3, kInt64), {0, 3, 6, 9}, 0.0);
  expect_values(arange(10, 0, -3, kInt64), {10, 7, 4, 1}, 0.0);
  expect_values(arange(1, 2.5, 0.5), {1, 1.5, 2}, 0.0);
  EXPECT_EQ(arange(0, 1, 0.1, kFloat64).numel(), 10);  // ceil(1 / 0.1)
  EXPECT_EQ(arange(0, 1.05, 0.1).numel(), 11);
  EXPECT_EQ(arange(0.5, 3).numel(), 3);
  expect_values(arange(-1, 1, 0.25, kFloat64), {-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75}, 0.0);
  EXPECT_EQ(arange(3, 3).numel(), 0);
  Tensor opts = arange(0, 4, 1, TensorOptions().dtype(kFloat64).requires_grad(true));
  EXPECT_TRUE(opts.requires_grad());
}

TEST(FactoriesArange, BadSteps) {
  EXPECT_EMBER_ERROR(arange(0, 10, 0), "step must be nonzero");
  EXPECT_EMBER_ERROR(arange(0, 10, -1), "upper bound and larger bound inconsistent with step sign");
  EXPECT_EMBER_ERROR(arange(5, 0, 1), "inconsistent with step sign");
}

// An integer dtype truncates fractional bounds and step first, as PyTorch's arange_out (its
// accumulator is int64); int64 sizes the range from the truncated values, uint8 from the doubles.
TEST(FactoriesArange, IntegerDtypeTruncatesFractionalArguments) {
  EXPECT_EQ(arange(-2.5, 3.0, 1.5, kInt64).to_vector<int64_t>(), (std::vector<int64_t>{-2, -1, 0, 1, 2}));
  EXPECT_EQ(arange(0.5, 3.5, 1.0, kInt64).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(arange(0.5, 3.2, 1.0, kInt64).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(arange(-2.5, 3.0, 1.5, kUInt8).numel(), 4);  // ceil(5.5 / 1.5) values of -2 + i
  EXPECT_EQ(arange(0.9, 0.5, -1.0, kInt64).numel(), 0);
  EXPECT_EQ(arange(0.9, 0.5, 1.0, kInt64).numel(), 0);  // checked as the truncated 0, 0, 1
  EXPECT_EMBER_ERROR(arange(0.0, 3.0, 0.5, kInt64), "step must be nonzero");
  EXPECT_EMBER_ERROR(arange(2.5, 2.2, -0.5, kUInt8), "step must be nonzero");
  EXPECT_EMBER_ERROR(arange(0.0, 1e30, 1.0, kInt64), "value cannot be converted to type int64_t without overflow");
  expect_values(arange(-2.5, 3.0, 1.5, kFloat64), {-2.5, -1, 0.5, 2}, 0.0);  // floats keep them
}

TEST(FactoriesRanges, LinspaceAndEye) {
  expect_values(linspace(0, 1, 5), {0, 0.25, 0.5, 0.75, 1}, 1e-7);
  expect_values(linspace(-2, 2, 3, kFloat64), {-2, 0, 2}, 0.0);
  expect_values(linspace(3, 7, 1), {3}, 0.0);
  EXPECT_EQ(linspace(0, 1, 0).numel(), 0);
  Tensor ends = linspace(0.1, 0.7, 7, kFloat64);
  EXPECT_EQ(ends.to_vector<double>().front(), 0.1);
  EXPECT_EQ(ends.to_vector<double>().back(), 0.7);
  expect_values(linspace(0, 10, 4, kInt64), {0, 3, 6, 10}, 0.0);

  Tensor i = eye(3);
  EXPECT_EQ(i.sizes(), (Dims{3, 3}));
  expect_values(i, {1, 0, 0, 0, 1, 0, 0, 0, 1}, 0.0);
  EXPECT_EQ(eye(2, kInt64).to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 0, 1}));
  EXPECT_EQ(eye(0).numel(), 0);
}

TEST(FactoriesRandom, ManualSeedReproduces) {
  manual_seed(42);
  std::vector<float> first = randn({64}).to_vector<float>();
  std::vector<float> next = randn({64}).to_vector<float>();
  manual_seed(42);
  EXPECT_EQ(randn({64}).to_vector<float>(), first);
  EXPECT_EQ(randn({64}).to_vector<float>(), next);
  EXPECT_NE(first, next);
  manual_seed(7);
  EXPECT_NE(randn({64}).to_vector<float>(), first);
}

TEST(FactoriesRandom, BatchedFillEqualsPhiloxBlockPerElement) {
  // The CPU fill computes Philox blocks in batches; each float32 value must still be
  // to_float(word 0 of block(seed, counter + i)) (Note [Philox element mapping]).
  manual_seed(11);
  (void)rand({5});  // start the next draw at counter 5, not on a batch boundary
  const std::vector<float> got = rand({1000}).to_vector<float>();
  for (size_t i = 0; i < got.size(); ++i) {
    uint32_t w[4];
    Philox4x32::block(11, 5 + i, w);
    ASSERT_EQ(got[i], Philox4x32::to_float(w[0])) << "at " << i;
  }
}

TEST(FactoriesRandom, ParallelFillMatchesTheElementMapping) {
  // Element i depends only on (seed, counter + i): a big draw's tail equals a small
  // draw made from the same counter.
  manual_seed(3);
  std::vector<double> big = rand({100000}, kFloat64).to_vector<double>();
  manual_seed(3);
  std::vector<double> head = rand({99990}, kFloat64).to_vector<double>();
  std::vector<double> tail = rand({10}, kFloat64).to_vector<double>();
  EXPECT_TRUE(std::equal(head.begin(), head.end(), big.begin()));
  EXPECT_TRUE(std::equal(tail.begin(), tail.end(), big.begin() + 99990));
}

TEST(FactoriesRandom, RandIsUniformInUnitInterval) {
  manual_seed(0);
  for (DType dt : {kFloat32, kFloat64}) {
    std::vector<double> v = rand({100000}, dt).to_vector<double>();
    EXPECT_TRUE(std::all_of(v.begin(), v.end(), [](double x) { return x >= 0.0 && x < 1.0; }));
    const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    EXPECT_NEAR(mean, 0.5, 0.01);
    const auto below_tenth = std::count_if(v.begin(), v.end(), [](double x) { return x < 0.1; });
    EXPECT_NEAR(static_cast<double>(below_tenth) / static_cast<double>(v.size()), 0.1, 0.01);
  }
}

TEST(FactoriesRandom, RandnIsStandardNormal) {
  manual_seed(1);
  for (DType dt : {kFloat32, kFloat64}) {
    std::vector<double> v = randn({100000}, dt).to_vector<double>();
    const auto n = static_cast<double>(v.size());
    const double mean = std::accumulate(v.begin(), v.end(), 0.0) / n;
    double var = 0.0;
    for (double x : v) var += (x - mean) * (x - mean);
    EXPECT_NEAR(mean, 0.0, 0.02);
    EXPECT_NEAR(std::sqrt(var / n), 1.0, 0.02);
    EXPECT_TRUE(std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); }));
  }
}

TEST(FactoriesRandom, RandintStaysInRange) {
  manual_seed(5);
  Tensor r = randint(-3, 4, {2000});
  EXPECT_EQ(r.dtype(), kInt64);
  std::vector<int64_t> v = r.to_vector<int64_t>();
  EXPECT_EQ(*std::min_element(v.begin(), v.end()), -3);
  EXPECT_EQ(*std::max_element(v.begin(), v.end()), 3);
  EXPECT_EQ(randint(0, 10, {3, 2}, kFloat32).dtype(), kFloat32);
}

TEST(FactoriesRandom, RandpermIsAPermutation) {
  manual_seed(9);
  std::vector<int64_t> p = randperm(50).to_vector<int64_t>();
  std::vector<int64_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> expected(50);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(sorted, expected);
  EXPECT_NE(p, expected);
  manual_seed(9);
  EXPECT_EQ(randperm(50).to_vector<int64_t>(), p);
  EXPECT_EQ(randperm(0).numel(), 0);
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

// PyTorch 2.1's fill_uninitialized_memory: under deterministic algorithms empty memory is NaN
// (floating) or the largest value (integers, bool), on by default and switchable.
TEST(Factories, DeterministicModeFillsEmptyMemory) {
  struct Restore {
    ~Restore() {
      use_deterministic_algorithms(false);
      set_deterministic_fill_uninitialized_memory(true);
    }
  } restore;
  use_deterministic_algorithms(true);
  EXPECT_TRUE(deterministic_fill_uninitialized_memory());
  EXPECT_TRUE(empty({3}).isnan().all().item<bool>());
  EXPECT_TRUE(empty({2}, kBFloat16).isnan().all().item<bool>());
  EXPECT_EQ(empty({2}, kInt64).to_vector<int64_t>(), (std::vector<int64_t>(2, std::numeric_limits<int64_t>::max())));
  EXPECT_EQ(empty({2}, kUInt8).to_vector<uint8_t>(), (std::vector<uint8_t>{255, 255}));
  EXPECT_EQ(empty({2}, kBool).to_vector<bool>(), (std::vector<bool>{true, true}));
  EXPECT_TRUE(empty_like(ones({2, 2}, kFloat64)).isnan().all().item<bool>());
  EXPECT_TRUE(ones({2}).new_empty({4}).isnan().all().item<bool>());
  set_deterministic_fill_uninitialized_memory(false);
  const Tensor seven = full({1024}, 7.0f);
  const void* where = seven.data_ptr();
  (void)where;
  EXPECT_FALSE(empty({0}).defined() && empty({0}).numel() != 0);
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

// PyTorch's preserve_format for the *_like factories (Note [The layout of *_like tensors]):
// a dense layout keeps its strides, a sliced channels-last tensor gives channels-last, any
// other layout row-major; values, dtype, device and requires_grad as before.
TEST(LikeFactories, KeepTheInputsLayout) {
  const Tensor nchw = randn({2, 3, 4, 5});
  const Tensor nhwc = nchw.contiguous(MemoryFormat::ChannelsLast);
  for (const Tensor& made : {empty_like(nhwc), zeros_like(nhwc), ones_like(nhwc), full_like(nhwc, 2.5), rand_like(nhwc),
                             randn_like(nhwc), randint_like(nhwc, 5)}) {
    EXPECT_EQ(made.sizes(), nhwc.sizes());
    EXPECT_EQ(made.strides(), nhwc.strides());
  }
  EXPECT_TRUE(equal(zeros_like(nhwc), zeros({2, 3, 4, 5})));
  EXPECT_TRUE(equal(full_like(nhwc, 2.5), full({2, 3, 4, 5}, 2.5)));
  const Tensor t = randn({3, 5}).t();
  EXPECT_EQ(empty_like(t).strides(), (Dims{1, 5}));
  EXPECT_EQ(ones_like(t, dtype(kFloat64).requires_grad(true)).strides(), (Dims{1, 5}));
  EXPECT_TRUE(ones_like(t, dtype(kFloat64).requires_grad(true)).requires_grad());
  EXPECT_TRUE(ones_like(t, dtype(kFloat64).requires_grad(true)).is_leaf());
  EXPECT_EQ(ones_like(t, kFloat64).dtype(), kFloat64);
  const Tensor r = rand_like(t);
  EXPECT_TRUE((r >= 0.0).all().item<bool>() && (r < 1.0).all().item<bool>());
  // Not dense: a channels-last slice gives channels-last, a row slice row-major.
  const Tensor sliced = nhwc.narrow(3, 0, 3);
  EXPECT_TRUE(zeros_like(sliced).is_contiguous(MemoryFormat::ChannelsLast));
  EXPECT_TRUE(zeros_like(randn({4, 6}).narrow(1, 0, 3)).is_contiguous());
  EXPECT_TRUE(zeros_like(randn({1, 3}).expand({4, 3})).is_contiguous());
}

}  // namespace
}  // namespace ember
