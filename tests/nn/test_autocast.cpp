// bf16 and float16 autocast on the CPU (Note [Autocast] in core/autocast.h): which ops cast
// to bf16, which to float32 and which keep their dtype; nesting and enabled = false; fp32
// gradients of fp32 parameters close to the fp32 run; the cast cache; bad dtypes; float16's
// underflow and loss scaling; a checkpoint recomputing under the forward's autocast dtype.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <cmath>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "autograd/checkpoint.h"
#include "nn/functional.h"
#include "nn/layers.h"
#include "nn/optim/grad_scaler.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using testing::expect_values;

Tensor floats(const Dims& shape, uint32_t seed) {
  return tensor(testing::random_values(shape_numel(shape), seed), shape, kFloat32);
}
Tensor bf16(const Dims& shape, uint32_t seed) { return floats(shape, seed).to(kBFloat16); }

TEST(Autocast, GuardStateAndBadDtype) {
  EXPECT_FALSE(autocast::is_enabled(DeviceType::CPU));
  {
    AutocastGuard ac(Device::cpu(), kBFloat16);
    EXPECT_TRUE(autocast::is_enabled(DeviceType::CPU));
    EXPECT_FALSE(autocast::is_enabled(DeviceType::CUDA));  // per device type
    EXPECT_EQ(autocast::get_dtype(DeviceType::CPU), kBFloat16);
  }
  EXPECT_FALSE(autocast::is_enabled(DeviceType::CPU));
  {
    // PyTorch's CPU autocast: another dtype warns and disables autocast for the scope.
    AutocastGuard outer(Device::cpu(), kBFloat16);
    {
      AutocastGuard float32(Device::cpu(), kFloat32);
      EXPECT_FALSE(autocast::is_enabled(DeviceType::CPU));
      EXPECT_EQ(autocast::get_dtype(DeviceType::CPU), kBFloat16);
    }
    EXPECT_TRUE(autocast::is_enabled(DeviceType::CPU));
    // A disabled guard checks no dtype: `AutocastGuard(dev, use_amp ? kBFloat16 : kFloat32, use_amp)`.
    AutocastGuard off(Device::cpu(), kFloat32, /*enabled=*/false);
    EXPECT_FALSE(autocast::is_enabled(DeviceType::CPU));
  }
  EXPECT_NO_THROW(AutocastGuard(Device::cuda(0), kFloat64, false));
  EXPECT_FALSE(autocast::is_enabled(DeviceType::CPU));
}

TEST(Autocast, LowerPrecisionOpsRunInBf16) {
  const Tensor x = floats({2, 3, 6, 6}, 1), w = floats({4, 3, 3, 3}, 2), b = floats({4}, 3);
  const Tensor m = floats({5, 7}, 4), n = floats({7, 3}, 5), lw = floats({3, 7}, 6), lb = floats({3}, 7);
  AutocastGuard ac(Device::cpu(), kBFloat16);
  const Tensor conv = F::conv2d(x, w, b, 1, 1);
  EXPECT_EQ(conv.dtype(), kBFloat16);
  EXPECT_EQ(F::linear(m, lw, lb).dtype(), kBFloat16);
  EXPECT_EQ(matmul(m, n).dtype(), kBFloat16);
  EXPECT_EQ(mm(m, n).dtype(), kBFloat16);
  EXPECT_EQ(bmm(m.unsqueeze(0), n.unsqueeze(0)).dtype(), kBFloat16);
  // The values: the bf16-rounded inputs' product, accumulated in fp32, rounded once.
  const Tensor ref = matmul(m.to(kBFloat16).to(kFloat64), n.to(kBFloat16).to(kFloat64));
  EXPECT_TRUE(allclose(matmul(m, n).to(kFloat64), ref, 1.0 / 128, 1e-6));
  // float64 and integer tensors are never cast down.
  EXPECT_EQ(matmul(m.to(kFloat64), n.to(kFloat64)).dtype(), kFloat64);
  EXPECT_EQ(F::conv2d(x.to(kFloat64), w.to(kFloat64)).dtype(), kFloat64);
}

