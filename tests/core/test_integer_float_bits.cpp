// torch.gcd / lcm (wrapping as PyTorch's), nextafter (float64, float32 and the 16-bit dtypes'
// own steps), frexp (subnormals, values below a power of two, zeros, infinities, NaN and its
// gradient), torch.gradient, repeat_interleave's output_size and bucketize of a number,
// against PyTorch's documented examples, its kernels' formulas and messages.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_exact;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::grad_input;

Tensor doubles(const std::vector<double>& v, const Dims& shape) { return tensor(v, shape, dtype(kFloat64)); }
Tensor longs(const std::vector<int64_t>& v, const Dims& shape) { return tensor(v, shape, dtype(kInt64)); }

// ---- gcd / lcm ----
TEST(GcdLcm, DocumentedExamplesAndSigns) {
  const Tensor a = longs({5, 10, 15}, {3}), b = longs({3, 4, 5}, {3}), c = longs({3}, {1});
  EXPECT_EQ(gcd(a, b).to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 5}));
  EXPECT_EQ(gcd(a, c).to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 3}));
  EXPECT_EQ(lcm(a, b).to_vector<int64_t>(), (std::vector<int64_t>{15, 20, 15}));
  EXPECT_EQ(a.lcm(c).to_vector<int64_t>(), (std::vector<int64_t>{15, 30, 15}));
  // |a| and |b|; gcd(0, 0) = 0, lcm with a 0 is 0.
  const Tensor x = longs({-12, 0, 0, -4, 7}, {5}), y = longs({18, 0, -5, 6, 0}, {5});
  EXPECT_EQ(gcd(x, y).to_vector<int64_t>(), (std::vector<int64_t>{6, 0, 5, 2, 7}));
  EXPECT_EQ(lcm(x, y).to_vector<int64_t>(), (std::vector<int64_t>{36, 0, 0, 12, 0}));
  Tensor z = x.clone();
  z.gcd_(y);
  EXPECT_EQ(z.to_vector<int64_t>(), (std::vector<int64_t>{6, 0, 5, 2, 7}));
  z = x.clone();
  z.lcm_(y);
  EXPECT_EQ(z.to_vector<int64_t>(), (std::vector<int64_t>{36, 0, 0, 12, 0}));
}

// PyTorch's kernel is ::abs(a / g * b) in C++'s int for uint8 (narrowed after: lcm(16, 17) =
// 272 is 16 in uint8) and wraps in the operand's own width for int64.
TEST(GcdLcm, OverflowWrapsAsPyTorch) {
  const Tensor a = tensor(std::vector<int64_t>{16, 20, 255}, {3}, dtype(kUInt8));
  const Tensor b = tensor(std::vector<int64_t>{17, 30, 0}, {3}, dtype(kUInt8));
  const Tensor l = lcm(a, b);
  EXPECT_EQ(l.dtype(), kUInt8);
  EXPECT_EQ(l.to_vector<int64_t>(), (std::vector<int64_t>{16, 60, 0}));
  EXPECT_EQ(gcd(a, b).to_vector<int64_t>(), (std::vector<int64_t>{1, 10, 255}));
  const int64_t big = int64_t{1} << 62;
  // 3 * 2^62 wraps to -2^62 in int64; its magnitude is 2^62
  EXPECT_EQ(lcm(longs({big}, {1}), longs({3}, {1})).item<int64_t>(), big);
  // |INT64_MIN| is itself, as PyTorch's ::abs: gcd(INT64_MIN, 0) is INT64_MIN, and Euclid's
  // remainders from it keep C's signs (PyTorch's calc_gcd gives -2 for (INT64_MIN, 6) too)
  const int64_t lowest = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(gcd(longs({lowest, lowest}, {2}), longs({0, 6}, {2})).to_vector<int64_t>(),
            (std::vector<int64_t>{lowest, -2}));
  // gcd(INT64_MIN, 5) is -1 (C's remainders); lcm's INT64_MIN / -1 wraps instead of trapping
  EXPECT_EQ(gcd(longs({lowest}, {1}), longs({5}, {1})).item<int64_t>(), -1);
  EXPECT_EQ(lcm(longs({lowest}, {1}), longs({5}, {1})).item<int64_t>(), lowest);
  // promotion: uint8 with int64 is int64
  EXPECT_EQ(gcd(a, longs({8}, {1})).dtype(), kInt64);
}

