// CUDA parity of the fused RMSprop, Adagrad, AMSGrad Adam/AdamW, Adadelta, Adamax, NAdam
// and RAdam steps: K steps on a GPU give the CPU's parameters and state bit for bit
// (core/optim_math.h and optim_math_more.h round alike on both devices, fused
// multiply-adds included), in float32 and float64, on contiguous and strided parameters;
// capturable AMSGrad Adam follows the plain one (to an ulp of the bias corrections: Note
// [Capturable optimizers]); Adadelta, Adamax, NAdam and RAdam refuse to step in a capture.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include <ember/ember.h>

#include "core/native.h"
#include "support/helpers.h"

namespace ember {
namespace {

constexpr int kSteps = 12;  // RAdam with beta2 = 0.9 rectifies from step 6

using MakeOpt = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

// Parameters and state after kSteps steps on `device` with the same gradients every run
// (g = 0.5 p - 0.3 + noise, made on the CPU), as float64 vectors.
std::vector<std::vector<double>> run(const MakeOpt& make, Device device, DType dtype, bool strided) {
  const std::vector<double> v = ember::testing::random_values(4 * 33, 5);
  Tensor p = tensor(v, {4, 33}, TensorOptions(dtype));
  if (strided) p = native::transpose(native::clone(native::transpose(p, 0, 1)), 0, 1);  // column-major
  p = p.to(device).detach().requires_grad_(true);
  std::unique_ptr<optim::Optimizer> opt = make({p});
  for (int k = 0; k < kSteps; ++k) {
    const Tensor noise = tensor(ember::testing::random_values(4 * 33, 100 + k), {4, 33}, TensorOptions(dtype));
    const Tensor here = p.detach().to(Device::cpu());
    p.mutable_grad() = (here * 0.5 + noise + (-0.3)).detach().to(device);
    opt->step();
  }
  std::vector<std::vector<double>> out{p.detach().to(Device::cpu()).to_vector<double>()};
  for (const auto& [key, value] : opt->state_dict()) out.push_back(value.to(Device::cpu()).to_vector<double>());
  return out;
}

void expect_cuda_matches_cpu(const char* what, const MakeOpt& make, double tol = 0.0) {
  for (DType dtype : {kFloat32, kFloat64})
    for (bool strided : {false, true}) {
      SCOPED_TRACE(std::string(what) + " " + std::string(dtype_name(dtype)) + (strided ? " strided" : ""));
      const auto cpu = run(make, Device::cpu(), dtype, strided);
      const auto gpu = run(make, Device::cuda(0), dtype, strided);
      ASSERT_EQ(cpu.size(), gpu.size());
      for (size_t i = 0; i < cpu.size(); ++i) {
        ASSERT_EQ(cpu[i].size(), gpu[i].size());
        for (size_t j = 0; j < cpu[i].size(); ++j) {
          if (tol == 0.0) ASSERT_EQ(cpu[i][j], gpu[i][j]) << "entry " << i << " element " << j;
          else ASSERT_NEAR(cpu[i][j], gpu[i][j], tol * (1.0 + std::abs(cpu[i][j]))) << "entry " << i;
        }
      }
    }
}

template <typename Opt, typename Options>
MakeOpt maker(const Options& options) {
  return [options](std::vector<Tensor> params) { return std::make_unique<Opt>(std::move(params), options); };
}

TEST(CudaOptimMore, RMSpropMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  expect_cuda_matches_cpu("plain", maker<optim::RMSprop>(optim::RMSpropOptions{}));
  const optim::RMSpropOptions all{.lr = 0.005, .alpha = 0.95, .weight_decay = 0.05, .momentum = 0.5, .centered = true};
  expect_cuda_matches_cpu("all", maker<optim::RMSprop>(all));
}

TEST(CudaOptimMore, AdagradMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const optim::AdagradOptions decay{.lr = 0.1, .lr_decay = 0.05, .weight_decay = 0.1, .initial_accumulator_value = 0.1};
  expect_cuda_matches_cpu("decay", maker<optim::Adagrad>(decay));
}

TEST(CudaOptimMore, AmsgradMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  expect_cuda_matches_cpu("adam",
                          maker<optim::Adam>(optim::AdamOptions{.lr = 0.01, .weight_decay = 0.1, .amsgrad = true}));
  expect_cuda_matches_cpu("adamw", maker<optim::AdamW>(optim::AdamWOptions{.lr = 0.01, .amsgrad = true}));
}

TEST(CudaOptimMore, CapturableAmsgradFollowsThePlainStep) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const MakeOpt plain = maker<optim::Adam>(optim::AdamOptions{.lr = 0.01, .amsgrad = true});
  const MakeOpt capturable = maker<optim::Adam>(optim::AdamOptions{.lr = 0.01, .amsgrad = true, .capturable = true});
  const auto expected = run(plain, Device::cpu(), kFloat32, false);
  const auto got = run(capturable, Device::cuda(0), kFloat32, false);
  ASSERT_EQ(expected[0].size(), got[0].size());
  for (size_t j = 0; j < got[0].size(); ++j) EXPECT_NEAR(expected[0][j], got[0][j], 1e-5) << "element " << j;
}

TEST(CudaOptimMore, NoStepInsideACapture) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  Tensor p = zeros({3}, TensorOptions(kFloat32).device(Device::cuda(0))).requires_grad_(true);
  p.mutable_grad() = ones({3}, TensorOptions(kFloat32).device(Device::cuda(0)));
  optim::RMSprop rms({p});
  rms.step();  // state made outside
  cuda::Graph graph;
  graph.capture_begin();
  EXPECT_EMBER_ERROR(rms.step(), "RMSprop: a step inside a CUDA graph capture is not supported");
  graph.reset();
}