TEST(Autocast, Float32OpsRunInFloat32) {
  const Tensor h = bf16({4, 5}, 1);
  const Tensor targets = tensor(std::vector<int64_t>{0, 4, 2, 1});
  AutocastGuard ac(Device::cpu(), kBFloat16);
  EXPECT_EQ(F::softmax(h, 1).dtype(), kFloat32);
  EXPECT_EQ(F::log_softmax(h, 1).dtype(), kFloat32);
  EXPECT_EQ(F::cross_entropy(h, targets).dtype(), kFloat32);
  EXPECT_EQ(F::nll_loss(h, targets).dtype(), kFloat32);
  EXPECT_EQ(F::mse_loss(h, bf16({4, 5}, 2)).dtype(), kFloat32);
  EXPECT_EQ(sum(h).dtype(), kFloat32);
  EXPECT_EQ(h.sum({1}).dtype(), kFloat32);
  EXPECT_EQ(exp(h).dtype(), kFloat32);
  EXPECT_EQ(log(abs(h)).dtype(), kFloat32);
  EXPECT_EQ(h.pow(2).dtype(), kFloat32);
  EXPECT_EQ(pow(h, h).dtype(), kFloat32);
  // a bf16 feature map sampled at a float32 grid (a spatial transformer under autocast); its
  // gradient comes back in bf16
  const Tensor features = bf16({2, 3, 4, 4}, 4).requires_grad_(true);
  const Tensor grid = floats({2, 3, 3, 2}, 5).tanh();
  const Tensor sampled = F::grid_sample(features, grid);
  EXPECT_EQ(sampled.dtype(), kFloat32);
  sampled.sum().backward();
  EXPECT_EQ(features.grad().dtype(), kBFloat16);
  EXPECT_TRUE(allclose(sampled, [&] {
    AutocastGuard off(Device::cpu(), kBFloat16, false);
    return F::grid_sample(features.detach().to(kFloat32), grid);
  }()));
  // The value is the float32 op on the (exactly widened) bf16 input.
  EXPECT_TRUE(allclose(F::softmax(h, 1), [&] {
    AutocastGuard off(Device::cpu(), kBFloat16, false);
    return F::softmax(h.to(kFloat32), 1);
  }()));
  expect_values(sum(ones({1000}, kBFloat16)), {1000.0}, 0);
}

TEST(Autocast, OtherOpsKeepOrPromoteTheirDtype) {
  const Tensor h = bf16({3, 4}, 1), f = floats({3, 4}, 2);
  AutocastGuard ac(Device::cpu(), kBFloat16);
  EXPECT_EQ(add(h, h).dtype(), kBFloat16);
  EXPECT_EQ(mul(h, 2.0).dtype(), kBFloat16);
  EXPECT_EQ(h.relu().dtype(), kBFloat16);
  EXPECT_EQ(F::relu(h).dtype(), kBFloat16);
  EXPECT_EQ(amax(h, {1}).dtype(), kBFloat16);
  EXPECT_EQ(h.max().dtype(), kBFloat16);
  EXPECT_EQ(sigmoid(h).dtype(), kBFloat16);
  EXPECT_EQ(F::dropout(h, 0.5, true).dtype(), kBFloat16);
  EXPECT_EQ(add(f, f).dtype(), kFloat32);
  EXPECT_EQ(f.relu().dtype(), kFloat32);
  EXPECT_EQ(add(h, f).dtype(), kFloat32);  // the widest input
  EXPECT_EQ(sub(f, h).dtype(), kFloat32);
  EXPECT_EQ(F::max_pool2d(f.view({1, 1, 3, 4}), 2).dtype(), kFloat32);
}

TEST(Autocast, OnlyTheGuardedDeviceTypeCasts) {
  const Tensor m = floats({2, 3}, 1), n = floats({3, 2}, 2);
  AutocastGuard ac(Device::cuda(0), kBFloat16);  // CUDA autocast; these tensors are on the CPU
  EXPECT_EQ(matmul(m, n).dtype(), kFloat32);
  EXPECT_EQ(sum(m.to(kBFloat16)).dtype(), kBFloat16);
}

TEST(Autocast, NestingAndDisabledScopes) {
  const Tensor m = floats({2, 3}, 1), n = floats({3, 2}, 2);
  AutocastGuard outer(Device::cpu(), kBFloat16);
  EXPECT_EQ(matmul(m, n).dtype(), kBFloat16);
  {
    AutocastGuard off(Device::cpu(), kBFloat16, /*enabled=*/false);
    EXPECT_FALSE(autocast::is_enabled(DeviceType::CPU));
    EXPECT_EQ(matmul(m, n).dtype(), kFloat32);
    EXPECT_EQ(sum(m.to(kBFloat16)).dtype(), kBFloat16);  // no float32 policy either
    {
      AutocastGuard on_again(Device::cpu(), kBFloat16);
      EXPECT_EQ(matmul(m, n).dtype(), kBFloat16);
    }
    EXPECT_EQ(matmul(m, n).dtype(), kFloat32);
  }
  EXPECT_TRUE(autocast::is_enabled(DeviceType::CPU));
  EXPECT_EQ(matmul(m, n).dtype(), kBFloat16);
}

TEST(Autocast, AppliesUnderNoGradAndInferenceMode) {
  const Tensor m = floats({2, 3}, 1), n = floats({3, 2}, 2);
  AutocastGuard ac(Device::cpu(), kBFloat16);
  {
    NoGradGuard no_grad;
    EXPECT_EQ(matmul(m, n).dtype(), kBFloat16);
  }
  InferenceModeGuard inference;
  EXPECT_EQ(matmul(m, n).dtype(), kBFloat16);
  EXPECT_EQ(F::softmax(m.to(kBFloat16), 1).dtype(), kFloat32);
}

