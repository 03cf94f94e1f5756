// Layers on bfloat16 tensors on the CPU (Note [BFloat16] in core/bfloat16.h): conv2d
// forward and backward and linear against float64 references of the same bf16 values
// (fp32 accumulation: one bf16 rounding apart), ReLU and dropout keeping bf16, pooling
// (in float, Note [16-bit pooling]: as float32 pooling of the same values, rounded once).
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <cmath>
#include <functional>
#include <utility>
#include <vector>

#include "nn/functional.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

Tensor normal_bf16(const Dims& shape, uint32_t seed) {
  return tensor(testing::random_values(shape_numel(shape), seed), shape, kFloat64).to(kBFloat16);
}

// Every element of got (bf16) within `ulps` bf16 roundings (2^-8 relative each) of ref,
// plus a small absolute slack for values near zero.
void expect_bf16_close(const Tensor& got, const Tensor& ref, double ulps, double atol) {
  ASSERT_EQ(got.dtype(), kBFloat16);
  ASSERT_EQ(got.sizes(), ref.sizes());
  const std::vector<double> g = got.to_vector<double>(), r = ref.to_vector<double>();
  for (size_t i = 0; i < g.size(); ++i)
    ASSERT_NEAR(g[i], r[i], ulps * std::ldexp(std::abs(r[i]), -8) + atol) << "at " << i;
}

TEST(BFloat16Layers, Conv2dForwardAndBackwardMatchFloat64) {
  const Tensor x = normal_bf16({3, 4, 9, 7}, 1).requires_grad_(true);
  const Tensor w = normal_bf16({6, 2, 3, 3}, 2).requires_grad_(true);  // groups 2
  const Tensor b = normal_bf16({6}, 3).requires_grad_(true);
  const Tensor out = F::conv2d(x, w, b, 2, 1, 1, 2);
  // The float64 reference on the same (bf16) values.
  const Tensor x64 = x.detach().to(kFloat64).requires_grad_(true);
  const Tensor w64 = w.detach().to(kFloat64).requires_grad_(true);
  const Tensor b64 = b.detach().to(kFloat64).requires_grad_(true);
  const Tensor ref = F::conv2d(x64, w64, b64, 2, 1, 1, 2);
  expect_bf16_close(out, ref, 1.01, 1e-5);  // one rounding of the fp32 sum
  const Tensor g = normal_bf16(ref.sizes(), 4);
  out.backward(g);
  ref.backward(g.to(kFloat64));
  EXPECT_EQ(x.grad().dtype(), kBFloat16);
  EXPECT_EQ(w.grad().dtype(), kBFloat16);
  expect_bf16_close(x.grad(), x64.grad(), 1.01, 1e-5);
  expect_bf16_close(w.grad(), w64.grad(), 1.01, 1e-5);
  expect_bf16_close(b.grad(), b64.grad(), 1.01, 1e-5);
}

TEST(BFloat16Layers, LinearMatchesFloat64) {
  const Tensor x = normal_bf16({5, 64}, 5).requires_grad_(true);
  const Tensor w = normal_bf16({7, 64}, 6).requires_grad_(true);
  const Tensor b = normal_bf16({7}, 7);
  const Tensor out = F::linear(x, w, b);
  const Tensor ref = F::linear(x.detach().to(kFloat64), w.detach().to(kFloat64), b.to(kFloat64));
  // The product rounds once to bf16, then the bias add rounds again.
  expect_bf16_close(out, ref, 2.02, 1e-4);
  out.sum().backward();
  const Tensor w_grad_ref = x.detach().to(kFloat64).sum({0}).unsqueeze(0).expand({7, 64});
  expect_bf16_close(w.grad(), w_grad_ref, 1.01, 1e-5);
}

TEST(BFloat16Layers, ReluAndDropoutKeepBf16) {
  const Tensor h = normal_bf16({4, 33}, 8).requires_grad_(true);  // 132 elements: a partial mask byte
  const Tensor y = F::relu(h);
  EXPECT_EQ(y.dtype(), kBFloat16);
  testing::expect_values(y, h.detach().to(kFloat64).relu().to_vector<double>(), 0);
  y.sum().backward();
  testing::expect_values(h.grad(), gt(h.detach(), 0).to(kFloat64).to_vector<double>(), 0);
  manual_seed(1);
  const Tensor d = F::dropout(ones({4096}, kBFloat16).requires_grad_(true), 0.25, true);
  EXPECT_EQ(d.dtype(), kBFloat16);
  const std::vector<double> values = d.to_vector<double>();
  int kept = 0;
  const double scale = static_cast<double>(BFloat16(1.0f / 0.75f));  // 1 / (1 - p) rounded to bf16
  for (double v : values) {
    EXPECT_TRUE(v == 0.0 || v == scale) << v;
    kept += v != 0.0;
  }
  EXPECT_NEAR(kept / 4096.0, 0.75, 0.03);
}

// Pooling takes bf16 (under autocast conv -> batch norm -> relu -> pool stays bf16):
// values and gradients are float32 pooling's of the same values, rounded to bf16 once.
TEST(BFloat16Layers, PoolingMatchesFloat32PoolingOfTheSameValues) {
  const Tensor x = normal_bf16({2, 3, 8, 8}, 4);
  const Tensor g = normal_bf16({2, 3, 4, 4}, 5);
  using Pool = std::function<Tensor(const Tensor&)>;
  const std::vector<std::pair<const char*, Pool>> pools{
      {"max_pool2d", [](const Tensor& t) { return F::max_pool2d(t, 2); }},
      {"avg_pool2d", [](const Tensor& t) { return F::avg_pool2d(t, 3, 2, 1); }},
      {"adaptive_avg_pool2d", [](const Tensor& t) { return F::adaptive_avg_pool2d(t, 4); }}};
  for (const auto& [name, pool] : pools) {
    SCOPED_TRACE(name);
    const Tensor leaf = x.detach().requires_grad_(true);
    const Tensor out = pool(leaf);
    ASSERT_EQ(out.dtype(), kBFloat16);
    ASSERT_EQ(out.sizes(), g.sizes());
    (out * g).sum().backward();
    const Tensor leaf32 = x.detach().to(kFloat32).requires_grad_(true);
    const Tensor out32 = pool(leaf32);
    (out32 * g.to(kFloat32)).sum().backward();
    EXPECT_TRUE(equal(out, out32.detach().to(kBFloat16)));
    ASSERT_EQ(leaf.grad().dtype(), kBFloat16);
    EXPECT_TRUE(equal(leaf.grad(), leaf32.grad().to(kBFloat16)));
  }
}

}  // namespace
}  // namespace ember