TEST(GcdLcm, FloatingAndBoolAreRefused) {
  EXPECT_EMBER_ERROR(gcd(doubles({1}, {1}), doubles({2}, {1})), "\"gcd_cpu\" not implemented for 'Double'");
  EXPECT_EMBER_ERROR(lcm(longs({1}, {1}), doubles({2}, {1})), "\"lcm_cpu\" not implemented for 'Double'");
  const Tensor t = tensor(std::vector<int64_t>{1}, {1}, dtype(kBool));
  EXPECT_EMBER_ERROR(gcd(t, t), "\"gcd_cpu\" not implemented for 'Bool'");
}

// ---- nextafter ----
TEST(Nextafter, Float64AndFloat32Steps) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  const double tiny = std::numeric_limits<double>::denorm_min();
  const Tensor a = doubles({1, 1, 0, 0, 2, -1, nan, 1}, {8}), b = doubles({2, 0, 1, -1, 2, -inf, 1, nan}, {8});
  expect_exact(nextafter(a, b), {1 + 0x1p-52, 1 - 0x1p-53, tiny, -tiny, 2, -1 - 0x1p-52, nan, nan});
  // PyTorch's example: [1, 2] toward [2, 1] in float32 is [1 + eps, 2 - eps].
  const Tensor f = tensor(std::vector<float>{1, 2}, {2}), g = tensor(std::vector<float>{2, 1}, {2});
  const Tensor stepped = f.nextafter(g);
  EXPECT_EQ(stepped.dtype(), kFloat32);
  expect_exact(stepped, {1 + 0x1p-23, 2 - 0x1p-23});
  // equal operands give the second (its zero's sign); in place
  expect_exact(nextafter(doubles({0.0}, {1}), doubles({-0.0}, {1})), {-0.0});
  Tensor h = f.clone();
  h.nextafter_(g);
  EXPECT_TRUE(h.equal(stepped));
}

TEST(Nextafter, SixteenBitFloatsStepTheirOwnBits) {
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor a = tensor(std::vector<double>{1, 1, 0, 65504, -1, -1, 0, inf}, {8}, dtype(kFloat16));
  const Tensor b = tensor(std::vector<double>{2, 0, 1, inf, 0, -2, -1, 0}, {8}, dtype(kFloat16));
  const Tensor h = nextafter(a, b);
  EXPECT_EQ(h.dtype(), kFloat16);
  expect_exact(h.to(kFloat64), {1 + 0x1p-10, 1 - 0x1p-11, 0x1p-24, inf, -1 + 0x1p-11, -1 - 0x1p-10, -0x1p-24, 65504});
  const Tensor c = tensor(std::vector<double>{1, 1, 0}, {3}, dtype(kBFloat16));
  const Tensor d = tensor(std::vector<double>{2, 0, -1}, {3}, dtype(kBFloat16));
  expect_exact(nextafter(c, d).to(kFloat64), {1 + 0x1p-7, 1 - 0x1p-8, -0x1p-133});
  // broadcasting and a non-contiguous operand
  const Tensor wide = tensor(std::vector<double>{1, 2, 3, 4}, {2, 2}, dtype(kFloat16)).t();
  expect_exact(nextafter(wide, tensor(std::vector<double>{0}, {1}, dtype(kFloat16))).to(kFloat64),
               {1 - 0x1p-11, 3 - 0x1p-9, 2 - 0x1p-10, 4 - 0x1p-9});
}

TEST(Nextafter, IntegersAndGradientsAreRefused) {
  EXPECT_EMBER_ERROR(nextafter(longs({1}, {1}), longs({2}, {1})), "\"nextafter_cpu\" not implemented for 'Long'");
  const Tensor x = doubles({1.0}, {1}).requires_grad_(true);
  const Tensor y = nextafter(x, doubles({2.0}, {1}));
  EXPECT_TRUE(y.requires_grad());
  EXPECT_EMBER_ERROR(y.sum().backward(), "the derivative for 'nextafter' is not implemented.");
}

// ---- frexp ----
TEST(Frexp, DocumentedExample) {
  const auto [mantissa, exponent] = frexp(arange(9.0));
  EXPECT_EQ(mantissa.dtype(), kFloat32);
  EXPECT_EQ(exponent.dtype(), kInt64);  // PyTorch's is int32, which ember lacks
  expect_exact(mantissa, {0, 0.5, 0.5, 0.75, 0.5, 0.625, 0.75, 0.875, 0.5});
  EXPECT_EQ(exponent.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 2, 3, 3, 3, 3, 4}));
}

