// bfloat16: the value type's rounding against known bit patterns, the dtype's names,
// size and promotion, casts both ways, printing, and CPU ops on bf16 tensors computing
// in float (Note [BFloat16] in core/bfloat16.h).
#include <cmath>
#include <limits>

#include "support/helpers.h"

namespace ember {
namespace {

using testing::expect_values;

uint16_t bits_of(float f) { return BFloat16(f).bits; }
// f rounded to bf16, as a double.
double bf(float f) { return static_cast<double>(BFloat16(f)); }

TEST(BFloat16Value, RoundsToNearestEven) {
  EXPECT_EQ(bits_of(1.0f), 0x3F80);
  EXPECT_EQ(bits_of(-2.0f), 0xC000);
  EXPECT_EQ(bits_of(0.0f), 0x0000);
  EXPECT_EQ(bits_of(-0.0f), 0x8000);
  // Exactly halfway: ties go to the even neighbour (lowest kept bit 0).
  EXPECT_EQ(bits_of(float_of_bits(0x3F808000u)), 0x3F80);  // 1.00390625 -> 1.0
  EXPECT_EQ(bits_of(float_of_bits(0x3F818000u)), 0x3F82);  // between 0x3F81 and 0x3F82 -> 0x3F82
  // Just above / below halfway.
  EXPECT_EQ(bits_of(float_of_bits(0x3F808001u)), 0x3F81);
  EXPECT_EQ(bits_of(float_of_bits(0x3F807FFFu)), 0x3F80);
  // pi = 0x40490FDB -> 0x4049 (3.140625)
  EXPECT_EQ(bits_of(3.14159265f), 0x4049);
  EXPECT_EQ(bits_of(0.1f), 0x3DCD);  // 0x3DCCCCCD rounds up
  // A subnormal keeps its top bits.
  EXPECT_EQ(bits_of(float_of_bits(0x00010000u)), 0x0001);
}

TEST(BFloat16Value, NanInfAndOverflow) {
  EXPECT_EQ(bits_of(std::numeric_limits<float>::infinity()), 0x7F80);
  EXPECT_EQ(bits_of(-std::numeric_limits<float>::infinity()), 0xFF80);
  EXPECT_EQ(bits_of(std::numeric_limits<float>::quiet_NaN()), 0x7FC0);
  // A NaN whose payload sits in the low bits only must not become infinity.
  const BFloat16 signalling(float_of_bits(0x7F800001u));
  EXPECT_TRUE(std::isnan(static_cast<float>(signalling)));
  EXPECT_EQ(signalling.bits & 0x7F80, 0x7F80);
  EXPECT_NE(signalling.bits & 0x007F, 0);
  EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(float_of_bits(0xFFC00000u)))));
  EXPECT_EQ(BFloat16(float_of_bits(0xFFC00000u)).bits & 0x8000, 0x8000);  // the sign stays
  // Past the largest finite bf16 (0x7F7F, 3.3895e38) by half an ulp or more: infinity.
  EXPECT_EQ(bits_of(std::numeric_limits<float>::max()), 0x7F80);
  EXPECT_EQ(bits_of(float_of_bits(0x7F7F7FFFu)), 0x7F7F);
  EXPECT_EQ(bits_of(float_of_bits(0x7F7F8000u)), 0x7F80);  // tie, odd 0x7F7F -> even 0x7F80 = inf
}

TEST(BFloat16Value, ToFloatIsExact) {
  EXPECT_EQ(static_cast<float>(BFloat16::from_bits(0x4049)), 3.140625f);
  EXPECT_EQ(static_cast<float>(BFloat16::from_bits(0x3F81)), 1.0078125f);
  EXPECT_EQ(static_cast<float>(BFloat16::from_bits(0x7F7F)), float_of_bits(0x7F7F0000u));
  EXPECT_EQ(static_cast<float>(BFloat16::from_bits(0xFF80)), -std::numeric_limits<float>::infinity());
  for (uint32_t b = 0; b < 0x10000; b += 7) {  // float -> bf16 -> float is the identity on bf16 values
    const BFloat16 v = BFloat16::from_bits(static_cast<uint16_t>(b));
    const float f = v;
    if (std::isnan(f)) continue;
    EXPECT_EQ(BFloat16(f).bits, v.bits);
  }
}