// Batch norm is on neither of PyTorch's autocast lists (pytorch/pytorch#88929): a bf16 input
// gives a bf16 output, the float32 computation on its values rounded once; a float32 input
// stays float32.
TEST(Autocast, BatchNormKeepsItsInputsDtype) {
  const Tensor x16 = bf16({2, 3, 4, 4}, 3);
  const Tensor rm32 = zeros({3}), rv32 = ones({3});
  const Tensor out32 = F::batch_norm(x16.to(kFloat32), rm32, rv32, ones({3}), zeros({3}), true);
  AutocastGuard ac(Device::cpu(), kBFloat16);
  const Tensor rm = zeros({3}), rv = ones({3});
  const Tensor out = F::batch_norm(x16, rm, rv, ones({3}), zeros({3}), true);
  EXPECT_EQ(out.dtype(), kBFloat16);
  EXPECT_TRUE(equal(out, out32.to(kBFloat16)));  // float32's batch norm of the same values, rounded once
  // the float32 running statistics updated in float, as float32's
  EXPECT_TRUE(allclose(rm, rm32, 1e-6, 1e-7));
  EXPECT_TRUE(allclose(rv, rv32, 1e-6, 1e-7));
  EXPECT_EQ(F::batch_norm(floats({2, 3, 4, 4}, 3), rm, rv, ones({3}), zeros({3}), true).dtype(), kFloat32);
  EXPECT_EQ(F::batch_norm(x16, rm, rv, ones({3}), zeros({3}), false).dtype(), kBFloat16);
  // the module's consuming eval forward normalizes a bf16 input in place, as outside autocast
  nn::BatchNorm2d bn(3);
  bn.eval();
  const Tensor x = bf16({2, 3, 4, 4}, 5);
  const Tensor want = bn.forward(x);
  EXPECT_EQ(want.dtype(), kBFloat16);
  NoGradGuard no_grad;
  Tensor consumed = x.clone();
  const void* storage = consumed.data_ptr();
  const Tensor normalized = bn.forward_consuming(std::move(consumed));
  EXPECT_EQ(normalized.data_ptr(), storage);
  EXPECT_TRUE(equal(normalized, want));
}

// instance_norm is on no list either (PyTorch computes it as batch norm): a bf16 input stays
// bf16 with or without running statistics, float32's instance norm rounded once.
TEST(Autocast, InstanceNormKeepsItsInputsDtype) {
  const Tensor x = bf16({2, 3, 5, 4}, 6);
  const Tensor w = floats({3}, 7), b = floats({3}, 8);
  const Tensor want = F::instance_norm(x.to(kFloat32), Tensor(), Tensor(), w, b, true);
  const Tensor rm32 = zeros({3}), rv32 = ones({3});
  const Tensor want_running = F::instance_norm(x.to(kFloat32), rm32, rv32, w, b, true);
  AutocastGuard ac(Device::cpu(), kBFloat16);
  const Tensor out = F::instance_norm(x, Tensor(), Tensor(), w, b, true);
  EXPECT_EQ(out.dtype(), kBFloat16);
  EXPECT_TRUE(allclose(out.to(kFloat32), want, 1.0 / 128, 1e-3));
  const Tensor rm = zeros({3}), rv = ones({3});
  const Tensor with_running = F::instance_norm(x, rm, rv, w, b, true);
  EXPECT_EQ(with_running.dtype(), kBFloat16);
  EXPECT_TRUE(allclose(with_running.to(kFloat32), want_running, 1.0 / 128, 1e-3));
  EXPECT_TRUE(allclose(rm, rm32, 1e-5, 1e-6));
  EXPECT_EQ(F::instance_norm(x, rm, rv, w, b, false).dtype(), kBFloat16);
}

