// float16: the value type's rounding against PyTorch's bits and the CPU's F16C instructions,
// the dtype's names, size and promotion, casts, fill limits, printing, and CPU ops on
// float16 tensors computing in float32 and rounding once (Note [Float16] in core/half.h).
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <cmath>
#include <limits>
#include <vector>

#include "core/cpu/half_convert.h"
#include "support/helpers.h"

namespace ember {
namespace {

using testing::expect_values;

uint16_t bits_of(float f) { return Half(f).bits; }
// f rounded to float16, as a double.
double hf(float f) { return static_cast<double>(Half(f)); }

#if defined(__x86_64__)
// The hardware's conversions (vcvtps2ph with round-to-nearest-even, vcvtph2ps); every AVX2
// CPU has F16C (clang 14's __builtin_cpu_supports does not know "f16c").
bool cpu_has_f16c() { return __builtin_cpu_supports("avx2"); }
__attribute__((target("f16c"))) uint16_t f16c_round(float f) {
  return static_cast<uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT));
}
__attribute__((target("f16c"))) float f16c_widen(uint16_t h) { return _cvtsh_ss(h); }
#else
bool cpu_has_f16c() { return false; }
uint16_t f16c_round(float) { return 0; }
float f16c_widen(uint16_t) { return 0; }
#endif

TEST(HalfValue, RoundsAsPyTorch) {
  // Bits from torch.tensor([v]).half() (PyTorch 1.13).
  EXPECT_EQ(bits_of(1.0f), 0x3C00);
  EXPECT_EQ(bits_of(-2.0f), 0xC000);
  EXPECT_EQ(bits_of(-0.0f), 0x8000);
  EXPECT_EQ(bits_of(0.1f), 0x2E66);
  EXPECT_EQ(bits_of(3.14159265f), 0x4248);
  EXPECT_EQ(bits_of(0.333333f), 0x3555);
  EXPECT_EQ(bits_of(65504.0f), 0x7BFF);    // the largest finite float16
  EXPECT_EQ(bits_of(65519.99f), 0x7BFF);   // below the halfway point to 65536
  EXPECT_EQ(bits_of(65520.0f), 0x7C00);    // halfway, odd 0x7BFF -> even: infinity
  EXPECT_EQ(bits_of(0x1p-14f), 0x0400);    // the smallest normal
  EXPECT_EQ(bits_of(0x1p-24f), 0x0001);    // the smallest subnormal
  EXPECT_EQ(bits_of(0x1p-25f), 0x0000);    // halfway to it: ties to even zero
  EXPECT_EQ(bits_of(0x1.8p-25f), 0x0001);  // above halfway
  EXPECT_EQ(bits_of(1e-8f), 0x0000);
  EXPECT_EQ(bits_of(1023.5f * 0x1p-24f), 0x0400);  // a subnormal rounding up into the normals
  EXPECT_EQ(bits_of(1022.5f * 0x1p-24f), 0x03FE);  // a subnormal tie to even
  // Exactly halfway between normals: 1 + 2^-11 lies between 0x3C00 and 0x3C01.
  EXPECT_EQ(bits_of(1.0f + 0x1p-11f), 0x3C00);
  EXPECT_EQ(bits_of(1.0f + 3 * 0x1p-11f), 0x3C02);
}