TEST(BFloat16Dtype, NamesSizeAndKind) {
  EXPECT_EQ(dtype_name(kBFloat16), "bfloat16");
  EXPECT_EQ(dtype_torch_name(kBFloat16), "BFloat16");
  EXPECT_EQ(itemsize(kBFloat16), 2u);
  EXPECT_TRUE(is_floating(kBFloat16));
  EXPECT_FALSE(is_integral(kBFloat16, true));
  EXPECT_EQ(dtype_of_v<BFloat16>, kBFloat16);
  const Tensor t = zeros({3}, kBFloat16);
  EXPECT_EQ(t.element_size(), 2);
  EXPECT_EQ(t.nbytes(), 6u);
  EXPECT_TRUE(t.is_floating_point());
}

TEST(BFloat16Dtype, PromotionAsPyTorch) {
  EXPECT_EQ(promote_types(kBFloat16, kFloat32), kFloat32);
  EXPECT_EQ(promote_types(kFloat32, kBFloat16), kFloat32);
  EXPECT_EQ(promote_types(kBFloat16, kFloat64), kFloat64);
  EXPECT_EQ(promote_types(kBFloat16, kInt64), kBFloat16);
  EXPECT_EQ(promote_types(kUInt8, kBFloat16), kBFloat16);
  EXPECT_EQ(promote_types(kBFloat16, kBool), kBFloat16);
  EXPECT_EQ(promote_types(kBFloat16, kBFloat16), kBFloat16);
  // ... and through the ops: tensors, and scalars (a float scalar keeps a bf16 tensor bf16).
  const Tensor h = tensor(std::vector<float>{1.5f, 2.0f}).to(kBFloat16);
  EXPECT_EQ(add(h, tensor(std::vector<float>{1, 1})).dtype(), kFloat32);
  EXPECT_EQ(add(h, tensor(std::vector<double>{1, 1})).dtype(), kFloat64);
  EXPECT_EQ(add(h, tensor(std::vector<int64_t>{1, 1})).dtype(), kBFloat16);
  EXPECT_EQ(mul(h, tensor(std::vector<bool>{true, false})).dtype(), kBFloat16);
  EXPECT_EQ(add(h, 0.5).dtype(), kBFloat16);
  EXPECT_EQ(div(tensor(std::vector<int64_t>{1, 2}), h).dtype(), kBFloat16);
  expect_values(add(h, tensor(std::vector<int64_t>{1, 2})), {2.5, 4.0}, 0);
}

