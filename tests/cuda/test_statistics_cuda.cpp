// CUDA against the CPU for var/std/var_mean, prod, logsumexp, vector_norm, cumsum and
// cumprod (values and gradients), plus what the kernel checks cannot say: float32
// variance of large-mean data on the device, empty and 0-dim inputs, bfloat16.
// Without a GPU each test skips.
#include <cmath>
#include <limits>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using In = std::vector<Tensor>;
using testing::max_abs_diff;

const Device kGpu = Device::cuda(0);

// fn on a float64 CPU input and on its CUDA copy: values and the gradient of sum(out * w).
void expect_parity(const std::function<Tensor(const Tensor&)>& fn, const Tensor& x, double tol) {
  Tensor xc = x.detach().clone().requires_grad_(true);
  Tensor xg = x.detach().to(kGpu).requires_grad_(true);
  const Tensor yc = fn(xc), yg = fn(xg);
  ASSERT_EQ(yg.device(), kGpu);
  EXPECT_LT(max_abs_diff(yc, yg.cpu()), tol);
  const Tensor w = randn(yc.sizes(), kFloat64);
  if (yc.requires_grad()) {
    (yc * w).sum().backward();
    (yg * w.to(kGpu)).sum().backward();
    if (xc.grad().defined()) {
      EXPECT_LT(max_abs_diff(xc.grad(), xg.grad().cpu()), tol);
    }
  }
}

#define SKIP_WITHOUT_GPU() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

TEST(StatisticsCuda, EveryOpMatchesCpu) {
  SKIP_WITHOUT_GPU();
  const Tensor x = randn({37, 300}, kFloat64);
  // Near 1 (products of 300 stay finite), with about 3% exact zeros.
  const Tensor zeros_in = where(gt(rand({37, 300}, kFloat64), 0.97), Scalar(0.0), x * 0.1 + 1.0);
  expect_parity([](const Tensor& t) { return t.var(1); }, x, 1e-12);
  expect_parity([](const Tensor& t) { return std(t.t(), {1}, 0, true); }, x, 1e-12);
  expect_parity([](const Tensor& t) { auto [v, m] = var_mean(t, {0}); return v + m; }, x, 1e-12);
  expect_parity([](const Tensor& t) { auto [s, m] = std_mean(t); return s * m; }, x, 1e-12);
  expect_parity([](const Tensor& t) { return t.prod(1); }, zeros_in, 1e-10);
  expect_parity([](const Tensor& t) { return logsumexp(t, {0, 1}); }, x, 1e-12);
  // ord 0.5 gives values near 6e4 (an ulp is 7.3e-12) from sums of 300 terms in another
  // order on each device, and gradients near 1e5 where |x| is small: 1e-10 would leave a
  // dozen ulps, which the two summation orders alone come close to.
  for (double ord : {2.0, 1.0, std::numeric_limits<double>::infinity(), 0.0, 3.0, 0.5})
    expect_parity([ord](const Tensor& t) { return linalg::vector_norm(t, ord, 1); }, x, 1e-9);
  expect_parity([](const Tensor& t) { return t.cumsum(1); }, x, 1e-10);
  expect_parity([](const Tensor& t) { return t.cumsum(0); }, x, 1e-10);
  expect_parity([](const Tensor& t) { return t.cumprod(1); }, zeros_in, 1e-8);
  expect_parity([](const Tensor& t) { return t.slice(1, 0, 300, 7).cumprod(0); }, zeros_in, 1e-8);
}

// Note [Accumulating variance] on the device.
TEST(StatisticsCuda, Float32LargeMeanVariance) {
  SKIP_WITHOUT_GPU();
  const Tensor x = (randn({1 << 20}, kFloat64) * 1e-2 + 1e4).to(kFloat32);
  const double exact = x.to(kFloat64).var().item<double>();
  EXPECT_NEAR(x.to(kGpu).var().item<double>(), exact, 1e-5 * exact);
  EXPECT_NEAR(x.to(kGpu).view({1024, 1024}).t().var(1).mean().item<double>(), exact, 0.05 * exact);
}

TEST(StatisticsCuda, EmptyZeroDimAndBFloat16) {
  SKIP_WITHOUT_GPU();
  const TensorOptions gpu = TensorOptions(kFloat32).device(kGpu);
  EXPECT_TRUE(std::isnan(zeros({0}, gpu).var().item<double>()));
  EXPECT_EQ(zeros({0, 3}, gpu).prod(0).cpu().to_vector<double>(), (std::vector<double>{1, 1, 1}));
  EXPECT_EQ(zeros({0, 3}, gpu).cumsum(0).sizes(), (Dims{0, 3}));
  EXPECT_EQ(logsumexp(zeros({0}, gpu), 0).item<double>(), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(scalar_tensor(3.0, gpu).cumprod(0).item<double>(), 3.0);
  EXPECT_EQ(tensor({1.0, 2.0}).to(kBFloat16).to(kGpu).var().item<double>(), 0.5);
  EXPECT_EQ(tensor(std::vector<int64_t>{3, -2, 7}).to(kGpu).cumprod(0).cpu().to_vector<int64_t>(),
            (std::vector<int64_t>{3, -6, -42}));
}

}  // namespace
}  // namespace ember
