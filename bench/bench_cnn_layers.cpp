// Common layers on the CPU at training sizes, forward under no_grad and forward + backward:
// layer_norm, group_norm, global average pooling, nearest and bilinear x2 upsampling, a 4x4
// stride-2 convolution, a 3x3 stride-2 max pool (ResNet's stem), a 2x2 average pool, and the
// small CNN's second block (conv, batch norm, ReLU, max pool) in float32, bfloat16 and float16
// (a model after half() / bfloat16()). Twin: bench/pytorch_cnn_layers.py (same cases, names).
#include <benchmark/benchmark.h>

#include <ember/ember.h>

#include <functional>
#include <string>
#include <vector>

namespace {

namespace F = ember::nn::functional;
using ember::Tensor;

struct Case {
  std::string name;
  ember::Dims input;
  std::function<Tensor(const Tensor&)> op;
  ember::DType dtype = ember::kFloat32;
};

// The small CNN's second block at batch 256 (tools/small_cnn.cpp), each layer on its own,
// with its parameters in `dtype`.
void add_block_cases(std::vector<Case>& out, ember::DType dtype) {
  std::string suffix = "_";
  suffix += ember::dtype_name(dtype);
  const Tensor w = (ember::randn({64, 32, 3, 3}) * 0.1).to(dtype).requires_grad_();
  const Tensor b = ember::zeros({64}).to(dtype).requires_grad_();
  const Tensor bn_w = ember::ones({64}).to(dtype).requires_grad_();
  const Tensor bn_b = ember::zeros({64}).to(dtype).requires_grad_();
  const Tensor mean = ember::zeros({64}).to(dtype), var = ember::ones({64}).to(dtype);
  out.push_back({"conv2d_3x3_32to64_256x32x14x14" + suffix, {256, 32, 14, 14},
                 [w, b](const Tensor& x) { return F::conv2d(x, w, b, 1, 1); }, dtype});
  out.push_back({"batch_norm_train_256x64x14x14" + suffix, {256, 64, 14, 14},
                 [=](const Tensor& x) { return F::batch_norm(x, mean, var, bn_w, bn_b, true); }, dtype});
  out.push_back({"relu_256x64x14x14" + suffix, {256, 64, 14, 14}, [](const Tensor& x) { return F::relu(x); }, dtype});
  out.push_back({"max_pool2d_2x2_256x64x14x14" + suffix, {256, 64, 14, 14},
                 [](const Tensor& x) { return F::max_pool2d(x, 2); }, dtype});
}

std::vector<Case> cases() {
  ember::manual_seed(0);
  static const Tensor ln_w = ember::ones({256}).requires_grad_(), ln_b = ember::zeros({256}).requires_grad_();
  static const Tensor gn_w = ember::ones({64}).requires_grad_(), gn_b = ember::zeros({64}).requires_grad_();
  static const Tensor conv_w = ember::randn({128, 64, 4, 4}).requires_grad_();
  std::vector<Case> all{
      {"layer_norm_32x128x256", {32, 128, 256}, [](const Tensor& x) { return F::layer_norm(x, {256}, ln_w, ln_b); }},
      {"group_norm_8_groups_32x64x32x32", {32, 64, 32, 32},
       [](const Tensor& x) { return F::group_norm(x, 8, gn_w, gn_b); }},
      {"adaptive_avg_pool2d_1x1_32x64x32x32", {32, 64, 32, 32},
       [](const Tensor& x) { return F::adaptive_avg_pool2d(x, 1); }},
      {"nearest_x2_32x64x16x16", {32, 64, 16, 16}, [](const Tensor& x) { return F::interpolate(x, {}, 2.0); }},
      {"bilinear_x2_32x64x16x16", {32, 64, 16, 16},
       [](const Tensor& x) { return F::interpolate(x, {}, 2.0, "bilinear", false); }},
      {"conv2d_4x4_stride2_64to128_32x64x16x16", {32, 64, 16, 16},
       [](const Tensor& x) { return F::conv2d(x, conv_w, Tensor(), 2, 1); }},
      {"max_pool2d_3x3_stride2_pad1_32x64x32x32", {32, 64, 32, 32},
       [](const Tensor& x) { return F::max_pool2d(x, 3, 2, 1); }},
      {"avg_pool2d_2x2_32x64x32x32", {32, 64, 32, 32}, [](const Tensor& x) { return F::avg_pool2d(x, 2); }},
  };
  for (ember::DType dtype : {ember::kFloat32, ember::kBFloat16, ember::kFloat16}) add_block_cases(all, dtype);
  return all;
}

void forward_no_grad(benchmark::State& state, const Case& c) {
  const Tensor x = ember::randn(c.input).to(c.dtype);
  ember::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(c.op(x).data_ptr());
}

void forward_backward(benchmark::State& state, const Case& c) {
  const Tensor x = ember::randn(c.input).to(c.dtype).requires_grad_();
  const Tensor upstream = ember::randn(c.op(x).sizes()).to(c.dtype);
  for (auto _ : state) {
    c.op(x).backward(upstream);
    benchmark::DoNotOptimize(x.grad().data_ptr());
  }
}

const bool registered = [] {
  for (const Case& c : cases()) {
    benchmark::RegisterBenchmark(("BM_ember_" + c.name + "_forward").c_str(), forward_no_grad, c)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("BM_ember_" + c.name + "_forward_backward").c_str(), forward_backward, c)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