// The composed losses on PyTorch's autocast float32 list take float32 inputs: under bf16
// autocast each gives float32 and the values of the same loss on float32 copies of its
// inputs without autocast (bf16 intermediates would round at about 1e-3).
TEST(Autocast, ComposedLossesRunInFloat32) {
  const Tensor a = bf16({4, 5}, 9), c = bf16({4, 5}, 10);
  const Tensor sign = tensor(std::vector<float>{1, -1, 1, -1}).to(kBFloat16);
  const Tensor signs = sign.reshape({4, 1}).expand({4, 5}).contiguous();
  const Tensor classes = tensor(std::vector<int64_t>{0, 4, 2, 1});
  const Tensor labels =
      tensor(std::vector<int64_t>{0, -1, 0, 0, 0, 4, 2, -1, 0, 0, 1, -1, 0, 0, 0, 3, 0, -1, 0, 0}, {4, 5});
  const Tensor class_weight = floats({5}, 11).abs();
  // loss(a, c, signs, sign, reduction): every floating input in the caller's dtype
  using Loss = std::function<Tensor(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const char*)>;
  const std::vector<std::pair<const char*, Loss>> losses{
      {"margin_ranking",
       [](auto& x, auto& y, auto& t, auto&, auto r) { return F::margin_ranking_loss(x, y, t, 0.1, r); }},
      {"hinge_embedding", [](auto& x, auto&, auto& t, auto&, auto r) { return F::hinge_embedding_loss(x, t, 0.3, r); }},
      {"soft_margin", [](auto& x, auto&, auto& t, auto&, auto r) { return F::soft_margin_loss(x, t, r); }},
      {"cosine_embedding",
       [](auto& x, auto& y, auto&, auto& s, auto r) { return F::cosine_embedding_loss(x, y, s, 0.1, r); }},
      {"triplet_margin (swap)", [](auto& x, auto& y, auto&, auto&,
                                   auto r) { return F::triplet_margin_loss(x, y, x * 0.5, 1.0, 2.0, 1e-6, true, r); }},
      {"multilabel_margin",
       [&](auto& x, auto&, auto&, auto&, auto r) { return F::multilabel_margin_loss(x, labels, r); }},
      {"multi_margin (weight)",
       [&](auto& x, auto&, auto&, auto&, auto r) { return F::multi_margin_loss(x, classes, 2, 0.7, class_weight, r); }},
      {"poisson_nll (full)", [](auto& x, auto& y, auto&, auto&,
                                auto r) { return F::poisson_nll_loss(x, (y * 4.0).abs(), true, true, 1e-8, r); }},
      {"kl_div", [](auto& x, auto& y, auto&, auto&, auto r) { return F::kl_div(x, y.abs(), r, false); }},
      {"kl_div (log target)", [](auto& x, auto& y, auto&, auto&, auto r) { return F::kl_div(x, y, r, true); }},
  };
  for (const char* reduction : {"mean", "none"})
    for (const auto& [name, loss] : losses) {
      SCOPED_TRACE(std::string(name) + " " + reduction);
      const auto wide = [](const Tensor& t) { return t.to(kFloat32); };
      const Tensor want = loss(wide(a), wide(c), wide(signs), wide(sign), reduction);
      AutocastGuard ac(Device::cpu(), kBFloat16);
      const Tensor got = loss(a, c, signs, sign, reduction);
      EXPECT_EQ(got.dtype(), kFloat32);
      EXPECT_TRUE(allclose(got, want, 1e-6, 1e-7));
    }
  AutocastGuard ac(Device::cpu(), kBFloat16);
  EXPECT_EQ(F::multilabel_soft_margin_loss(a, signs.abs(), Tensor(), "mean").dtype(), kFloat32);
}

// mean is on no list either, as in PyTorch: a bf16 mean sums in float and rounds once.
TEST(Autocast, MeanKeepsItsInputsDtype) {
  const Tensor h = bf16({64, 33}, 8).requires_grad_(true);
  AutocastGuard ac(Device::cpu(), kBFloat16);
  const Tensor all = mean(h), rows = h.mean({1});
  EXPECT_EQ(all.dtype(), kBFloat16);
  EXPECT_EQ(rows.dtype(), kBFloat16);
  // within a bf16 rounding of the exact means (a float sum, one rounding to bf16)
  EXPECT_TRUE(allclose(all.to(kFloat64), mean(h.detach().to(kFloat64)), 1.0 / 256, 1e-6));
  EXPECT_TRUE(allclose(rows.to(kFloat64), h.detach().to(kFloat64).mean({1}), 1.0 / 256, 1e-6));
  EXPECT_EQ(floats({3}, 9).mean().dtype(), kFloat32);
}

TEST(Autocast, BatchNormSavesItsBf16InputNotAFloat32Copy) {
  const Tensor x16 = bf16({8, 4, 16, 16}, 3).requires_grad_(true);
  const Tensor x32 = x16.detach().to(kFloat32).requires_grad_(true);
  const Tensor w = ones({4}).requires_grad_(true), b = zeros({4}).requires_grad_(true);
  const auto saved_bytes = [] { return autograd::saved_tensor_stats().current_bytes; };
  const int64_t start = saved_bytes();
  Tensor out16;
  {
    AutocastGuard ac(Device::cpu(), kBFloat16);
    out16 = F::batch_norm(x16, Tensor(), Tensor(), w, b, true);
  }
  const int64_t amp_bytes = saved_bytes() - start;
  // Its own weight: the ledger counts a storage once, and w is saved by the first node already.
  const Tensor w32 = ones({4}).requires_grad_(true);
  const Tensor out32 = F::batch_norm(x32, Tensor(), Tensor(), w32, b, true);
  const int64_t fp32_bytes = saved_bytes() - start - amp_bytes;
  EXPECT_EQ(out16.dtype(), kBFloat16);
  EXPECT_EQ(fp32_bytes - amp_bytes, 8 * 4 * 16 * 16 * 2);  // x kept as 2-byte bf16, not a 4-byte copy
  EXPECT_TRUE(equal(out16, out32.to(kBFloat16)));  // the same float32 computation, rounded once
  const Tensor g = floats({8, 4, 16, 16}, 4).to(kBFloat16);
  out16.backward(g);
  out32.backward(g.to(kFloat32));
  EXPECT_EQ(x16.grad().dtype(), kBFloat16);
  EXPECT_TRUE(equal(x16.grad(), x32.grad().to(kBFloat16)));  // the float32 gradient, rounded once
  EXPECT_EQ(w.grad().dtype(), kFloat32);
  EXPECT_TRUE(allclose(w.grad(), w32.grad(), 1e-5, 1e-5));
}

