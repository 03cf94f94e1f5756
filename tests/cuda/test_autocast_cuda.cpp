// bfloat16, float16 and autocast on CUDA (Note [BFloat16], Note [Float16], Note
// [Autocast]): cuBLAS/cuDNN 16-bit products against float64 references within the dtype's
// tolerance, casting copies (float16's against the CPU's bits), relu, dropout, pooling and
// the scatter atomics on 16-bit tensors, the autocast lists on CUDA tensors, and a small
// CNN's fp32 gradients under bf16 and float16 autocast (with loss scaling) close to the fp32
// run. All skip without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <cmath>
#include <optional>

#include "nn/optim/grad_scaler.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

#define REQUIRE_CUDA() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

Tensor normal(const Dims& shape, uint32_t seed) {
  return tensor(testing::random_values(shape_numel(shape), seed), shape, kFloat64);
}

// max |got - ref| <= atol + rtol * max |ref| (the 16-bit rounding of the result dominates).
void expect_close(const Tensor& got, const Tensor& ref, double rtol, double atol = 1e-3) {
  ASSERT_EQ(got.sizes(), ref.sizes());
  const Tensor g = got.cpu().to(kFloat64), r = ref.cpu().to(kFloat64);
  const double scale = r.abs().max().item<double>();
  const double err = (g - r).abs().max().item<double>();
  EXPECT_LE(err, atol + rtol * scale) << "max |ref| " << scale;
}

TEST(CudaBFloat16, CastingCopiesRoundLikeTheCpu) {
  REQUIRE_CUDA();
  const Tensor f = tensor(std::vector<float>{1.0f, 0.1f, 3.14159265f, -65535.0f, INFINITY, NAN});
  const Tensor on_gpu = f.cuda().to(kBFloat16);
  EXPECT_EQ(on_gpu.dtype(), kBFloat16);
  const std::vector<double> cpu = f.to(kBFloat16).to_vector<double>(), gpu = on_gpu.cpu().to_vector<double>();
  for (size_t i = 0; i + 1 < cpu.size(); ++i) EXPECT_EQ(gpu[i], cpu[i]) << i;
  EXPECT_TRUE(std::isnan(gpu.back()));
  testing::expect_values(on_gpu.to(kFloat32).cpu().narrow(0, 0, 3), {1.0, 0.10009765625, 3.140625}, 0);
  // host <-> device moves keep the bits
  EXPECT_EQ(f.to(kBFloat16).cuda().cpu().to_vector<double>().front(), 1.0);
}

// A 16-bit matmul and bmm against the exact product of the rounded inputs (one final
// rounding, `ulp` relative, apart) and against the float64 inputs (the dtype's tolerance).
void expect_gemm_accumulates_in_float32(DType dtype, double ulp, double rtol, double atol) {
  const Tensor a64 = normal({33, 300}, 1), b64 = normal({300, 17}, 2);
  const Tensor a = a64.to(dtype).cuda(), b = b64.to(dtype).cuda();
  const Tensor out = matmul(a, b);
  EXPECT_EQ(out.dtype(), dtype);
  const Tensor exact = matmul(a.cpu().to(kFloat64), b.cpu().to(kFloat64));
  expect_close(out, exact, ulp);
  expect_close(bmm(a.unsqueeze(0), b.unsqueeze(0)).squeeze(0), exact, ulp);
  expect_close(out, matmul(a64, b64), rtol, atol);
}

// A 16-bit conv2d forward and backward through cuDNN against float64 on the rounded
// operands, NCHW and channels-last, within `rtol`.
void expect_conv2d_close_to_float64(DType dtype, double rtol) {
  const Tensor x64 = normal({4, 8, 12, 12}, 3), w64 = normal({16, 8, 3, 3}, 4), b64 = normal({16}, 5);
  const Tensor x = x64.to(dtype).cuda().requires_grad_(true);
  const Tensor w = w64.to(dtype).cuda().requires_grad_(true);
  const Tensor b = b64.to(dtype).cuda().requires_grad_(true);
  const Tensor out = F::conv2d(x, w, b, 1, 1);
  EXPECT_EQ(out.dtype(), dtype);
  const Tensor x_ref = x.detach().cpu().to(kFloat64).requires_grad_(true);
  const Tensor w_ref = w.detach().cpu().to(kFloat64).requires_grad_(true);
  const Tensor b_ref = b.detach().cpu().to(kFloat64).requires_grad_(true);
  const Tensor ref = F::conv2d(x_ref, w_ref, b_ref, 1, 1);
  expect_close(out, ref, rtol);
  const Tensor g64 = normal(ref.sizes(), 6);
  out.backward(g64.to(dtype).cuda());
  ref.backward(g64.to(dtype).to(kFloat64));
  EXPECT_EQ(x.grad().dtype(), dtype);
  expect_close(x.grad(), x_ref.grad(), rtol);
  expect_close(w.grad(), w_ref.grad(), rtol);
  expect_close(b.grad(), b_ref.grad(), rtol);
  // Channels-last operands take the same plans' NHWC forms.
  const Tensor nhwc = F::conv2d(x.detach().contiguous(MemoryFormat::ChannelsLast),
                                w.detach().contiguous(MemoryFormat::ChannelsLast), b.detach(), 1, 1);
  expect_close(nhwc, ref, rtol);
}

