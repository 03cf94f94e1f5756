// Models cast to bfloat16 or float16 on CUDA (Note [16-bit layers outside autocast] in
// nn/functional/args.h): a small CNN after half() / bfloat16(), NCHW and channels-last, on
// the GPU against the same model on the CPU: logits, loss, gradients and running
// statistics of a training step, and eval logits under inference mode; the fused optimizers'
// 16-bit steps against the CPU's bits; batch norm's kernels; activations and pooling; layers
// of many families.
// Skips without a GPU.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/functional.h"
#include "support/helpers.h"
#include "support/model_cases.h"

namespace ember {
namespace {

namespace F = nn::functional;

#define REQUIRE_CUDA() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

// max |got - ref| <= tol * (1 + max |ref|), both brought to the CPU in float64.
void expect_close(const Tensor& got, const Tensor& ref, double tol, const char* what) {
  ASSERT_EQ(got.sizes(), ref.sizes()) << what;
  const Tensor g = got.cpu().to(kFloat64), r = ref.cpu().to(kFloat64);
  EXPECT_LE(testing::max_abs_diff(g, r), tol * (1.0 + r.abs().max().item<double>())) << what;
}

TEST(CudaSixteenBitModels, SmallCnnMatchesTheCpu) {
  REQUIRE_CUDA();
  for (DType dtype : {kBFloat16, kFloat16}) {
    for (MemoryFormat format : {MemoryFormat::Contiguous, MemoryFormat::ChannelsLast}) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + (format == MemoryFormat::ChannelsLast ? " channels-last" : ""));
      // One rounding of a 16-bit result, a few times over through the layers.
      const double tol = dtype == kBFloat16 ? 0.05 : 0.01;
      manual_seed(5);
      auto cpu = testing::one_block_cnn(8, 10, 5, 0.0);
      cpu->to(dtype);
      auto gpu = testing::one_block_cnn(8, 10, 5, 0.0);
      gpu->to(dtype);
      gpu->load_state_dict(cpu->state_dict());
      gpu->to(Device::cuda(0));
      gpu->to(format);
      const Tensor x = tensor(testing::random_values(12 * 10 * 10, 21), {12, 1, 10, 10}, kFloat64).to(dtype);
      const Tensor y = tensor(std::vector<int64_t>{0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1}, {12});
      const Tensor logits_cpu = (*cpu)(x);
      const Tensor logits_gpu = (*gpu)(x.cuda().contiguous(format));
      ASSERT_EQ(logits_gpu.dtype(), dtype);
      expect_close(logits_gpu, logits_cpu, tol, "logits");
      const Tensor loss_cpu = F::cross_entropy(logits_cpu, y), loss_gpu = F::cross_entropy(logits_gpu, y.cuda());
      ASSERT_EQ(loss_gpu.dtype(), dtype);
      expect_close(loss_gpu, loss_cpu, tol, "loss");
      loss_cpu.backward();
      loss_gpu.backward();
      const auto cpu_params = cpu->named_parameters(), gpu_params = gpu->named_parameters();
      for (size_t i = 0; i < cpu_params.size(); ++i) {
        ASSERT_EQ(gpu_params[i].second.grad().dtype(), dtype) << cpu_params[i].first;
        expect_close(gpu_params[i].second.grad(), cpu_params[i].second.grad(), 2 * tol, cpu_params[i].first.c_str());
      }
      const auto cpu_buffers = cpu->named_buffers(), gpu_buffers = gpu->named_buffers();
      for (size_t i = 0; i < cpu_buffers.size(); ++i)
        expect_close(gpu_buffers[i].second, cpu_buffers[i].second, tol, cpu_buffers[i].first.c_str());
      cpu->eval();
      gpu->eval();
      InferenceModeGuard inference;
      expect_close((*gpu)(x.cuda().contiguous(format)), (*cpu)(x), tol, "eval logits");
    }
  }
}

// The fused optimizers on 16-bit parameters (Note [16-bit optimizer steps]): the GPU's
// steps give the CPU's bits (one update function, float math rounded alike).
TEST(CudaSixteenBitModels, OptimizerStepsMatchTheCpuBitForBit) {
  REQUIRE_CUDA();
  for (DType dtype : {kBFloat16, kFloat16}) {
    for (const auto& [name, make] : testing::fused_optimizers()) {
      SCOPED_TRACE(name + " " + std::string(dtype_name(dtype)));
      // Two parameters, so SGD's multi-parameter launch runs too.
      std::vector<Tensor> cpu{tensor(testing::random_values(1000, 31), {1000}, kFloat64).to(dtype),
                              tensor(testing::random_values(37, 32), {37}, kFloat64).to(dtype)};
      std::vector<Tensor> gpu;
      for (Tensor& p : cpu) {
        p.requires_grad_(true);
        gpu.push_back(p.detach().cuda().requires_grad_(true));
      }
      auto opt_cpu = make(cpu);
      auto opt_gpu = make(gpu);
      for (int step = 0; step < 3; ++step) {
        for (size_t i = 0; i < cpu.size(); ++i) {
          const Tensor g = tensor(testing::random_values(cpu[i].numel(), 40 + step), cpu[i].sizes(), kFloat64);
          cpu[i].mutable_grad() = g.to(dtype);
          gpu[i].mutable_grad() = g.to(dtype).cuda();
        }
        opt_cpu->step();
        opt_gpu->step();
      }
      for (size_t i = 0; i < cpu.size(); ++i) EXPECT_TRUE(equal(gpu[i].detach().cpu(), cpu[i].detach())) << i;
    }
  }
}

