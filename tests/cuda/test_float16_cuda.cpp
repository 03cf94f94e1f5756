// float16 on CUDA (Note [Float16] in core/half.h): conversions in CUDA kernels give the
// CPU's bits, cuBLAS (CUDA_R_16F) and cuDNN (HALF) products accumulate in fp32, the
// scatter atomics' compare-and-swap on float16 words, float16 dropout draws the CPU's
// masks (float16 autocast with GradScaler on the small CNN's layers:
// CudaAutocast.Float16WithLossScalingIsCloseToFloat32). All skip without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <cmath>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

#define REQUIRE_CUDA() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

Tensor normal(const Dims& shape, uint32_t seed) {
  return tensor(testing::random_values(shape_numel(shape), seed), shape, kFloat64);
}

// max |got - ref| <= atol + rtol * max |ref| (the float16 rounding of the result dominates).
void expect_close(const Tensor& got, const Tensor& ref, double rtol, double atol = 1e-3) {
  ASSERT_EQ(got.sizes(), ref.sizes());
  const Tensor g = got.cpu().to(kFloat64), r = ref.cpu().to(kFloat64);
  const double scale = r.abs().max().item<double>();
  const double err = (g - r).abs().max().item<double>();
  EXPECT_LE(err, atol + rtol * scale) << "max |ref| " << scale;
}

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

TEST(CudaFloat16, GemmAccumulatesInFloat32) {
  REQUIRE_CUDA();
  const Tensor a64 = normal({33, 300}, 1), b64 = normal({300, 17}, 2);
  const Tensor a = a64.to(kFloat16).cuda(), b = b64.to(kFloat16).cuda();
  const Tensor out = matmul(a, b);
  EXPECT_EQ(out.dtype(), kFloat16);
  // Against the exact product of the float16 inputs: one final rounding (2^-11) apart.
  expect_close(out, matmul(a.cpu().to(kFloat64), b.cpu().to(kFloat64)), 1.0 / 1024);
  expect_close(bmm(a.unsqueeze(0), b.unsqueeze(0)).squeeze(0), matmul(a.cpu().to(kFloat64), b.cpu().to(kFloat64)),
               1.0 / 1024);
  expect_close(out, matmul(a64, b64), 5e-3, 0.05);
}

TEST(CudaFloat16, Conv2dForwardAndBackwardAgainstFloat64) {
  REQUIRE_CUDA();
  const Tensor x64 = normal({4, 8, 12, 12}, 3), w64 = normal({16, 8, 3, 3}, 4), b64 = normal({16}, 5);
  const Tensor x = x64.to(kFloat16).cuda().requires_grad_(true);
  const Tensor w = w64.to(kFloat16).cuda().requires_grad_(true);
  const Tensor b = b64.to(kFloat16).cuda().requires_grad_(true);
  const Tensor out = F::conv2d(x, w, b, 1, 1);
  EXPECT_EQ(out.dtype(), kFloat16);
  const Tensor x_ref = x.detach().cpu().to(kFloat64).requires_grad_(true);
  const Tensor w_ref = w.detach().cpu().to(kFloat64).requires_grad_(true);
  const Tensor b_ref = b.detach().cpu().to(kFloat64).requires_grad_(true);
  const Tensor ref = F::conv2d(x_ref, w_ref, b_ref, 1, 1);
  expect_close(out, ref, 1.0 / 512);
  const Tensor g64 = normal(ref.sizes(), 6);
  out.backward(g64.to(kFloat16).cuda());
  ref.backward(g64.to(kFloat16).to(kFloat64));
  EXPECT_EQ(x.grad().dtype(), kFloat16);
  expect_close(x.grad(), x_ref.grad(), 1.0 / 512);
  expect_close(w.grad(), w_ref.grad(), 1.0 / 512);
  expect_close(b.grad(), b_ref.grad(), 1.0 / 512);
  // Channels-last operands take the same plans' NHWC forms.
  const Tensor nhwc = F::conv2d(x.detach().contiguous(MemoryFormat::ChannelsLast),
                                w.detach().contiguous(MemoryFormat::ChannelsLast), b.detach(), 1, 1);
  expect_close(nhwc, ref, 1.0 / 512);
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

}  // namespace
}  // namespace ember
