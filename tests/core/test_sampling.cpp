// The random fills (uniform_, normal_, bernoulli_, exponential_, geometric_, log_normal_,
// cauchy_, random_) and draws (bernoulli, multinomial, normal, rand, randint, randperm): their
// ranges and moments on large draws, reproducibility from the seed, in-place semantics and errors.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

double mean_of(const Tensor& t) { return t.to(kFloat64).mean().item<double>(); }
double var_of(const Tensor& t) { return t.to(kFloat64).var().item<double>(); }

constexpr int64_t kDraws = 200000;

TEST(Sampling, UniformAndNormalFills) {
  manual_seed(7);
  Tensor u = empty({kDraws}).uniform_(-2, 3);
  EXPECT_GE(u.min().item<double>(), -2.0);
  EXPECT_LT(u.max().item<double>(), 3.0);
  EXPECT_NEAR(mean_of(u), 0.5, 0.02);
  EXPECT_NEAR(var_of(u), 25.0 / 12.0, 0.03);
  Tensor n = empty({kDraws}, dtype(kFloat64)).normal_(1.5, 2.0);
  EXPECT_NEAR(mean_of(n), 1.5, 0.02);
  EXPECT_NEAR(std::sqrt(var_of(n)), 2.0, 0.02);
  // Same seed, same numbers; uniform_(0, 1) draws what rand draws
  manual_seed(11);
  Tensor a = empty({64}).uniform_();
  manual_seed(11);
  EXPECT_TRUE(equal(a, rand({64})));
  manual_seed(11);
  Tensor b = empty({64}).normal_();
  manual_seed(11);
  EXPECT_TRUE(equal(b, randn({64})));
  // non-contiguous and bfloat16 targets are filled in place; other elements stay
  Tensor big = zeros({4, 6});
  Tensor cols = big.narrow(1, 0, 3);
  cols.uniform_(5, 6);
  const auto v = big.to_vector<float>();
  for (int64_t r = 0; r < 4; ++r) {
    for (int64_t c = 0; c < 6; ++c) {
      const float x = v[static_cast<size_t>(r * 6 + c)];
      if (c < 3) EXPECT_TRUE(x >= 5 && x < 6) << x;
      else EXPECT_EQ(x, 0.0f);
    }
  }
  Tensor half = empty({1000}, dtype(kBFloat16)).normal_(0, 1);
  EXPECT_EQ(half.dtype(), kBFloat16);
  EXPECT_NEAR(mean_of(half), 0.0, 0.15);
  const uint32_t before = a.version();
  a.uniform_();
  EXPECT_EQ(a.version(), before + 1);
}

TEST(Sampling, OtherDistributionsHaveTheirMoments) {
  manual_seed(3);
  Tensor e = empty({kDraws}, dtype(kFloat64)).exponential_(2.0);
  EXPECT_GE(e.min().item<double>(), 0.0);
  EXPECT_NEAR(mean_of(e), 0.5, 0.01);
  Tensor g = empty({kDraws}).geometric_(0.25);
  EXPECT_GE(g.min().item<double>(), 1.0);
  EXPECT_TRUE(equal(g, g.floor()));
  EXPECT_NEAR(mean_of(g), 4.0, 0.05);
  Tensor ln = empty({kDraws}, dtype(kFloat64)).log_normal_(0.5, 0.25);
  EXPECT_NEAR(mean_of(ln.log()), 0.5, 0.01);
  Tensor c = empty({kDraws}, dtype(kFloat64)).cauchy_(1.0, 2.0);
  EXPECT_NEAR(median(c).item<double>(), 1.0, 0.05);  // a Cauchy has a median, not a mean
  EXPECT_NEAR(quantile(c, 0.75).item<double>(), 3.0, 0.1);
  Tensor b = empty({kDraws}).bernoulli_(0.3);
  EXPECT_TRUE(equal(b * (b - 1), zeros({kDraws})));
  EXPECT_NEAR(mean_of(b), 0.3, 0.01);
  Tensor ints = zeros({kDraws}, dtype(kInt64)).bernoulli_(0.5);
  EXPECT_NEAR(mean_of(ints), 0.5, 0.01);
  Tensor flags = zeros({100}, dtype(kBool)).bernoulli_(1.0);
  EXPECT_TRUE(flags.all().item<bool>());
}