TEST(HalfValue, NanAndInfinity) {
  EXPECT_EQ(bits_of(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_EQ(bits_of(-std::numeric_limits<float>::infinity()), 0xFC00);
  EXPECT_EQ(bits_of(std::numeric_limits<float>::max()), 0x7C00);
  EXPECT_EQ(bits_of(std::numeric_limits<float>::quiet_NaN()), 0x7E00);
  EXPECT_EQ(bits_of(float_of_bits(0x7F800001u)), 0x7E00);     // a low-payload NaN stays a NaN
  EXPECT_EQ(bits_of(float_of_bits(0xFFC00000u)), 0xFE00);     // with its sign
  EXPECT_EQ(bits_of(float_of_bits(0x7FFFFFFFu)), 0x7FFF);     // and its payload's top bits
  EXPECT_EQ(bits_of_float(Half::from_bits(0x7C01)), 0x7FC02000u);  // a signalling NaN comes back quiet
  EXPECT_TRUE(std::isnan(static_cast<float>(Half::from_bits(0x7C01))));
  EXPECT_EQ(static_cast<float>(Half::from_bits(0xFC00)), -std::numeric_limits<float>::infinity());
}

TEST(HalfValue, ToFloatIsExactAndRoundTrips) {
  EXPECT_EQ(static_cast<float>(Half::from_bits(0x4248)), 3.140625f);
  EXPECT_EQ(static_cast<float>(Half::from_bits(0x7BFF)), 65504.0f);
  EXPECT_EQ(static_cast<float>(Half::from_bits(0x0001)), 0x1p-24f);
  EXPECT_EQ(static_cast<float>(Half::from_bits(0x83FF)), -1023 * 0x1p-24f);
  for (uint32_t b = 0; b < 0x10000; ++b) {  // every float16 value survives float and back
    const Half v = Half::from_bits(static_cast<uint16_t>(b));
    const float f = v;
    if (std::isnan(f)) continue;
    ASSERT_EQ(Half(f).bits, v.bits) << std::hex << b;
  }
}

TEST(HalfValue, MatchesTheF16cInstructions) {
  if (!cpu_has_f16c()) GTEST_SKIP() << "this CPU has no F16C (or is not x86-64)";
  // Every float16 widened: the same bits (a signalling NaN comes back quiet on both).
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const auto h = static_cast<uint16_t>(b);
    ASSERT_EQ(bits_of_float(Half::from_bits(h)), bits_of_float(f16c_widen(h))) << std::hex << b;
  }
  // Floats across the whole range (a stride coprime with 2^32), NaNs among them, and every
  // float near the subnormal, overflow, tie and NaN boundaries (all 2^32 matched when checked
  // once by hand).
  auto check = [](uint32_t u) {
    EXPECT_EQ(bits_of(float_of_bits(u)), f16c_round(float_of_bits(u))) << std::hex << u;
  };
  for (uint64_t u = 0; u < (uint64_t{1} << 32); u += 40009) check(static_cast<uint32_t>(u));
  for (uint32_t centre :
       {0x33000000u, 0x33800000u, 0x38800000u, 0x477FF000u, 0x3F801000u, 0x00000001u, 0x7F800000u, 0x7FC00000u}) {
    for (uint32_t d = 0; d < 4096; ++d) {
      check(centre + d);
      check(centre - d);
      check((centre + d) | 0x80000000u);
    }
  }
}

TEST(HalfDtype, NamesSizePromotionAndFill) {
  EXPECT_EQ(kHalf, kFloat16);
  EXPECT_EQ(dtype_name(kFloat16), "float16");
  EXPECT_EQ(dtype_torch_name(kFloat16), "Half");
  EXPECT_EQ(itemsize(kFloat16), 2u);
  EXPECT_TRUE(is_floating(kFloat16));
  EXPECT_TRUE(is_reduced_float(kFloat16));
  EXPECT_EQ(dtype_of_v<Half>, kFloat16);
  EXPECT_EQ(zeros({3}, kFloat16).nbytes(), 6u);
  // torch.promote_types: float16 with bfloat16 is float32 (neither holds the other).
  EXPECT_EQ(promote_types(kFloat16, kBFloat16), kFloat32);
  EXPECT_EQ(promote_types(kBFloat16, kFloat16), kFloat32);
  EXPECT_EQ(promote_types(kFloat16, kFloat32), kFloat32);
  EXPECT_EQ(promote_types(kFloat16, kFloat64), kFloat64);
  EXPECT_EQ(promote_types(kInt64, kFloat16), kFloat16);
  EXPECT_EQ(promote_types(kFloat16, kBool), kFloat16);
  const Tensor h = tensor(std::vector<float>{1.5f, 2.0f}).to(kFloat16);
  const Tensor b = tensor(std::vector<float>{1.5f, 1.0f}).to(kBFloat16);
  EXPECT_EQ(add(h, b).dtype(), kFloat32);
  expect_values(add(h, b), {3.0, 3.0}, 0);
  EXPECT_EQ(add(h, tensor(std::vector<int64_t>{1, 2})).dtype(), kFloat16);
  EXPECT_EQ(mul(h, 0.5).dtype(), kFloat16);
  // PyTorch's checked fill: 65504 fits, 65519.9 and 100000 do not, inf does.
  expect_values(full({2}, 65504, kFloat16), {65504, 65504}, 0);
  EXPECT_EMBER_ERROR(full({2}, 100000, kFloat16), "value cannot be converted to type at::Half without overflow");
  EXPECT_EMBER_ERROR(full({2}, 65519.9, kFloat16), "value cannot be converted to type at::Half without overflow");
  EXPECT_EMBER_ERROR(zeros({2}, kFloat16).fill_(1e5), "value cannot be converted to type at::Half without overflow");
  EXPECT_TRUE(std::isinf(full({1}, std::numeric_limits<double>::infinity(), kFloat16).item<double>()));
}

TEST(HalfCast, ConversionsAndPrinting) {
  const Tensor f = tensor(std::vector<float>{1.0f, 0.1f, 70000.0f, 1e-8f, -1e-5f});
  const Tensor h = f.to(kFloat16);
  EXPECT_EQ(h.dtype(), kFloat16);
  // torch.tensor([1, 0.1, 70000, 1e-8, -1e-5]).half(): past 65504 is inf, 1e-8 underflows.
  EXPECT_EQ(h.to(kFloat64).to_vector<double>(),
            (std::vector<double>{1.0, 0.0999755859375, std::numeric_limits<double>::infinity(), 0.0, hf(-1e-5f)}));
  EXPECT_EQ(h.to(kFloat32).to(kFloat16).to_vector<double>(), h.to_vector<double>());
  // Integers: 2049 lies halfway between 2048 and 2050 and goes to the even 2048.
  expect_values(tensor(std::vector<int64_t>{257, 2049, 2051, -3}).to(kFloat16), {257, 2048, 2052, -3}, 0);
  EXPECT_EQ(tensor(std::vector<float>{2.75f, -1.5f}).to(kFloat16).to(kInt64).to_vector<int64_t>(),
            (std::vector<int64_t>{2, -1}));
  expect_values(tensor(std::vector<float>{1.5f, 2.5f}).to(kFloat16).to(kBFloat16), {1.5, 2.5}, 0);
  EXPECT_EQ(scalar_tensor(2.5, kFloat16).item().to_double(), 2.5);
  const Tensor r = randn({1000}, kFloat16);
  EXPECT_EQ(r.dtype(), kFloat16);
  EXPECT_GT(r.std().item<double>(), 0.9);
  EXPECT_EQ(to_string(tensor(std::vector<float>{1.5f, 2.0f}).to(kFloat16)),
            "tensor([1.5000, 2.0000], dtype=torch.float16)");
  EXPECT_EQ(to_string(tensor(std::vector<float>{0.1f}).to(kFloat16)), "tensor([0.1000], dtype=torch.float16)");
}

// Contiguous runs convert in bulk (F16C where the CPU has it: core/cpu/half_convert.h),
// strided ones element by element: the same bits, NaNs, infinities and subnormals included.
TEST(HalfCast, BulkAndElementwiseConversionsAgree) {
  std::vector<float> values;
  for (uint64_t u = 0; u < (uint64_t{1} << 32); u += 65537 * 7)
    values.push_back(float_of_bits(static_cast<uint32_t>(u)));
  const int64_t n = static_cast<int64_t>(values.size());
  const Tensor f = tensor(values);
  const Tensor bulk = f.to(kFloat16);
  const Tensor strided = f.slice(0, 0, n, 2).to(kFloat16);  // every other value: no contiguous run
  for (int64_t i = 0; i < n; ++i) {
    const uint16_t want = Half(values[static_cast<size_t>(i)]).bits;
    ASSERT_EQ(bulk.data_ptr<Half>()[i].bits, want) << i;
    if (i % 2 == 0) {
      ASSERT_EQ(strided.data_ptr<Half>()[i / 2].bits, want) << i;
    }
  }
  const Tensor widened = bulk.to(kFloat32), widened_strided = bulk.slice(0, 0, n, 2).to(kFloat32);
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t want = bits_of_float(Half::from_bits(bulk.data_ptr<Half>()[i].bits));
    ASSERT_EQ(bits_of_float(widened.data_ptr<float>()[i]), want) << i;
    if (i % 2 == 0) {
      ASSERT_EQ(bits_of_float(widened_strided.data_ptr<float>()[i / 2]), want) << i;
    }
  }
  // An op through the float loop in bulk and element by element (every other column of a
  // wider tensor: no contiguous run): the same float16 results.
  const Tensor wide_h = randn({3, 2000}).mul(4.0).to(kFloat16), wide_g = randn({3, 2000}).to(kFloat16);
  const Tensor h = wide_h.slice(1, 0, 2000, 2), g = wide_g.slice(1, 0, 2000, 2);
  const Tensor hc = h.contiguous(), gc = g.contiguous();
  EXPECT_TRUE(equal(add(hc, gc), add(h, g)));
  EXPECT_TRUE(equal(exp(hc), exp(h)));
  EXPECT_TRUE(equal(mul(hc, 0.3), mul(h, 0.3)));
}