// ReLU and LeakyReLU (their recorded forms keep bits: Note [16-bit masks from bits]) and
// max pooling (Note [16-bit pooling]) compute each 16-bit value in float and round once on
// both devices, with nothing summed in a device's own order: the GPU gives the CPU's bits,
// forward and backward; average pooling's gradient sums may round to a neighbour.
TEST(CudaSixteenBitModels, ActivationsAndPoolingMatchTheCpu) {
  REQUIRE_CUDA();
  using Layer = std::function<Tensor(const Tensor&)>;
  const std::vector<std::pair<std::string, Layer>> exact{
      {"relu", [](const Tensor& t) { return F::relu(t); }},
      {"leaky_relu 0.2", [](const Tensor& t) { return F::leaky_relu(t, 0.2); }},
      {"max_pool2d 2", [](const Tensor& t) { return F::max_pool2d(t, 2); }},
      {"max_pool2d 3/2/1", [](const Tensor& t) { return F::max_pool2d(t, 3, 2, 1); }},
  };
  const std::vector<std::pair<std::string, Layer>> summed{
      {"avg_pool2d 3/1", [](const Tensor& t) { return F::avg_pool2d(t, 3, 1); }},
      {"adaptive_avg_pool2d 1", [](const Tensor& t) { return F::adaptive_avg_pool2d(t, 1); }},
  };
  for (DType dtype : {kBFloat16, kFloat16})
    for (MemoryFormat format : {MemoryFormat::Contiguous, MemoryFormat::ChannelsLast})
      for (bool is_exact : {true, false})
        for (const auto& [name, layer] : is_exact ? exact : summed) {
          SCOPED_TRACE(name + " " + std::string(dtype_name(dtype)) +
                       (format == MemoryFormat::ChannelsLast ? " channels-last" : ""));
          const Tensor x64 = tensor(testing::random_values(3 * 5 * 9 * 11, 51), {3, 5, 9, 11}, kFloat64);
          const Tensor x = (x64 * 4.0).to(dtype);
          const Tensor x_cpu = x.detach().requires_grad_(true);
          const Tensor x_gpu = x.cuda().contiguous(format).detach().requires_grad_(true);
          const Tensor y_cpu = layer(x_cpu), y_gpu = layer(x_gpu);
          ASSERT_EQ(y_gpu.dtype(), dtype);
          const Tensor g = tensor(testing::random_values(y_cpu.numel(), 52), y_cpu.sizes(), kFloat64).to(dtype);
          y_cpu.backward(g);
          y_gpu.backward(g.cuda().contiguous(format));
          EXPECT_TRUE(equal(y_gpu.detach().cpu().contiguous(), y_cpu.detach())) << "forward";
          if (is_exact) {
            EXPECT_TRUE(equal(x_gpu.grad().cpu().contiguous(), x_cpu.grad())) << "backward";
          } else {
            expect_close(x_gpu.grad(), x_cpu.grad(), 1.0 / 128, "backward");
          }
        }
}