TEST(CudaBFloat16, GemmAccumulatesInFloat32) {
  REQUIRE_CUDA();
  expect_gemm_accumulates_in_float32(kBFloat16, 1.0 / 128, 3e-2, 0.2);
}

TEST(CudaBFloat16, Conv2dForwardAndBackwardAgainstFloat64) {
  REQUIRE_CUDA();
  expect_conv2d_close_to_float64(kBFloat16, 1.0 / 64);
}

TEST(CudaFloat16, GemmAccumulatesInFloat32) {
  REQUIRE_CUDA();
  expect_gemm_accumulates_in_float32(kFloat16, 1.0 / 1024, 5e-3, 0.05);
}

TEST(CudaFloat16, Conv2dForwardAndBackwardAgainstFloat64) {
  REQUIRE_CUDA();
  expect_conv2d_close_to_float64(kFloat16, 1.0 / 512);
}

TEST(CudaBFloat16, ReluDropoutAndReductions) {
  REQUIRE_CUDA();
  const Tensor h = normal({1000}, 7).to(kBFloat16).cuda().requires_grad_(true);
  const Tensor y = F::relu(h);
  EXPECT_EQ(y.dtype(), kBFloat16);
  testing::expect_values(y.cpu(), h.detach().cpu().relu().to_vector<double>(), 0);
  y.sum().backward();
  testing::expect_values(h.grad().cpu(), gt(h.detach().cpu(), 0).to(kFloat64).to_vector<double>(), 0);
  const Tensor d = F::dropout(ones({4096}, TensorOptions(kBFloat16).device(Device::cuda(0))), 0.5, true);
  EXPECT_EQ(d.dtype(), kBFloat16);
  const double kept = gt(d, 0).to(kFloat64).sum().item<double>() / 4096.0;
  EXPECT_NEAR(kept, 0.5, 0.05);
  EXPECT_EQ(d.max().item<double>(), 2.0);
  EXPECT_EQ(ones({1000}, TensorOptions(kBFloat16).device(Device::cuda(0))).sum().item<double>(), 1000.0);
}

// bf16 dropout draws the CPU's mask from the same seed, with p and the scale rounded to
// bf16 as the CPU's kernel rounds them (p = 0.3 is not a bf16 value), forward and backward.
TEST(CudaBFloat16, DropoutMatchesTheCpuBitForBit) {
  REQUIRE_CUDA();
  const Tensor x = normal({8192}, 5).to(kBFloat16);
  auto run = [&](const Device& dev) {
    const Tensor leaf = x.detach().to(dev).requires_grad_(true);
    manual_seed(21);
    const Tensor y = F::dropout(leaf, 0.3, true);
    (y * 3.0).sum().backward();
    return std::pair{y.cpu().to(kFloat64).to_vector<double>(), leaf.grad().cpu().to(kFloat64).to_vector<double>()};
  };
  const auto [y_cpu, g_cpu] = run(Device::cpu());
  const auto [y_cuda, g_cuda] = run(Device::cuda(0));
  EXPECT_EQ(y_cuda, y_cpu);
  EXPECT_EQ(g_cuda, g_cpu);
}