// The bulk routines themselves for every run length up to 17 (whole groups of eight and
// the tails taken through eight-wide copies): Half's bits, and nothing written past n.
TEST(HalfCast, BulkRoutinesConvertEveryRunLengthExactly) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> awkward{1.0f,           -0.0f,         nan,    65504.0f, 65520.0f, -inf,
                                   5.9604645e-8f,  2.9802322e-8f, 1e-6f,  0.1f,     -2.5f,    1.0009766f,
                                   1.00048828125f, inf,           -1e-7f, 3.14159f, -65519.0f};
  const uint16_t kGuard = 0xABCD;
  for (int64_t n = 1; n <= static_cast<int64_t>(awkward.size()); ++n) {
    SCOPED_TRACE(n);
    std::vector<Half> halves(static_cast<size_t>(n) + 1, Half::from_bits(kGuard));
    cpu::floats_to_halves(awkward.data(), halves.data(), n);
    for (int64_t i = 0; i < n; ++i)
      EXPECT_EQ(halves[static_cast<size_t>(i)].bits, Half(awkward[static_cast<size_t>(i)]).bits) << i;
    EXPECT_EQ(halves[static_cast<size_t>(n)].bits, kGuard) << "written past the run";
    std::vector<float> floats(static_cast<size_t>(n) + 1, 7.0f);
    cpu::halves_to_floats(halves.data(), floats.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_EQ(bits_of_float(floats[static_cast<size_t>(i)]),
                bits_of_float(static_cast<float>(halves[static_cast<size_t>(i)])))
          << i;
    }
    EXPECT_EQ(floats[static_cast<size_t>(n)], 7.0f) << "written past the run";
  }
}