// A small CNN's loss and parameter gradients with and without autocast. Smooth
// activations: a ReLU's mask flips where bf16 moves a value across 0, and each flip
// changes a gradient by a whole term (a real effect of bf16, but not a tolerance one).
struct SmallNet {
  std::shared_ptr<nn::Sequential> net;
  SmallNet() {
    manual_seed(7);
    net = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
        std::make_shared<nn::Conv2d>(2, 4, 3, nn::Conv2dOptions{.stride = 1, .padding = 1}),
        std::make_shared<nn::BatchNorm2d>(4), std::make_shared<nn::Tanh>(), std::make_shared<nn::Flatten>(),
        std::make_shared<nn::Linear>(4 * 5 * 5, 16), std::make_shared<nn::Sigmoid>(),
        std::make_shared<nn::Linear>(16, 3)});
  }
  double loss_and_grads(const Tensor& x, const Tensor& y, bool amp) {
    net->zero_grad(true);
    Tensor loss;
    {
      std::optional<AutocastGuard> ac;
      if (amp) ac.emplace(Device::cpu(), kBFloat16);
      loss = F::cross_entropy((*net)(x), y);
      EXPECT_EQ(loss.dtype(), kFloat32);
    }
    loss.backward();
    return loss.item<double>();
  }
};

TEST(Autocast, ParameterGradientsAreFloat32AndCloseToTheFloat32Run) {
  SmallNet model;
  const Tensor x = floats({16, 2, 5, 5}, 11);
  const Tensor y = tensor(std::vector<int64_t>{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0});
  // Both runs in eval mode would skip batch statistics; train mode runs the full graph.
  // The running statistics move in both runs, which the gradients do not see.
  const double loss32 = model.loss_and_grads(x, y, false);
  std::vector<Tensor> grads32;
  for (const Tensor& p : model.net->parameters()) grads32.push_back(p.grad().clone());
  const double loss16 = model.loss_and_grads(x, y, true);
  EXPECT_NEAR(loss16, loss32, 0.02 * std::abs(loss32));
  const auto params = model.net->parameters();
  ASSERT_EQ(params.size(), grads32.size());
  bool any_difference = false;
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(params[i].dtype(), kFloat32);
    ASSERT_TRUE(params[i].grad().defined()) << i;
    EXPECT_EQ(params[i].grad().dtype(), kFloat32) << i;
    // bf16 tolerance: 8 bits of precision per operand, a few roundings along the graph.
    const double scale = grads32[i].abs().max().item<double>();
    const double err = sub(params[i].grad(), grads32[i]).abs().max().item<double>();
    EXPECT_LE(err, 0.05 * scale + 1e-4) << "parameter " << i << " max |grad| " << scale;
    any_difference = any_difference || err > 0.0;
  }
  EXPECT_TRUE(any_difference) << "the bf16 run should differ from the fp32 one";
}

TEST(Autocast, Float16TakesTheSameListsInFloat16) {
  const Tensor x = floats({2, 3, 6, 6}, 1), w = floats({4, 3, 3, 3}, 2);
  const Tensor m = floats({5, 7}, 4), n = floats({7, 3}, 5);
  AutocastGuard ac(Device::cpu(), kFloat16);
  EXPECT_EQ(autocast::get_dtype(DeviceType::CPU), kFloat16);
  EXPECT_EQ(F::conv2d(x, w, Tensor(), 1, 1).dtype(), kFloat16);
  const Tensor product = matmul(m, n);
  EXPECT_EQ(product.dtype(), kFloat16);
  // The float16-rounded inputs' product, accumulated in fp32, rounded once (2^-11 relative).
  const Tensor ref = matmul(m.to(kFloat16).to(kFloat64), n.to(kFloat16).to(kFloat64));
  EXPECT_TRUE(allclose(product.to(kFloat64), ref, 1.0 / 1024, 1e-6));
  // Float32 ops widen float16 inputs; others promote as usual.
  EXPECT_EQ(F::softmax(product, 1).dtype(), kFloat32);
  EXPECT_EQ(product.sum().dtype(), kFloat32);
  EXPECT_EQ(add(product, floats({5, 3}, 6)).dtype(), kFloat32);
  EXPECT_EQ(product.relu().dtype(), kFloat16);
  EXPECT_EQ(matmul(m.to(kFloat64), n.to(kFloat64)).dtype(), kFloat64);
}