// float16 (Note [Float16] in core/half.h): conversions in CUDA kernels give the CPU's
// bits, cuBLAS (CUDA_R_16F) and cuDNN (HALF) products accumulate in fp32, the scatter
// atomics' compare-and-swap on float16 words, pooling and dropout as on the CPU.
TEST(CudaFloat16, ConversionsInKernelsGiveTheCpusBits) {
  REQUIRE_CUDA();
  // Every finite float16 value through the device's narrowing and widening comes back as it was.
  std::vector<float> values;
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    const float v = Half::from_bits(static_cast<uint16_t>(bits));
    if (std::isfinite(v)) values.push_back(v);
  }
  const Tensor exact = tensor(values);
  EXPECT_TRUE(equal(exact.cuda().to(kFloat16).to(kFloat32).cpu(), exact));
  // Floats around the subnormal, overflow and tie boundaries round as on the CPU.
  std::vector<float> edges;
  for (float centre : {0x1p-25f, 0x1p-24f, 0x1p-14f, 65504.0f, 65520.0f, 1.0f + 0x1p-11f, 0.1f, 1e-8f}) {
    float up = centre, down = centre;
    for (int k = 0; k < 20; ++k) {
      up = std::nextafter(up, INFINITY);
      down = std::nextafter(down, 0.0f);
      for (float v : {centre, up, down}) {
        edges.push_back(v);
        edges.push_back(-v);
      }
    }
  }
  const Tensor f = tensor(edges);
  EXPECT_TRUE(equal(f.cuda().to(kFloat16).to(kFloat64).cpu(), f.to(kFloat16).to(kFloat64)));
  const Tensor h = randn({4096}).mul(1000.0).to(kFloat16);  // float16 values in about [-4000, 4000]
  EXPECT_TRUE(equal(h.cuda().to(kFloat32).cpu(), h.to(kFloat32)));
  EXPECT_TRUE(equal(h.cuda().to(kBFloat16).cpu().to(kFloat32), h.to(kBFloat16).to(kFloat32)));
  const Tensor finite = h.clamp(-60000.0, 60000.0);
  EXPECT_TRUE(equal(finite.cuda().to(kInt64).cpu(), finite.to(kInt64)));
}

TEST(CudaFloat16, ScatterAtomicsPoolingAndDropout) {
  REQUIRE_CUDA();
  const Device gpu = Device::cuda(0);
  // index_add and scatter_add add float16 through compare-and-swap of the 32-bit word
  // around each element (neighbours in one word must not lose each other's adds).
  const Tensor src = normal({400, 6}, 8).to(kFloat16);
  const Tensor index = randint(0, 5, {400}, kInt64);
  const Tensor base = zeros({5, 6}, kFloat16);
  expect_close(index_add(base.cuda(), 0, index.cuda(), src.cuda()),
               index_add(base.to(kFloat64), 0, index, src.to(kFloat64)), 5e-3, 0.05);
  const Tensor idx2 = randint(0, 5, {400, 6}, kInt64);
  expect_close(scatter_add(base.cuda(), 0, idx2.cuda(), src.cuda()),
               scatter_add(base.to(kFloat64), 0, idx2, src.to(kFloat64)), 5e-3, 0.05);
  EXPECT_TRUE(equal(scatter_reduce(base.cuda(), 0, idx2.cuda(), src.cuda(), "amax").cpu(),
                    scatter_reduce(base, 0, idx2, src, "amax")));
  // Pooling widens to float32 and rounds once: max pooling gives the CPU's values exactly.
  const Tensor img = normal({2, 3, 9, 9}, 9).to(kFloat16);
  EXPECT_TRUE(equal(F::max_pool2d(img.cuda(), 2).cpu(), F::max_pool2d(img, 2)));
  EXPECT_TRUE(equal(F::avg_pool2d(img.cuda(), 3).cpu(), F::avg_pool2d(img, 3)));
  // Dropout draws the CPU's Philox mask (float16, like bf16, never takes cuDNN's dropout).
  const Tensor x = normal({8192}, 5).to(kFloat16);
  auto run = [&](const Device& dev) {
    const Tensor leaf = x.detach().to(dev).requires_grad_(true);
    manual_seed(21);
    const Tensor y = F::dropout(leaf, 0.3, true);
    (y * 3.0).sum().backward();
    return std::pair{y.cpu().to(kFloat64).to_vector<double>(), leaf.grad().cpu().to(kFloat64).to_vector<double>()};
  };
  const auto [y_cpu, g_cpu] = run(Device::cpu());
  const auto [y_cuda, g_cuda] = run(gpu);
  EXPECT_EQ(y_cuda, y_cpu);
  EXPECT_EQ(g_cuda, g_cpu);
}

TEST(CudaAutocast, OpListsOnCudaTensors) {
  REQUIRE_CUDA();
  const Device gpu = Device::cuda(0);
  const Tensor x = randn({2, 3, 8, 8}).cuda(), w = randn({4, 3, 3, 3}).cuda();
  const Tensor m = randn({5, 7}).cuda(), lw = randn({3, 7}).cuda();
  const Tensor targets = tensor(std::vector<int64_t>{0, 1, 2, 1, 0}).cuda();
  AutocastGuard ac(gpu, kBFloat16);
  const Tensor conv = F::conv2d(x, w, Tensor(), 1, 1);
  EXPECT_EQ(conv.dtype(), kBFloat16);
  EXPECT_EQ(F::linear(m, lw).dtype(), kBFloat16);
  EXPECT_EQ(matmul(m, lw.t()).dtype(), kBFloat16);
  // batch norm is on neither list, as in PyTorch: its input's dtype (Note [Autocast])
  EXPECT_EQ(F::batch_norm(conv, zeros({4}).cuda(), ones({4}).cuda(), Tensor(), Tensor(), true).dtype(), kBFloat16);
  EXPECT_EQ(F::cross_entropy(F::linear(m, lw), targets).dtype(), kFloat32);
  EXPECT_EQ(F::softmax(conv, 1).dtype(), kFloat32);
  EXPECT_EQ(add(conv, conv).dtype(), kBFloat16);
  EXPECT_EQ(matmul(m.cpu(), lw.t().cpu()).dtype(), kFloat32);  // CPU tensors: CUDA autocast does not apply
}