TEST(HalfOps, ElementwiseAndReductionsComputeInFloat) {
  const Tensor a = tensor(std::vector<float>{1, 2, 3}).to(kFloat16);
  const Tensor b = tensor(std::vector<float>{0.5f, 0.25f, 3}).to(kFloat16);
  expect_values(add(a, b), {1.5, 2.25, 6}, 0);
  expect_values(div(a, b), {2, 8, 1}, 0);
  expect_values(exp(tensor(std::vector<float>{0, 1}).to(kFloat16)), {1, hf(std::exp(1.0f))}, 0);
  expect_values(add(a, 0.1), {hf(1.1f), hf(2.1f), hf(3.1f)}, 0);
  auto sigmoid_of = [](float v) { return hf(1 / (1 + std::exp(-v))); };
  expect_values(a.sigmoid(), {sigmoid_of(1), sigmoid_of(2), sigmoid_of(3)}, 1e-3);  // an ulp of float16 near 1
  EXPECT_EQ(gt(a, b).to_vector<bool>(), (std::vector<bool>{true, true, false}));
  // float16 accumulation would stall at 2048 (2048 + 1 rounds back); fp32 reaches 3000.
  const Tensor many = ones({3000}, kFloat16);
  EXPECT_EQ(many.sum().dtype(), kFloat16);
  EXPECT_EQ(many.sum().item<double>(), 3000.0);
  const Tensor m = tensor(std::vector<float>{1, 5, 3, 4, 2, 6}, {2, 3}).to(kFloat16);
  expect_values(m.mean({0}), {2.5, 3.5, 4.5}, 0);
  expect_values(amax(m, {1}), {5, 6}, 0);
  EXPECT_EQ(m.argmax(1).to_vector<int64_t>(), (std::vector<int64_t>{1, 2}));
  expect_values(std::get<0>(m.sort(1, true)), {5, 3, 1, 6, 4, 2}, 0);
  expect_values(m.cumsum(1), {1, 6, 9, 4, 6, 12}, 0);
  Tensor c = a.clone();
  c.mul_(b);
  expect_values(c, {0.5, 0.5, 9}, 0);
  EXPECT_EQ(c.dtype(), kFloat16);
}