TEST(CudaOptimExtra, AdadeltaMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  expect_cuda_matches_cpu("plain", maker<optim::Adadelta>(optim::AdadeltaOptions{}));
  expect_cuda_matches_cpu("all", maker<optim::Adadelta>(optim::AdadeltaOptions{
                                     .lr = 0.5, .rho = 0.8, .eps = 1e-4, .weight_decay = 0.1, .maximize = true}));
}

TEST(CudaOptimExtra, AdamaxMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  expect_cuda_matches_cpu("all", maker<optim::Adamax>(optim::AdamaxOptions{
                                     .lr = 0.05, .betas = {0.8, 0.95}, .weight_decay = 0.1, .maximize = true}));
}

TEST(CudaOptimExtra, NAdamMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  expect_cuda_matches_cpu("decay", maker<optim::NAdam>(optim::NAdamOptions{
                                       .lr = 0.05, .weight_decay = 0.1, .momentum_decay = 0.01}));
}

// maximize (every fused step) and NAdam's / RAdam's decoupled decay: the same functors on both devices.
TEST(CudaOptimExtra, MaximizeAndDecoupledDecayMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  expect_cuda_matches_cpu("rmsprop", maker<optim::RMSprop>(optim::RMSpropOptions{
                                         .lr = 0.005, .weight_decay = 0.05, .momentum = 0.5, .maximize = true}));
  expect_cuda_matches_cpu("adagrad", maker<optim::Adagrad>(optim::AdagradOptions{.lr = 0.1, .maximize = true}));
  expect_cuda_matches_cpu("adam", maker<optim::Adam>(optim::AdamOptions{
                                      .lr = 0.01, .weight_decay = 0.1, .amsgrad = true, .maximize = true}));
  expect_cuda_matches_cpu("nadamw", maker<optim::NAdam>(optim::NAdamOptions{
                                        .lr = 0.05, .weight_decay = 0.1, .decoupled_weight_decay = true,
                                        .maximize = true}));
  expect_cuda_matches_cpu("radamw", maker<optim::RAdam>(optim::RAdamOptions{
                                        .lr = 0.05, .betas = {0.8, 0.9}, .weight_decay = 0.1,
                                        .decoupled_weight_decay = true, .maximize = true}));
}

TEST(CudaOptimExtra, RAdamMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  expect_cuda_matches_cpu("decay", maker<optim::RAdam>(optim::RAdamOptions{
                                       .lr = 0.05, .betas = {0.8, 0.9}, .weight_decay = 0.1}));
}

// Not capturable: each refuses a step while its parameter's stream captures.
TEST(CudaOptimExtra, NoStepInsideACapture) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const std::pair<MakeOpt, const char*> cases[] = {
      {maker<optim::Adadelta>(optim::AdadeltaOptions{}), "Adadelta: a step inside a CUDA graph capture"},
      {maker<optim::Adamax>(optim::AdamaxOptions{}), "Adamax: a step inside a CUDA graph capture"},
      {maker<optim::NAdam>(optim::NAdamOptions{}), "NAdam: a step inside a CUDA graph capture"},
      {maker<optim::RAdam>(optim::RAdamOptions{}), "RAdam: a step inside a CUDA graph capture"},
  };
  for (const auto& [make, phrase] : cases) {
    Tensor p = zeros({3}, TensorOptions(kFloat32).device(Device::cuda(0))).requires_grad_(true);
    p.mutable_grad() = ones({3}, TensorOptions(kFloat32).device(Device::cuda(0)));
    std::unique_ptr<optim::Optimizer> opt = make({p});
    opt->step();  // state made outside
    cuda::Graph graph;
    graph.capture_begin();
    EXPECT_EMBER_ERROR(opt->step(), phrase);
    graph.reset();
  }
}

}  // namespace
}  // namespace ember