TEST(Sampling, RandomIntegersStayInTheirRange) {
  manual_seed(5);
  Tensor r = empty({kDraws}).random_(3, 9);
  EXPECT_EQ(r.min().item<double>(), 3.0);
  EXPECT_EQ(r.max().item<double>(), 8.0);
  EXPECT_TRUE(equal(r, r.floor()));
  Tensor bytes = empty({kDraws}, dtype(kUInt8)).random_();
  EXPECT_EQ(bytes.max().item<int64_t>(), 255);
  EXPECT_EQ(bytes.min().item<int64_t>(), 0);
  Tensor to = empty({1000}, dtype(kInt64)).random_(4);
  EXPECT_EQ(to.max().item<int64_t>(), 3);
  Tensor wide = empty({1000}, dtype(kInt64)).random_();
  EXPECT_GE(wide.min().item<int64_t>(), 0);
  EXPECT_GT(wide.max().item<int64_t>(), int64_t{1} << 60);
  Tensor flags = empty({1000}, dtype(kBool)).random_();
  EXPECT_NEAR(mean_of(flags), 0.5, 0.1);
  EXPECT_EMBER_ERROR(empty({2}).random_(5, 5), "random_ expects 'from' to be less than 'to', but got from=5 >= to=5");
  EXPECT_EMBER_ERROR(empty({2}, dtype(kUInt8)).random_(0, 300), "to - 1 is out of bounds for uint8");
  EXPECT_EMBER_ERROR(empty({2}, dtype(kUInt8)).random_(-1, 3), "from is out of bounds for uint8");
  // A floating dtype takes any finite range, as PyTorch's check_from_to_in_range (beyond 2^digits
  // it warns that the draws skip integers); float16 ends past 65504 are errors.
  const double wide_top = empty({256}).random_(0, (int64_t{1} << 24) + 2).max().item<double>();
  EXPECT_GT(wide_top, 1e6);
  EXPECT_LE(wide_top, 16777218.0);
  EXPECT_EMBER_ERROR(empty({2}, dtype(kFloat16)).random_(0, 70000), "to - 1 is out of bounds for float16");
  EXPECT_LE(empty({64}, dtype(kFloat16)).random_(0, 65505).max().item<double>(), 65504.0);
  // the ends moved inward to values the dtype holds, so no draw rounds out of [from, to) (as
  // PyTorch's update_from / update_to intend)
  EXPECT_LE(empty({4096}, dtype(kFloat16)).random_(0, 2052).max().item<double>(), 2050.0);
  EXPECT_GE(empty({4096}, dtype(kFloat16)).random_(-2051, 0).min().item<double>(), -2050.0);
  EXPECT_LE(empty({4096}, dtype(kBFloat16)).random_(0, 260).max().item<double>(), 258.0);
  EXPECT_LT(empty({4096}, dtype(kFloat16)).random_(0, 65504).max().item<double>(), 65504.0);
  EXPECT_EMBER_ERROR(empty({2}, dtype(kFloat16)).random_(2049, 2050),
                     "random_ expects 'from' casted to dtype to be less than 'to' casted to dtype");
}