TEST(BFloat16Cast, RoundTripsAndConversions) {
  // float32 -> bf16 rounds each value; bf16 -> float32/float64 is exact.
  const Tensor f = tensor(std::vector<float>{1.0f, 0.1f, 3.14159265f, -1e30f, 65535.0f});
  const Tensor h = f.to(kBFloat16);
  EXPECT_EQ(h.dtype(), kBFloat16);
  expect_values(h.to(kFloat32), {1.0, 0.10009765625, 3.140625, bf(-1e30f), 65536.0}, 0);
  expect_values(h.to(kFloat64), h.to(kFloat32).to_vector<double>(), 0);
  expect_values(h.to(kFloat32).to(kBFloat16), h.to_vector<double>(), 0);  // bf16 values survive a round trip
  // Integers: 257 lies halfway between 256 and 258 and goes to the even 256; bf16 ->
  // int64 truncates like float -> int64.
  expect_values(tensor(std::vector<int64_t>{257, 259, -3}).to(kBFloat16), {256, 260, -3}, 0);
  EXPECT_EQ(tensor(std::vector<float>{2.75f, -1.5f}).to(kBFloat16).to(kInt64).to_vector<int64_t>(),
            (std::vector<int64_t>{2, -1}));
  EXPECT_EQ(tensor(std::vector<float>{0.0f, -0.5f}).to(kBFloat16).to(kBool).to_vector<bool>(),
            (std::vector<bool>{false, true}));
  expect_values(tensor(std::vector<bool>{true, false}).to(kBFloat16), {1, 0}, 0);
  // fill, item, to_vector, factories
  const Tensor filled = full({2, 2}, 0.1, kBFloat16);
  expect_values(filled, {0.10009765625, 0.10009765625, 0.10009765625, 0.10009765625}, 0);
  EXPECT_EQ(filled.sum().item<double>(), 0.400390625);  // fp32 sum of four bf16 0.1s, rounded once
  EXPECT_EQ(scalar_tensor(2.5, kBFloat16).item().to_double(), 2.5);
  EXPECT_EQ(ones({3}, kBFloat16).to_vector<float>(), (std::vector<float>{1, 1, 1}));
  const Tensor r = rand({1000}, kBFloat16);
  EXPECT_EQ(r.dtype(), kBFloat16);
  EXPECT_GE(r.min().item<double>(), 0.0);
  EXPECT_LE(r.max().item<double>(), 1.0);
  // copy_ both ways into existing tensors, strided source
  Tensor dst = zeros({2, 2}, kFloat32);
  dst.copy_(tensor(std::vector<float>{1.5f, 2.5f, 3.5f, 4.5f}, {2, 2}).to(kBFloat16).transpose(0, 1));
  expect_values(dst, {1.5, 3.5, 2.5, 4.5}, 0);
}

TEST(BFloat16Print, LikePyTorch) {
  EXPECT_EQ(to_string(tensor(std::vector<float>{1.5f, 2.0f}).to(kBFloat16)),
            "tensor([1.5000, 2.0000], dtype=torch.bfloat16)");
  EXPECT_EQ(to_string(tensor(std::vector<float>{0.1f}).to(kBFloat16)), "tensor([0.1001], dtype=torch.bfloat16)");
  EXPECT_EQ(to_string(tensor(std::vector<float>{1, 2}).to(kBFloat16)), "tensor([1., 2.], dtype=torch.bfloat16)");
  EXPECT_EQ(to_string(scalar_tensor(3.0, kBFloat16)), "tensor(3., dtype=torch.bfloat16)");
}