// Each op's output dtype under bf16 autocast against PyTorch's CUDA autocast lists
// (aten/src/ATen/autocast_mode.cpp): the float32 list turns a bf16 input into a float32
// result, the lower-precision list a float32 input into a bf16 one, and an op on neither
// keeps its input's dtype (promote: the widest).
TEST(Autocast, OpListsAsPyTorchs) {
  const Tensor h = (rand({4, 5}) * 0.8 + 0.1).to(kBFloat16);  // in every op's domain
  const Tensor f = rand({4, 5}) * 0.8 + 0.1;
  const Tensor h4 = (rand({2, 4, 5, 5}) * 0.8 + 0.1).to(kBFloat16);
  using Op = std::function<Tensor()>;
  const std::vector<std::pair<const char*, Op>> float32_list{
      {"acos", [&] { return acos(h); }},
      {"asin", [&] { return asin(h); }},
      {"cosh", [&] { return cosh(h); }},
      {"erfinv", [&] { return erfinv(h); }},
      {"exp", [&] { return exp(h); }},
      {"expm1", [&] { return expm1(h); }},
      {"log", [&] { return log(h); }},
      {"log10", [&] { return log10(h); }},
      {"log2", [&] { return log2(h); }},
      {"log1p", [&] { return log1p(h); }},
      {"reciprocal", [&] { return reciprocal(h); }},
      {"rsqrt", [&] { return rsqrt(h); }},
      {"sinh", [&] { return sinh(h); }},
      {"tan", [&] { return tan(h); }},
      {"pow(x, 2)", [&] { return h.pow(2); }},
      {"pow(x, y)", [&] { return pow(h, h); }},
      {"softplus", [&] { return F::softplus(h); }},
      {"layer_norm", [&] { return F::layer_norm(h, {5}); }},
      {"group_norm", [&] { return F::group_norm(h4, 2); }},
      {"cosine_similarity", [&] { return F::cosine_similarity(h, h); }},
      {"l1_loss", [&] { return F::l1_loss(h, h * 0.5); }},
      {"smooth_l1_loss", [&] { return F::smooth_l1_loss(h, h * 0.5); }},
      {"huber_loss", [&] { return F::huber_loss(h, h * 0.5); }},
      {"mse_loss", [&] { return F::mse_loss(h, h * 0.5); }},
      {"binary_cross_entropy_with_logits", [&] { return F::binary_cross_entropy_with_logits(h, h); }},
      {"dist", [&] { return dist(h, h * 0.5); }},
      {"pdist", [&] { return F::pdist(h); }},
      {"cdist", [&] { return cdist(h, h); }},
      {"logsumexp", [&] { return logsumexp(h, {1}); }},
      {"prod", [&] { return prod(h); }},
      {"prod(dim)", [&] { return prod(h, 1); }},
      {"softmax", [&] { return F::softmax(h, 1); }},
      {"log_softmax", [&] { return F::log_softmax(h, 1); }},
      {"cumprod", [&] { return cumprod(h, 1); }},
      {"cumsum", [&] { return cumsum(h, 1); }},
      {"renorm", [&] { return renorm(h, 2, 0, 0.5); }},
      {"vector_norm", [&] { return linalg::vector_norm(h); }},
      {"matrix_norm", [&] { return linalg::matrix_norm(h); }},
      {"norm", [&] { return h.norm(); }},
      {"sum", [&] { return sum(h); }},
      {"sum(dims)", [&] { return h.sum({1}); }},
      {"interpolate nearest", [&] { return F::interpolate(h4, {}, 2.0, "nearest"); }},
      {"interpolate bilinear", [&] { return F::interpolate(h4, {}, 2.0, "bilinear", false); }},
      {"grid_sample (CPU list)", [&] { return F::grid_sample(h4, (rand({2, 3, 3, 2}) - 0.5).to(kBFloat16)); }},
  };
  const std::vector<std::pair<const char*, Op>> lower_precision_list{
      {"conv1d", [&] { return F::conv1d(rand({2, 3, 9}), rand({4, 3, 3})); }},
      {"conv2d", [&] { return F::conv2d(rand({2, 3, 6, 6}), rand({4, 3, 3, 3})); }},
      {"conv3d", [&] { return F::conv3d(rand({1, 2, 4, 4, 4}), rand({3, 2, 2, 2, 2})); }},
      {"conv_transpose1d", [&] { return F::conv_transpose1d(rand({2, 3, 9}), rand({3, 4, 3})); }},
      {"conv_transpose2d", [&] { return F::conv_transpose2d(rand({2, 3, 6, 6}), rand({3, 4, 3, 3})); }},
      {"conv_transpose3d", [&] { return F::conv_transpose3d(rand({1, 2, 4, 4, 4}), rand({2, 3, 2, 2, 2})); }},
      {"prelu", [&] { return F::prelu(rand({2, 3, 4}), rand({3})); }},
      {"addmm", [&] { return addmm(rand({5, 5}), f.t(), f); }},
      {"addmv", [&] { return addmv(rand({4}), f, rand({5})); }},
      {"mv", [&] { return mv(f, rand({5})); }},
      {"addr", [&] { return addr(rand({4, 5}), rand({4}), rand({5})); }},
      {"chain_matmul", [&] { return chain_matmul({f, f.t(), f}); }},
      {"chain_matmul of one", [&] { return chain_matmul({f}); }},
      {"matmul", [&] { return matmul(f, f.t()); }},
      {"einsum", [&] { return einsum("ij,kj->ik", {f, f}); }},
      {"mm", [&] { return mm(f, f.t()); }},
      {"linear", [&] { return F::linear(f, f); }},
      {"addbmm", [&] { return addbmm(rand({4, 4}), rand({2, 4, 5}), rand({2, 5, 4})); }},
      {"baddbmm", [&] { return baddbmm(rand({2, 4, 4}), rand({2, 4, 5}), rand({2, 5, 4})); }},
      {"bmm", [&] { return bmm(rand({2, 4, 5}), rand({2, 5, 4})); }},
      {"multi_dot", [&] { return linalg::multi_dot({f, f.t(), f}); }},
      {"vecdot", [&] { return linalg::vecdot(f, f); }},
      {"scaled_dot_product_attention",
       [&] { return F::scaled_dot_product_attention(rand({2, 3, 4}), rand({2, 3, 4}), rand({2, 3, 4})); }},
  };
  const std::vector<std::pair<const char*, Op>> neither{
      {"mean", [&] { return mean(h); }},
      {"var", [&] { return var(h); }},
      {"std", [&] { return std(h); }},
      {"amax", [&] { return h.amax({1}); }},
      {"sin", [&] { return sin(h); }},
      {"sqrt", [&] { return sqrt(h); }},
      {"tanh", [&] { return tanh(h); }},
      {"sigmoid", [&] { return sigmoid(h); }},
      {"relu", [&] { return F::relu(h); }},
      {"gelu", [&] { return F::gelu(h); }},
      {"batch_norm", [&] { return F::batch_norm(h4, Tensor(), Tensor(), Tensor(), Tensor(), true); }},
      {"instance_norm", [&] { return F::instance_norm(h4); }},
      {"max_pool2d", [&] { return F::max_pool2d(h4, 2); }},
      {"avg_pool2d", [&] { return F::avg_pool2d(h4, 2); }},
      {"atan2", [&] { return atan2(h, h); }},
      {"dot", [&] { return dot(h.reshape({20}), h.reshape({20})); }},
      {"cross", [&] { return linalg::cross(h.narrow(1, 0, 3), h.narrow(1, 2, 3)); }},
      {"tensordot", [&] { return tensordot(h, h, 2); }},
      {"interpolate area", [&] { return F::interpolate(h4, {}, 0.5, "area"); }},
      {"bilinear of bf16s", [&] { return F::bilinear(h, h, rand({2, 5, 5}).to(kBFloat16), Tensor()); }},
  };
  AutocastGuard ac(Device::cpu(), kBFloat16);
  for (const auto& [name, op] : float32_list) EXPECT_EQ(op().dtype(), kFloat32) << name << " (float32 list)";
  for (const auto& [name, op] : lower_precision_list)
    EXPECT_EQ(op().dtype(), kBFloat16) << name << " (lower-precision list)";
  for (const auto& [name, op] : neither) EXPECT_EQ(op().dtype(), kBFloat16) << name << " (on neither list)";
  // promote: a bf16 activation with a float32 weight runs in float32 (outside autocast, an error)
  EXPECT_EQ(F::bilinear(h, h, rand({2, 5, 5}), rand({2})).dtype(), kFloat32);
}