TEST(Sampling, BernoulliWithTensorProbabilities) {
  manual_seed(9);
  const Tensor p = tensor(std::vector<float>{0, 1, 0.25f}, {3}).expand({kDraws / 4, 3});
  Tensor draws = bernoulli(p);
  EXPECT_EQ(draws.dtype(), kFloat32);
  EXPECT_EQ(draws.sizes(), p.sizes());
  Tensor column_means = draws.mean({0});
  const auto m = column_means.to_vector<double>();
  EXPECT_EQ(m[0], 0.0);
  EXPECT_EQ(m[1], 1.0);
  EXPECT_NEAR(m[2], 0.25, 0.01);
  Tensor into = zeros({kDraws / 4, 3}, dtype(kFloat64));
  into.bernoulli_(tensor(std::vector<double>{1, 0, 0.5}, {3}));
  const auto mi = into.mean({0}).to_vector<double>();
  EXPECT_EQ(mi[0], 1.0);
  EXPECT_EQ(mi[1], 0.0);
  EXPECT_NEAR(mi[2], 0.5, 0.01);
  EXPECT_NEAR(mean_of(bernoulli(zeros({kDraws}), 0.75)), 0.75, 0.01);
  EXPECT_NEAR(mean_of(full({kDraws}, 0.1).bernoulli()), 0.1, 0.01);
  EXPECT_EMBER_ERROR(bernoulli(tensor(std::vector<float>{0.5f, 1.5f}, {2})), "probabilities p to be in [0, 1]");
  EXPECT_EMBER_ERROR(bernoulli(tensor(std::vector<float>{std::nanf("")}, {1})), "probabilities p to be in [0, 1]");
  EXPECT_EMBER_ERROR(zeros({2}).bernoulli_(-0.5), "bernoulli_ expects p to be in [0, 1], but got p=-0.5");
}