// Batch norm of a 16-bit x on the GPU (ember's kernels, reading and writing 16 bits: cuDNN
// takes float32 only) against the CPU's kernels, as under autocast: float32 weight, bias and
// running statistics. Training and eval (eval recorded, so its saved statistics feed
// backward), NCHW and channels-last, many images per channel (several image groups), a
// gradient the backward may overwrite in place; then the module's consuming eval forward.
TEST(CudaSixteenBitModels, BatchNormMatchesTheCpu) {
  REQUIRE_CUDA();
  const Device gpu = Device::cuda(0);
  for (DType dtype : {kBFloat16, kFloat16})
    for (const Dims& shape : {Dims{1000, 3, 4, 4}, Dims{9, 200, 6, 6}, Dims{64, 7}})
      for (MemoryFormat format : {MemoryFormat::Contiguous, MemoryFormat::ChannelsLast})
        for (bool training : {true, false}) {
          if (format == MemoryFormat::ChannelsLast && shape.size() != 4) continue;
          SCOPED_TRACE(std::string(dtype_name(dtype)) + " [" + std::to_string(shape[0]) + ", " +
                       std::to_string(shape[1]) + ", ...]" + (format == MemoryFormat::ChannelsLast ? " CL" : "") +
                       (training ? " train" : " eval"));
          const double tol = dtype == kBFloat16 ? 1.0 / 128 : 1.0 / 1024;  // a rounding of the output
          const int64_t C = shape[1], n = shape_numel(shape);
          const Tensor x = (tensor(testing::random_values(n, 61), shape, kFloat64) * 3.0 + 1.0).to(dtype);
          const Tensor g = tensor(testing::random_values(n, 62), shape, kFloat64).to(dtype);
          const Tensor w0 = tensor(testing::random_values(C, 63), {C}, kFloat32) + 1.0;
          const Tensor b0 = tensor(testing::random_values(C, 64), {C}, kFloat32);
          const Tensor rm0 = tensor(testing::random_values(C, 65), {C}, kFloat32) * 0.1;
          const Tensor rv0 = tensor(testing::random_values(C, 66), {C}, kFloat32).abs() + 0.5;
          struct Run {
            Tensor out, x, w, b, rm, rv;
          };
          const auto run = [&](Device device, MemoryFormat layout) {
            Run r{Tensor(), x.to(device).contiguous(layout).detach().requires_grad_(true),
                  w0.to(device).detach().requires_grad_(true), b0.to(device).detach().requires_grad_(true),
                  rm0.to(device).clone(), rv0.to(device).clone()};
            r.out = F::batch_norm(r.x, r.rm, r.rv, r.w, r.b, training, 0.1, 1e-5);
            // out * g: the gradient reaching batch norm is a fresh tensor it may overwrite
            (r.out * g.to(device).contiguous(layout)).to(kFloat32).sum().backward();
            return r;
          };
          const Run cpu = run(Device::cpu(), MemoryFormat::Contiguous), cuda = run(gpu, format);
          ASSERT_EQ(cuda.out.dtype(), dtype);
          expect_close(cuda.out, cpu.out, tol, "out");
          expect_close(cuda.x.grad(), cpu.x.grad(), tol, "grad_x");
          expect_close(cuda.w.grad(), cpu.w.grad(), 1e-4, "grad_weight");
          expect_close(cuda.b.grad(), cpu.b.grad(), 1e-4, "grad_bias");
          expect_close(cuda.rm, cpu.rm, 1e-5, "running_mean");
          expect_close(cuda.rv, cpu.rv, 1e-5, "running_var");
        }
  // The consuming eval forward normalizes a 16-bit input in place on the GPU too.
  nn::BatchNorm2d cpu_bn(4), gpu_bn(4);
  cpu_bn.running_mean.copy_(tensor(std::vector<float>{0.5f, -1.0f, 0.25f, 2.0f}));
  cpu_bn.running_var.copy_(tensor(std::vector<float>{1.5f, 0.5f, 2.0f, 0.75f}));
  gpu_bn.load_state_dict(cpu_bn.state_dict());
  gpu_bn.to(gpu);
  cpu_bn.eval();
  gpu_bn.eval();
  NoGradGuard no_grad;
  const Tensor x = (tensor(testing::random_values(8 * 4 * 5 * 5, 67), {8, 4, 5, 5}, kFloat64) * 2.0).to(kBFloat16);
  Tensor consumed = x.cuda();
  const void* storage = consumed.data_ptr();
  const Tensor out = gpu_bn.forward_consuming(std::move(consumed));
  EXPECT_EQ(out.data_ptr(), storage);
  // each value in float, rounded once, on both (nvcc may fuse a multiply-add: a rounding apart)
  expect_close(out, cpu_bn.forward(x), 1.0 / 128, "consumed eval forward");
}

// Every layer of testing::sixteen_bit_layer_cases in bfloat16 and float16 on the GPU against
// the same layer on the CPU: the input's dtype out, values and input gradients within a few
// 16-bit roundings (each device computes in float and rounds once, summing in its own order).
TEST(CudaSixteenBitModels, EveryLayerMatchesTheCpu) {
  REQUIRE_CUDA();
  const Tensor x64 = tensor(testing::random_values(2 * 4 * 6 * 6, 61), {2, 4, 6, 6}, kFloat64);
  // Every layer runs, whatever an earlier one did: one GPU run reports every broken layer.
  for (DType dtype : {kBFloat16, kFloat16})
    for (const auto& [name, layer] : testing::sixteen_bit_layer_cases()) {
      SCOPED_TRACE(name + " " + std::string(dtype_name(dtype)));
      try {
        const double tol = dtype == kBFloat16 ? 0.05 : 0.01;
        const Tensor x_cpu = x64.to(dtype).requires_grad_(true);
        const Tensor x_gpu = x64.to(dtype).cuda().requires_grad_(true);
        const Tensor y_cpu = layer(x_cpu), y_gpu = layer(x_gpu);
        EXPECT_EQ(y_gpu.dtype(), dtype);
        const Tensor g = tensor(testing::random_values(y_cpu.numel(), 62), y_cpu.sizes(), kFloat64).to(dtype);
        y_cpu.backward(g);
        y_gpu.backward(g.cuda());
        EXPECT_EQ(x_gpu.grad().dtype(), dtype);
        expect_close(y_gpu.detach(), y_cpu.detach(), tol, "forward");
        expect_close(x_gpu.grad(), x_cpu.grad(), 2 * tol, "backward");
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
      }
    }
}

}  // namespace
}  // namespace ember