TEST(BFloat16Ops, ElementwiseComputesInFloat) {
  const Tensor a = tensor(std::vector<float>{1, 2, 3}).to(kBFloat16);
  const Tensor b = tensor(std::vector<float>{0.5f, 0.25f, 3}).to(kBFloat16);
  expect_values(add(a, b), {1.5, 2.25, 6}, 0);
  expect_values(sub(a, b, 2), {0, 1.5, -3}, 0);
  expect_values(mul(a, b), {0.5, 0.5, 9}, 0);
  expect_values(div(a, b), {2, 8, 1}, 0);
  // exp(1) = 2.71828..., rounded once to bf16 2.71875; log(3) = 1.0986 -> 1.1015625 (0x3F8D)
  expect_values(exp(tensor(std::vector<float>{0, 1}).to(kBFloat16)), {1, 2.71875}, 0);
  expect_values(log(a), {0, bf(std::log(2.0f)), bf(std::log(3.0f))}, 0);
  expect_values(a.pow(2), {1, 4, 9}, 0);
  expect_values(neg(a).relu(), {0, 0, 0}, 0);
  expect_values(add(a, 0.1), {bf(1.1f), bf(2.1f), bf(3.1f)}, 0);
  EXPECT_EQ(gt(a, b).to_vector<bool>(), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(eq(a, 3.0).to_vector<bool>(), (std::vector<bool>{false, false, true}));
  expect_values(where(gt(a, 1.5), a, b), {0.5, 2, 3}, 0);
  expect_values(a.clamp(1.5, 2.5), {1.5, 2, 2.5}, 0);
  EXPECT_EQ(add(a, b).dtype(), kBFloat16);
  // in place
  Tensor c = a.clone();
  c.add_(b);
  expect_values(c, {1.5, 2.25, 6}, 0);
  EXPECT_EQ(c.dtype(), kBFloat16);
}

TEST(BFloat16Ops, ReductionsAccumulateInFloat32) {
  // bf16 accumulation would stall at 256 (256 + 1 rounds back to 256); fp32 reaches 1000.
  const Tensor ones_bf16 = ones({1000}, kBFloat16);
  EXPECT_EQ(ones_bf16.sum().dtype(), kBFloat16);
  EXPECT_EQ(ones_bf16.sum().item<double>(), 1000.0);
  EXPECT_EQ(ones_bf16.mean().item<double>(), 1.0);
  const Tensor m = tensor(std::vector<float>{1, 5, 3, 4, 2, 6}, {2, 3}).to(kBFloat16);
  expect_values(m.sum({1}), {9, 12}, 0);
  expect_values(m.mean({0}), {2.5, 3.5, 4.5}, 0);
  expect_values(amax(m, {1}), {5, 6}, 0);
  EXPECT_EQ(amax(m, {1}).dtype(), kBFloat16);
  EXPECT_EQ(m.argmax(1).to_vector<int64_t>(), (std::vector<int64_t>{1, 2}));
  auto [values, indices] = m.min(1, false);
  expect_values(values, {1, 2}, 0);
  EXPECT_EQ(values.dtype(), kBFloat16);
  EXPECT_EQ(indices.to_vector<int64_t>(), (std::vector<int64_t>{0, 1}));
}

TEST(BFloat16Ops, MatmulAgainstFloat64Reference) {
  const Tensor a64 = tensor(testing::random_values(6 * 40, 1), {6, 40}, kFloat64);
  const Tensor b64 = tensor(testing::random_values(40 * 5, 2), {40, 5}, kFloat64);
  const Tensor a = a64.to(kBFloat16), b = b64.to(kBFloat16);
  const Tensor out = matmul(a, b);
  EXPECT_EQ(out.dtype(), kBFloat16);
  // Reference: the bf16 inputs' exact product in float64; the only rounding is the
  // final one to bf16 (fp32 accumulation adds ~1e-6 relative), so within one bf16 ulp.
  const std::vector<double> ref = matmul(a.to(kFloat64), b.to(kFloat64)).to_vector<double>();
  const std::vector<double> got = out.to_vector<double>();
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(got[i], ref[i], std::abs(ref[i]) * (1.0 / 128) + 1e-6) << i;
  // And against the float64 product of the unrounded inputs: bf16 tolerance (8 bits).
  const std::vector<double> exact = matmul(a64, b64).to_vector<double>();
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(got[i], exact[i], 0.1 + 0.02 * std::abs(exact[i])) << i;
  // bmm and mm
  EXPECT_EQ(bmm(a.unsqueeze(0), b.unsqueeze(0)).squeeze(0).to_vector<double>(), got);
  EXPECT_EQ(mm(a, b).to_vector<double>(), got);
}

TEST(BFloat16Ops, KernelsWithoutBf16NameTheOpAndDtype) {
  EXPECT_EMBER_ERROR(linalg::det(ones({2, 2}, kBFloat16)), "not implemented for 'BFloat16'");
  // (Pooling computes bf16 in float: tests/nn/test_pool_options.cpp, Note [16-bit pooling];
  // softmax, batch norm and the class losses: tests/nn/test_sixteen_bit_models.cpp.)
}

}  // namespace
}  // namespace ember