// C's frexp at the awkward points: just below powers of two (where log2 rounds up),
// subnormals of either dtype, the largest values, signs, zeros, infinities and NaN.
TEST(Frexp, MatchesCFrexpEverywhere) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> values{1 - 0x1p-53,
                                   0x1p40 * (1 - 0x1p-53),
                                   -3.0,
                                   -0.0,
                                   0.0,
                                   std::numeric_limits<double>::denorm_min(),
                                   std::numeric_limits<double>::max(),
                                   0x1p-1030 * 3,
                                   -inf,
                                   inf,
                                   1e300,
                                   7e-310};
  const auto [m, e] = frexp(doubles(values, {static_cast<int64_t>(values.size())}));
  std::vector<double> want_m;
  std::vector<int64_t> want_e;
  for (const double v : values) {
    int ex = 0;
    want_m.push_back(std::frexp(v, &ex));
    want_e.push_back(std::isfinite(v) ? ex : 0);
  }
  expect_exact(m, want_m);
  EXPECT_EQ(e.to_vector<int64_t>(), want_e);
  const std::vector<float> floats{1 - 0x1p-24f, std::numeric_limits<float>::denorm_min(), 0x1p-130f * 3,
                                  std::numeric_limits<float>::max(), -0.1f};
  const auto [mf, ef] = frexp(tensor(floats, {5}));
  for (size_t i = 0; i < floats.size(); ++i) {
    int ex = 0;
    const float want = std::frexp(floats[i], &ex);
    EXPECT_EQ(mf.to_vector<float>()[i], want) << i;
    EXPECT_EQ(ef.to_vector<int64_t>()[i], ex) << i;
  }
  const auto [mh, eh] = frexp(tensor(std::vector<double>{6.0, 0x1p-24}, {2}, dtype(kFloat16)));
  EXPECT_EQ(mh.dtype(), kFloat16);
  expect_exact(mh.to(kFloat64), {0.75, 0.5});
  EXPECT_EQ(eh.to_vector<int64_t>(), (std::vector<int64_t>{3, -23}));
  const auto [mn, en] = doubles({std::nan("")}, {1}).frexp();
  EXPECT_TRUE(std::isnan(mn.item<double>()));
  EXPECT_EQ(en.item<int64_t>(), 0);
}

TEST(Frexp, GradientIsGradOverTwoToTheExponentAndIntegersAreRefused) {
  expect_gradcheck([](const std::vector<Tensor>& in) { return std::get<0>(frexp(in[0] * 10)); },
                   {doubles({0.3, -1.7, 3.1, 6.5, -0.01}, {5}).requires_grad_(true)});
  const Tensor x = doubles({3.0}, {1}).requires_grad_(true);
  std::get<0>(frexp(x)).sum().backward();
  expect_exact(x.grad(), {0.25});
  EXPECT_EMBER_ERROR(frexp(longs({1}, {1})), "torch.frexp() only supports floating-point dtypes");
}

// ---- torch.gradient ----
TEST(NumericGradient, DocumentedExamples) {
  const auto along = gradient(doubles({4, 1, 1, 16}, {4}), std::vector<Tensor>{doubles({-2, -1, 1, 4}, {4})});
  ASSERT_EQ(along.size(), 1u);
  expect_values(along[0], {-3, -2, 2, 5}, 1e-12);
  const Tensor t = longs({1, 2, 4, 8, 10, 20, 40, 80}, {2, 4});
  const auto both = gradient(t);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].dtype(), kFloat32);
  expect_values(both[0], {9, 18, 36, 72, 9, 18, 36, 72}, 1e-6);
  expect_values(both[1], {1, 1.5, 3, 4, 10, 15, 30, 40}, 1e-6);
  const auto halved = gradient(t, Scalar(2.0));
  expect_values(halved[0], {4.5, 9, 18, 36, 4.5, 9, 18, 36}, 1e-6);
  expect_values(halved[1], {0.5, 0.75, 1.5, 2, 5, 7.5, 15, 20}, 1e-6);
  // one spacing per dim; one dim; dims listed
  const auto per_dim = gradient(t, std::vector<Scalar>{3.0, 2.0});
  expect_values(per_dim[0], {3, 6, 12, 24, 3, 6, 12, 24}, 1e-6);
  expect_values(per_dim[1], {0.5, 0.75, 1.5, 2, 5, 7.5, 15, 20}, 1e-6);
  const auto only_cols = gradient(t, std::nullopt, 1);
  ASSERT_EQ(only_cols.size(), 1u);
  expect_values(only_cols[0], {1, 1.5, 3, 4, 10, 15, 30, 40}, 1e-6);
  const auto listed = gradient(t, Dims{-1, 0});
  ASSERT_EQ(listed.size(), 2u);
  expect_values(listed[1], {9, 18, 36, 72, 9, 18, 36, 72}, 1e-6);
}