// PyTorch's cached_cast: under a float16 guard a bfloat16 tensor is cast to float16 for the
// lower-precision ops and widened for the float32 ones, and the other way round.
// In-place forms are on none of PyTorch's lists: a float32 self.addmm_() under autocast is
// the float32 product, to the bit (computed in bf16 it differs at about 1e-3), and a bf16 self
// of a float32-list op (renorm_) keeps its dtype.
TEST(Autocast, InPlaceFormsAreNotCast) {
  const Tensor r = rand({4, 4}), m = rand({4, 4}), v1 = rand({4}), v2 = rand({4});
  const std::vector<std::pair<const char*, std::function<void(Tensor&)>>> forms{
      {"addmm_", [&](Tensor& t) { t.addmm_(m, m); }},
      {"addmv_", [&](Tensor& t) { t.select(0, 0).addmv_(m, v1); }},
      {"addr_", [&](Tensor& t) { t.addr_(v1, v2); }},
      {"baddbmm_", [&](Tensor& t) { t.unsqueeze(0).baddbmm_(m.unsqueeze(0), m.unsqueeze(0)); }},
  };
  for (const auto& [name, form] : forms) {
    Tensor plain = r.clone(), autocast = r.clone();
    form(plain);
    {
      AutocastGuard ac(Device::cpu(), kBFloat16);
      form(autocast);
    }
    EXPECT_TRUE(equal(plain, autocast)) << name;
  }
  Tensor h = (rand({3, 4}) * 2.0).to(kBFloat16);
  const Tensor expected = renorm(h, 2, 0, 1.0);
  AutocastGuard ac(Device::cpu(), kBFloat16);
  h.renorm_(2, 0, 1.0);
  EXPECT_EQ(h.dtype(), kBFloat16);
  EXPECT_TRUE(equal(h, expected));
}

TEST(Autocast, TheOther16BitFloatIsCastToo) {
  const Tensor m = floats({5, 7}, 4), n = floats({7, 3}, 5);
  {
    AutocastGuard ac(Device::cpu(), kFloat16);
    EXPECT_EQ(matmul(m.to(kBFloat16), n).dtype(), kFloat16);
    EXPECT_EQ(F::softmax(m.to(kBFloat16), 1).dtype(), kFloat32);
    EXPECT_EQ(F::batch_norm(m.to(kBFloat16), zeros({7}), ones({7}), Tensor(), Tensor(), true).dtype(), kBFloat16);
  }
  AutocastGuard ac(Device::cpu(), kBFloat16);
  EXPECT_EQ(matmul(m.to(kFloat16), n.to(kFloat16)).dtype(), kBFloat16);
  EXPECT_EQ(F::softmax(m.to(kFloat16), 1).dtype(), kFloat32);
}

