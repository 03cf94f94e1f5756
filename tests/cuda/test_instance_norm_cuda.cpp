// InstanceNorm on CUDA gives the CPU's output, gradients (x, weight, bias) and running
// statistics for each composition (Note [Instance norm composed]: group_norm, batch_norm on
// [1, N * C, *] with the running update, batch_norm's eval), 3-D to 5-D, float32 and
// float64, and the module's train and eval steps. Skips without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

struct Mode {
  const char* name;
  bool running;          // running statistics given
  bool use_input_stats;  // false: normalize with them
};

TEST(InstanceNormCuda, ForwardBackwardAndRunningStatsMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  for (const Dims& shape : {Dims{4, 6, 50}, Dims{3, 5, 9, 7}, Dims{2, 3, 4, 5, 6}}) {
    for (const Mode mode : {Mode{"input stats", false, true}, Mode{"running update", true, true},
                            Mode{"running stats", true, false}}) {
      for (const DType dtype : {kFloat64, kFloat32}) {
        SCOPED_TRACE(::testing::PrintToString(shape) + " " + mode.name + " " + std::string(dtype_name(dtype)));
        const double tol = dtype == kFloat64 ? 1e-10 : 1e-4;
        const int64_t C = shape[1];
        const Tensor x0 = (randn(shape) * 2.0 + 3.0).to(dtype), g0 = randn(shape).to(dtype);
        const Tensor w0 = (rand({C}) + 0.5).to(dtype), b0 = randn({C}).to(dtype);
        const Tensor rm0 = randn({C}).to(dtype), rv0 = (rand({C}) + 0.5).to(dtype);
        std::vector<Tensor> results[2];
        for (int d = 0; d < 2; ++d) {
          const Device device = d ? Device::cuda(0) : Device::cpu();
          const Tensor x = x0.to(device).detach().requires_grad_(true);
          const Tensor w = w0.to(device).detach().requires_grad_(true), b = b0.to(device).detach().requires_grad_(true);
          const Tensor rm = mode.running ? rm0.to(device).clone() : Tensor();
          const Tensor rv = mode.running ? rv0.to(device).clone() : Tensor();
          const Tensor y = F::instance_norm(x, rm, rv, w, b, mode.use_input_stats, 0.3);
          y.backward(g0.to(device));
          results[d] = {y.cpu(), x.grad().cpu(), w.grad().cpu(), b.grad().cpu()};
          if (mode.running) results[d].insert(results[d].end(), {rm.cpu(), rv.cpu()});
        }
        const char* what[] = {"y", "grad x", "grad weight", "grad bias", "running_mean", "running_var"};
        for (size_t i = 0; i < results[0].size(); ++i) {
          const Tensor got = results[1][i].to(kFloat64), want = results[0][i].to(kFloat64);
          const double scaled = i == 2 || i == 3 ? tol * 10 : tol;  // sums over every position
          EXPECT_TRUE(allclose(got, want, scaled, scaled)) << what[i] << ": max diff " << testing::max_abs_diff(got, want);
        }
      }
    }
  }
}

TEST(InstanceNormCuda, ModuleTrainAndEvalMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Tensor x1 = randn({4, 3, 8, 8}), x2 = randn({4, 3, 8, 8}) * 2.0 + 1.0, x3 = randn({3, 8, 8});
  std::vector<Tensor> results[2];
  for (int d = 0; d < 2; ++d) {
    const Device device = d ? Device::cuda(0) : Device::cpu();
    nn::InstanceNorm2d m(3, {.affine = true, .track_running_stats = true});
    m.to(device);
    m(x1.to(device));
    const Tensor y2 = m(x2.to(device));
    m.eval();
    const Tensor y3 = m(x3.to(device));  // unbatched, with the running statistics
    results[d] = {y2.cpu(), y3.cpu(), m.running_mean.cpu(), m.running_var.cpu()};
  }
  for (size_t i = 0; i < results[0].size(); ++i)
    EXPECT_TRUE(allclose(results[1][i], results[0][i], 1e-4, 1e-4))
        << i << ": max diff " << testing::max_abs_diff(results[1][i], results[0][i]);
}

}  // namespace
}  // namespace ember