TEST(HalfOps, MatmulAndConvolutionRoundOnce) {
  const Tensor a64 = tensor(testing::random_values(6 * 40, 1), {6, 40}, kFloat64);
  const Tensor b64 = tensor(testing::random_values(40 * 5, 2), {40, 5}, kFloat64);
  const Tensor a = a64.to(kFloat16), b = b64.to(kFloat16);
  const Tensor out = matmul(a, b);
  EXPECT_EQ(out.dtype(), kFloat16);
  // The float16 inputs' product in float64 rounded once to float16 (fp32 accumulation can
  // move a value across a rounding boundary: within one float16 ulp, 2^-10 relative).
  const std::vector<double> ref = matmul(a.to(kFloat64), b.to(kFloat64)).to_vector<double>();
  const std::vector<double> got = out.to_vector<double>();
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(got[i], ref[i], std::abs(ref[i]) * 0x1p-10 + 1e-6) << i;
  const Tensor x = randn({2, 3, 7, 6}).to(kFloat16), w = randn({4, 3, 3, 3}).to(kFloat16);
  const Tensor y = nn::functional::conv2d(x, w, Tensor(), 1, 1);
  EXPECT_EQ(y.dtype(), kFloat16);
  const Tensor y_ref = nn::functional::conv2d(x.to(kFloat32), w.to(kFloat32), Tensor(), 1, 1).to(kFloat16);
  expect_values(y, y_ref.to_vector<double>(), 0);
  // Max pooling and ReLU keep float16 values as they are.
  const Tensor pooled = nn::functional::max_pool2d(y.relu(), 2);
  EXPECT_EQ(pooled.dtype(), kFloat16);
  expect_values(pooled, nn::functional::max_pool2d(y.to(kFloat32).relu(), 2).to_vector<double>(), 0);
}

TEST(HalfOps, GradientsFlowInFloat16) {
  const Tensor w = randn({3, 4}).to(kFloat16).requires_grad_(true);
  const Tensor x = randn({5, 4}).to(kFloat16);
  const Tensor loss = nn::functional::linear(x, w).relu().sum();
  loss.backward();
  ASSERT_TRUE(w.grad().defined());
  EXPECT_EQ(w.grad().dtype(), kFloat16);
  // The same in float32, the inputs being the float16 values: the gradients agree to float16's precision.
  const Tensor w32 = w.detach().to(kFloat32).requires_grad_(true);
  nn::functional::linear(x.to(kFloat32), w32).relu().sum().backward();
  const std::vector<double> got = w.grad().to_vector<double>(), want = w32.grad().to_vector<double>();
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], std::abs(want[i]) * 0x1p-10 + 1e-3) << i;
}

TEST(HalfOps, KernelsWithoutA16BitPathNameTheOpAndDtype) {
  // (softmax, batch norm and the class losses run a float16 input in float32:
  // tests/nn/test_sixteen_bit_models.cpp.)
  EXPECT_EMBER_ERROR(linalg::det(ones({2, 2}, kFloat16)), "not implemented for 'Half'");
}

}  // namespace
}  // namespace ember