// Second-order edges are exact for a quadratic, with even and uneven steps.
TEST(NumericGradient, EdgeOrderTwoIsExactForQuadratics) {
  const auto even = gradient(doubles({0, 1, 4, 9, 16}, {5}), std::nullopt, std::nullopt, 2);
  expect_values(even[0], {0, 2, 4, 6, 8}, 1e-12);
  const auto uneven =
      gradient(doubles({0, 1, 9, 16, 49}, {5}), std::vector<Tensor>{doubles({0, 1, 3, 4, 7}, {5})}, std::nullopt, 2);
  expect_values(uneven[0], {0, 2, 6, 8, 14}, 1e-12);
  const auto first_order =
      gradient(doubles({0, 1, 9, 16, 49}, {5}), std::vector<Tensor>{doubles({0, 1, 3, 4, 7}, {5})});
  expect_values(first_order[0], {1, 2, 6, 8, 11}, 1e-12);
}

TEST(NumericGradient, DifferentiableAndChecked) {
  expect_gradcheck([](const std::vector<Tensor>& in) { return gradient(in[0], std::nullopt, 1, 2)[0]; },
                   {grad_input({2, 5})});
  const Tensor t = doubles({1, 2, 3}, {3});
  EXPECT_EMBER_ERROR(gradient(t.to(kUInt8)), "torch.gradient does not support uint8 input.");
  EXPECT_EMBER_ERROR(gradient(t, std::nullopt, std::nullopt, 3),
                     "torch.gradient only supports edge_order=1 and edge_order=2.");
  EXPECT_EMBER_ERROR(gradient(doubles({1, 2}, {2}), std::nullopt, std::nullopt, 2),
                     "torch.gradient expected each dimension size to be at least edge_order+1");
  EXPECT_EMBER_ERROR(gradient(t, std::vector<Scalar>{1.0, 2.0}),
                     "expected spacing to be unspecified, a scalar, or a list of length equal to 'self.dim() = 1', "
                     "since dim argument was not given, but got a list of length 2");
  EXPECT_EMBER_ERROR(gradient(t.view({1, 3}).expand({2, 3}), std::vector<Scalar>{1.0}, Dims{0, 1}),
                     "spacing argument of length 1 and a dim argument of length 2.");
  EXPECT_EMBER_ERROR(gradient(t, std::vector<Tensor>{doubles({1, 2, 3}, {1, 3})}),
                     "expected each element of spacing to have one dimension, but got an element with 2 dimensions!");
}

// ---- repeat_interleave(output_size), bucketize(number) ----
TEST(RepeatInterleave, OutputSizeMustMatch) {
  const Tensor x = longs({1, 2}, {2});
  EXPECT_EQ(x.repeat_interleave(longs({1, 2}, {2}), 0, 3).to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 2}));
  EXPECT_EQ(repeat_interleave(x, 2, std::nullopt, 4).to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 2, 2}));
  // The one-tensor form: output_size spelled as an optional (a bare 3 would be the repeats of
  // the two-argument form, as in libtorch).
  EXPECT_EQ(repeat_interleave(longs({2, 1}, {2}), std::optional<int64_t>(3)).to_vector<int64_t>(),
            (std::vector<int64_t>{0, 0, 1}));
  EXPECT_EMBER_ERROR(x.repeat_interleave(longs({1, 2}, {2}), 0, 4), "allocated size does not match required size");
  EXPECT_EMBER_ERROR(repeat_interleave(longs({2, 1}, {2}), std::optional<int64_t>(2)),
                     "allocated size does not match required size");
}

TEST(Bucketize, OfANumber) {
  const Tensor boundaries = longs({1, 3, 5, 7, 9}, {5});
  const Tensor left = bucketize(Scalar(3), boundaries);
  EXPECT_EQ(left.dim(), 0);
  EXPECT_EQ(left.dtype(), kInt64);
  EXPECT_EQ(left.item<int64_t>(), 1);
  EXPECT_EQ(bucketize(Scalar(3), boundaries, false, true).item<int64_t>(), 2);
  EXPECT_EQ(bucketize(Scalar(5.5), boundaries).item<int64_t>(), 3);  // not truncated to 5 (2)
  EXPECT_EMBER_ERROR(bucketize(Scalar(1), boundaries.view({1, 5})),
                     "boundaries tensor must be 1 dimension, but got dim(2)");
}

}  // namespace
}  // namespace ember
