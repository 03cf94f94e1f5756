// Autocast and GradScaler where a review found them apart from PyTorch: attention's inputs
// cast before its dtype check, dot and scatter_add on the promote list, matrix norms on the
// float32 list, and the scale's growth and backoff rounded once from a double product.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

TEST(AutocastParity, AttentionCastsQueryKeyAndValueFirst) {
  manual_seed(0);
  const Tensor q = randn({1, 2, 4, 8}), k = randn({1, 2, 4, 8});
  const Tensor v = randn({1, 2, 4, 8}).to(kBFloat16);  // rotary q and k in float32, v from a bf16 Linear
  EXPECT_EMBER_ERROR(F::scaled_dot_product_attention(q, k, v), "Expected query, key, and value to have the same dtype");
  AutocastGuard autocast(Device::cpu(), kBFloat16);
  const Tensor out = F::scaled_dot_product_attention(q, k, v, randn({4, 4}));  // a float32 mask cast with them
  EXPECT_EQ(out.dtype(), kBFloat16);
  EXPECT_EQ(out.sizes(), (Dims{1, 2, 4, 8}));
}

TEST(AutocastParity, DotAndScatterAddPromote) {
  const Tensor a = tensor(std::vector<float>{1, 2, 3}), b = tensor(std::vector<float>{4, 5, 6}).to(kBFloat16);
  EXPECT_EMBER_ERROR(dot(a, b), "dot : expected both vectors to have same dtype");
  const Tensor index = tensor(std::vector<int64_t>{0, 0, 1});
  AutocastGuard autocast(Device::cpu(), kBFloat16);
  const Tensor d = dot(a, b);
  EXPECT_EQ(d.dtype(), kFloat32);
  EXPECT_FLOAT_EQ(d.item<float>(), 32.0f);
  const Tensor s = scatter_add(zeros({2}).to(kBFloat16), 0, index, a);
  EXPECT_EQ(s.dtype(), kFloat32);
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{3, 3}));
}

TEST(AutocastParity, MatrixNormsRunInFloat32) {
  const Tensor m = tensor(std::vector<float>{3, 0, 0, 4}, {2, 2}).to(kBFloat16);
  AutocastGuard autocast(Device::cpu(), kBFloat16);
  const Tensor nuc = linalg::matrix_norm(m, "nuc");
  EXPECT_EQ(nuc.dtype(), kFloat32);
  EXPECT_FLOAT_EQ(nuc.item<float>(), 7.0f);
  EXPECT_FLOAT_EQ(linalg::matrix_norm(m, 2.0).item<float>(), 4.0f);
}

float bits_as_float(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// PyTorch's _amp_update_scale_: static_cast<float>(scale * factor) with a double factor.
// einsum is on the lower-precision list: a bf16 activation with a float32 weight contracts in bf16
// (its one-dtype check ran before the cast).
TEST(AutocastParity, EinsumCastsItsOperandsFirst) {
  const Tensor act = ones({2, 3}).to(kBFloat16), weight = ones({3, 4});
  AutocastGuard autocast(Device::cpu(), kBFloat16);
  const Tensor y = einsum("bi,io->bo", {act, weight});
  EXPECT_EQ(y.dtype(), kBFloat16);
  EXPECT_EQ(y.sum().item<double>(), 24.0);
}

TEST(GradScalerParity, GrowthAndBackoffRoundOnceFromTheDoubleProduct) {
  Tensor w = ones({2}).requires_grad_();
  optim::SGD sgd({w}, {.lr = 0.0});
  amp::GradScaler scaler({.init_scale = 3.0, .growth_factor = 1.7, .backoff_factor = 0.3, .growth_interval = 1});
  w.mutable_grad() = Tensor();
  (scaler.scale(w.sum()) * std::numeric_limits<double>::infinity()).backward();
  scaler.step(sgd);
  scaler.update();
  const float backed_off = static_cast<float>(static_cast<double>(3.0f) * 0.3);
  EXPECT_EQ(static_cast<float>(scaler.get_scale()), backed_off);
  EXPECT_EQ(backed_off, bits_as_float(0x3F666666u));  // 0.9 rounded once (0.900000036 is twice)
  sgd.zero_grad();
  scaler.scale(w.sum()).backward();
  scaler.step(sgd);
  scaler.update();
  EXPECT_EQ(static_cast<float>(scaler.get_scale()), static_cast<float>(static_cast<double>(backed_off) * 1.7));
}

}  // namespace
}  // namespace ember