// The small CNN's parameter gradients on the GPU under autocast to `dtype` against the
// float32 run's: float32 gradients, close in direction and in L2. Rounding moves some
// max-pool winners and ReLU decisions, so single elements may differ a lot. float16 runs
// PyTorch's recipe: the loss scaled by GradScaler, the gradients unscaled before comparing.
struct Closeness {
  double loss_rtol, min_cosine, max_relative_l2;
};
void expect_small_cnn_close_to_float32(DType dtype, Closeness bounds) {
  const Device gpu = Device::cuda(0);
  manual_seed(3);
  auto net = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      // No conv bias: BatchNorm follows, so its gradient is 0 by construction and 16-bit
      // rounding noise would be all there is to compare.
      std::make_shared<nn::Conv2d>(1, 8, 3, nn::Conv2dOptions{.stride = 1, .padding = 1, .bias = false}),
      std::make_shared<nn::BatchNorm2d>(8), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(8 * 14 * 14, 32), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(32, 10)});
  net->to(gpu);
  const Tensor x = randn({16, 1, 28, 28}).cuda();
  const Tensor y = randint(0, 10, {16}, kInt64).cuda();
  optim::SGD sgd(net->parameters(), {.lr = 0.0});  // lr 0: the step must not move the comparison
  amp::GradScaler scaler;
  auto run = [&](bool amp) {
    net->zero_grad(true);
    Tensor loss;
    {
      std::optional<AutocastGuard> ac;
      if (amp) ac.emplace(gpu, dtype);
      loss = F::cross_entropy((*net)(x), y);
    }
    if (amp && dtype == kFloat16) {
      scaler.scale(loss).backward();
      scaler.unscale_(sgd);
      EXPECT_TRUE(scaler.step(sgd));
      scaler.update();
    } else {
      loss.backward();
    }
    std::vector<Tensor> grads;
    for (const Tensor& p : net->parameters()) grads.push_back(p.grad().clone());
    return std::make_pair(loss.item<double>(), grads);
  };
  const auto [loss32, grads32] = run(false);
  const auto [loss16, grads16] = run(true);
  EXPECT_NEAR(loss16, loss32, bounds.loss_rtol * std::abs(loss32));
  ASSERT_EQ(grads16.size(), grads32.size());
  double err2 = 0, ref2 = 0;
  for (size_t i = 0; i < grads16.size(); ++i) {
    EXPECT_EQ(grads16[i].dtype(), kFloat32) << i;
    const Tensor a = grads16[i].cpu().to(kFloat64).flatten(), b = grads32[i].cpu().to(kFloat64).flatten();
    const double cosine =
        (a * b).sum().item<double>() / std::sqrt((a * a).sum().item<double>() * (b * b).sum().item<double>());
    EXPECT_GT(cosine, bounds.min_cosine) << "parameter " << i;
    err2 += ((a - b) * (a - b)).sum().item<double>();
    ref2 += (b * b).sum().item<double>();
  }
  EXPECT_LT(std::sqrt(err2 / ref2), bounds.max_relative_l2);
}

// A simulation of this net in PyTorch over 60 seeds: cosine >= 0.973, relative L2 error <= 0.117.
TEST(CudaAutocast, SmallCnnGradientsAreFloat32AndCloseToFloat32) {
  REQUIRE_CUDA();
  expect_small_cnn_close_to_float32(kBFloat16, {.loss_rtol = 0.02, .min_cosine = 0.95, .max_relative_l2 = 0.25});
}

// float16 keeps 3 more bits than bf16: tighter bounds, with loss scaling.
TEST(CudaAutocast, Float16WithLossScalingIsCloseToFloat32) {
  REQUIRE_CUDA();
  expect_small_cnn_close_to_float32(kFloat16, {.loss_rtol = 0.005, .min_cosine = 0.98, .max_relative_l2 = 0.1});
}

}  // namespace
}  // namespace ember