TEST(Autocast, Float16GradientsUnderflowUnlessTheLossIsScaled) {
  // A loss whose gradient at the float16 activations is 1e-8, below float16's smallest
  // subnormal (2^-24 = 6e-8): unscaled it rounds to 0; scaled by 2^16 it survives, and
  // unscale_ gives the fp32 parameters their true gradients.
  nn::Linear layer(4, 3);
  const Tensor x = floats({8, 4}, 1);
  optim::SGD sgd(layer.parameters(), {.lr = 0.1});
  auto loss_of = [&] {
    AutocastGuard ac(Device::cpu(), kFloat16);
    return mul(layer(x).sum(), 1e-8);
  };
  loss_of().backward();
  EXPECT_EQ(layer.weight.grad().abs().max().item<double>(), 0.0);
  sgd.zero_grad();
  amp::GradScaler scaler;
  scaler.scale(loss_of()).backward();
  scaler.unscale_(sgd);
  const Tensor expected = mul(x.to(kFloat16).to(kFloat32).sum({0}), 1e-8);
  ASSERT_EQ(layer.weight.grad().dtype(), kFloat32);
  for (int64_t row = 0; row < 3; ++row)
    EXPECT_TRUE(allclose(layer.weight.grad().select(0, row), expected, 2e-3, 1e-12)) << row;
  expect_values(layer.bias.grad(), {8e-8, 8e-8, 8e-8}, 1e-10);
  EXPECT_TRUE(scaler.step(sgd));
  scaler.update();
}

TEST(Autocast, ACheckpointRecomputesUnderTheForwardsFloat16Autocast) {
  nn::Linear layer(4, 4);
  const Tensor x = floats({3, 4}, 2).requires_grad_(true);
  auto fn = [&](const Tensor& in) { return layer(in).tanh(); };
  Tensor plain, checkpointed;
  {
    AutocastGuard ac(Device::cpu(), kFloat16);
    plain = fn(x).sum();
    checkpointed = utils::checkpoint(fn, x).sum();
  }
  EXPECT_EQ(checkpointed.item<double>(), plain.item<double>());
  const std::vector<Tensor> want = autograd::grad({plain}, {x, layer.weight});
  // Backward runs outside the guard: the recomputation must take float16 again, not bf16
  // (another rounding) or float32.
  const std::vector<Tensor> got = autograd::grad({checkpointed}, {x, layer.weight});
  for (size_t i = 0; i < got.size(); ++i) EXPECT_TRUE(equal(got[i], want[i])) << i;
}

TEST(Autocast, CastsOfParametersAreCachedUntilTheOutermostGuardExits) {
  nn::Linear layer(4, 3);
  const Tensor x = floats({2, 4}, 1), x2 = floats({5, 4}, 2);
  EXPECT_EQ(autocast::cached_casts(), 0u);
  Tensor loss;
  {
    AutocastGuard ac(Device::cpu(), kBFloat16);
    const Tensor a = layer(x);
    EXPECT_EQ(autocast::cached_casts(), 2u);  // weight and bias; x (no grad) is not cached
    {
      AutocastGuard inner(Device::cpu(), kBFloat16);
      const Tensor b = layer(x2);
      EXPECT_EQ(autocast::cached_casts(), 2u);  // reused
      loss = add(a.sum(), b.sum());
    }
    EXPECT_EQ(autocast::cached_casts(), 2u);  // the inner guard's exit keeps it
  }
  EXPECT_EQ(autocast::cached_casts(), 0u);
  loss.backward();
  // The weight's gradient flows through its one cached cast from both uses: the column
  // sums of x and x2 (as bf16 values), for every output row.
  const Tensor expected = add(x.to(kBFloat16).to(kFloat32).sum({0}), x2.to(kBFloat16).to(kFloat32).sum({0}));
  ASSERT_EQ(layer.weight.grad().dtype(), kFloat32);
  for (int64_t row = 0; row < 3; ++row)
    EXPECT_TRUE(allclose(layer.weight.grad().select(0, row), expected, 1e-2, 1e-2)) << row;
  expect_values(layer.bias.grad(), {7, 7, 7}, 0);
}

TEST(Autocast, NoGradCastIsNotReusedByARecordingForward) {
  nn::Linear layer(4, 3);
  const Tensor x = floats({2, 4}, 1);
  AutocastGuard ac(Device::cpu(), kBFloat16);
  {
    NoGradGuard no_grad;
    EXPECT_FALSE(layer(x).requires_grad());
  }
  const Tensor out = layer(x);
  EXPECT_TRUE(out.requires_grad());
  out.sum().backward();
  EXPECT_TRUE(layer.weight.grad().defined());
  EXPECT_EQ(autocast::cached_casts(), 4u);  // two entries per parameter: without and with recording
}

}  // namespace
}  // namespace ember