TEST(Sampling, MultinomialFrequenciesAndDistinctDraws) {
  manual_seed(13);
  const Tensor probs = tensor(std::vector<double>{1, 0, 3, 6}, {4});  // need not sum to 1
  Tensor draws = multinomial(probs, kDraws, /*replacement=*/true);
  EXPECT_EQ(draws.dtype(), kInt64);
  EXPECT_EQ(draws.sizes(), (Dims{kDraws}));
  const auto freq = bincount(draws, Tensor(), 4).to_vector<int64_t>();
  EXPECT_EQ(freq[1], 0);  // probability 0 is never drawn
  EXPECT_NEAR(static_cast<double>(freq[0]) / kDraws, 0.1, 0.01);
  EXPECT_NEAR(static_cast<double>(freq[2]) / kDraws, 0.3, 0.01);
  EXPECT_NEAR(static_cast<double>(freq[3]) / kDraws, 0.6, 0.01);
  // Without replacement: each row a permutation prefix; the first draw follows probs
  Tensor rows = tensor(std::vector<float>{1, 2, 3, 4, 0, 0, 5, 5}, {2, 4});
  Tensor picks = rows.multinomial(3);
  EXPECT_EQ(picks.sizes(), (Dims{2, 3}));
  for (int64_t r = 0; r < 2; ++r) {
    auto row = picks.select(0, r).to_vector<int64_t>();
    std::sort(row.begin(), row.end());
    EXPECT_TRUE(std::adjacent_find(row.begin(), row.end()) == row.end()) << "row " << r << " repeats";
  }
  // row 1 has two nonzero categories: they come first, then the zeros in index order (PyTorch's)
  auto second = picks.select(0, 1).to_vector<int64_t>();
  std::vector<int64_t> first_two(second.begin(), second.begin() + 2);
  std::sort(first_two.begin(), first_two.end());
  EXPECT_EQ(first_two, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(second[2], 0);
  Tensor first = multinomial(probs.expand({kDraws / 10, 4}), 1);
  const auto first_freq = bincount(first.reshape({-1}), Tensor(), 4).to_vector<int64_t>();
  EXPECT_NEAR(static_cast<double>(first_freq[3]) / (kDraws / 10), 0.6, 0.02);
  EXPECT_EMBER_ERROR(multinomial(zeros({2, 2, 2}), 1), "prob_dist must be 1 or 2 dim");
  EXPECT_EMBER_ERROR(multinomial(probs, 0), "cannot sample n_sample <= 0 samples");
  EXPECT_EMBER_ERROR(multinomial(probs, 5), "cannot sample n_sample > prob_dist.size(-1) samples without replacement");
  EXPECT_EMBER_ERROR(multinomial(tensor(std::vector<float>{-1, 1}, {2}), 1),
                     "probability tensor contains either `inf`, `nan` or element < 0");
  EXPECT_EMBER_ERROR(multinomial(zeros({2}), 1, true), "invalid multinomial distribution (sum of probabilities <= 0)");
  EXPECT_EMBER_ERROR(multinomial(tensor(std::vector<int64_t>{1, 2}, {2}), 1), "floating-point");
}

TEST(Sampling, NormalWithTensorMoments) {
  manual_seed(17);
  const Tensor mean = tensor(std::vector<double>{-5, 0, 5}, {3});
  const Tensor stddev = tensor(std::vector<double>{0, 1, 2}, {3});
  Tensor draws = normal(mean.expand({kDraws / 4, 3}), stddev);
  const auto m = draws.mean({0}).to_vector<double>();
  EXPECT_EQ(m[0], -5.0);  // std 0: exactly the mean
  EXPECT_NEAR(m[1], 0.0, 0.02);
  EXPECT_NEAR(m[2], 5.0, 0.04);
  EXPECT_NEAR(std::sqrt(var_of(draws.select(1, 2))), 2.0, 0.03);
  EXPECT_EQ(normal(2.0, stddev).sizes(), (Dims{3}));
  EXPECT_EQ(normal(mean, 0.0).to_vector<double>(), mean.to_vector<double>());
  Tensor shaped = normal(3.0, 0.5, {kDraws}, dtype(kFloat64));
  EXPECT_NEAR(mean_of(shaped), 3.0, 0.01);
  EXPECT_EMBER_ERROR(normal(mean, tensor(std::vector<double>{1, -1, 1}, {3})), "normal expects all elements of std >= 0.0");
}

TEST(Sampling, FillsAreInPlaceOpsForAutograd) {
  Tensor w = ones({3}, TensorOptions().requires_grad(true));
  EXPECT_EMBER_ERROR(w.uniform_(), "a leaf Variable that requires grad is being used in an in-place operation");
  {
    NoGradGuard no_grad;
    w.normal_();  // what nn::init does
  }
  Tensor x = ones({3}, TensorOptions().requires_grad(true));
  Tensor y = x * 2;
  y.uniform_();
  EXPECT_EQ(y.grad_fn_name(), "UniformBackward");
  y.sum().backward();
  ember::testing::expect_values(x.grad(), {0, 0, 0});  // the drawn values do not depend on x
}

// A float32 draw rounded to float16 / bfloat16 was 1.0 about once in 4096 / 512 draws; the
// draws keep the dtype's significand bits, as PyTorch's uniform_real (Note [Uniform draws of
// 16-bit floats]).
TEST(Sampling, SixteenBitUniformDrawsStayBelowOne) {
  manual_seed(1);
  for (DType dt : {kFloat16, kBFloat16}) {
    const Tensor u = rand({1 << 20}, dt);
    EXPECT_LT(u.max().item<double>(), 1.0);
    EXPECT_GE(u.min().item<double>(), 0.0);
    EXPECT_NEAR(mean_of(u), 0.5, 0.01);
    Tensor v = empty({1 << 20}, dtype(dt));
    v.uniform_(2.0, 3.0);
    EXPECT_GE(v.min().item<double>(), 2.0);
    EXPECT_LE(v.max().item<double>(), 3.0);
    EXPECT_NEAR(mean_of(v), 2.5, 0.01);
  }
  // bfloat16 keeps 8 bits: every draw is a multiple of 2^-8.
  const Tensor b = rand({4096}, kBFloat16).to(kFloat64) * 256.0;
  EXPECT_TRUE(equal(b, b.floor()));
}

// randint / randperm default to int64 when the options name only a device (PyTorch's dtype=long),
// and refuse a range or n the dtype cannot hold.
TEST(Sampling, RandintAndRandpermDtypes) {
  EXPECT_EQ(randint(0, 5, {4}, TensorOptions().device(Device::cpu())).dtype(), kInt64);
  EXPECT_EQ(randperm(5, TensorOptions().device(Device::cpu())).dtype(), kInt64);
  const Tensor bytes = randint(0, 256, {4096}, kUInt8);
  EXPECT_EQ(bytes.to(kInt64).max().item<int64_t>(), 255);
  EXPECT_EMBER_ERROR(randint(0, 300, {8}, kUInt8), "random_ expects 'from' and 'to' - 1 within");
  EXPECT_EMBER_ERROR(randint(-5, 5, {8}, kUInt8), "random_ expects 'from' and 'to' - 1 within");
  EXPECT_EMBER_ERROR(randint(0, 1 << 30, {4}, kFloat16), "random_ expects 'from' and 'to' - 1 within");
  EXPECT_EMBER_ERROR(randperm(300, kUInt8), "n is too large for result tensor type: 'Byte'");
  EXPECT_EMBER_ERROR(randperm(3000, kFloat16), "n cannot be greater than 2049 for Half type.");
  const Tensor p = randperm(256, kUInt8).to(kInt64);
  EXPECT_EQ(std::get<0>(p.sort()).to_vector<int64_t>(), arange(256).to_vector<int64_t>());
  EXPECT_EMBER_ERROR(empty({4}).uniform_(-1e39, 1e39), "from is out of bounds for float32");
  EXPECT_EMBER_ERROR(empty({4}, dtype(kFloat16)).uniform_(0, 1e5), "to is out of bounds for float16");
  EXPECT_EMBER_ERROR(empty({4}).uniform_(-3e38, 3e38), "uniform_ expects to-from <= std::numeric_limits<Float>::max()");
}

// PyTorch's normal and bernoulli of tensors: the result in mean's dtype, requiring grad when an
// input does, with zero gradients (derivatives.yaml).
TEST(Sampling, DrawsShapedByTensorsHaveZeroGradients) {
  Tensor mean = zeros({3}).requires_grad_(true);
  Tensor std = ones({3}, kFloat64).requires_grad_(true);
  const Tensor y = normal(mean, std);
  EXPECT_EQ(y.dtype(), kFloat32);
  ASSERT_TRUE(y.requires_grad());
  y.sum().backward();
  EXPECT_EQ(mean.grad().abs().sum().item<double>(), 0.0);
  EXPECT_EQ(std.grad().dtype(), kFloat64);
  Tensor p = full({4}, 0.5).requires_grad_(true);
  const Tensor b = bernoulli(p);
  ASSERT_TRUE(b.requires_grad());
  b.sum().backward();
  EXPECT_EQ(p.grad().abs().sum().item<double>(), 0.0);
  EXPECT_FALSE(normal(zeros({2}), 1.0).requires_grad());
}

TEST(Sampling, Errors) {
  EXPECT_EMBER_ERROR(empty({2}).uniform_(2, 1), "uniform_ expects to return a [from, to) range, but found from=2 > to=1");
  EXPECT_EMBER_ERROR(empty({2}, dtype(kInt64)).uniform_(), "uniform_ expects a floating-point tensor");
  EXPECT_EMBER_ERROR(empty({2}).normal_(0, -1), "normal expects std >= 0.0, but found std -1");
  EXPECT_EMBER_ERROR(empty({2}).exponential_(0), "exponential_ expects lambda > 0.0, but found lambda=0");
  EXPECT_EMBER_ERROR(empty({2}).geometric_(1), "geometric_ expects p to be in (0, 1), but got p=1");
  EXPECT_EMBER_ERROR(empty({2}).log_normal_(0, 0), "log_normal_ expects std > 0.0, but found std=0");
  EXPECT_EMBER_ERROR(empty({2}).cauchy_(0, -1), "cauchy_ expects sigma > 0.0, but found sigma=-1");
}

}  // namespace
}  // namespace ember
