// torch.div's rounding modes, cummax/cummin and logcumsumexp on CUDA (new kernels: the
// DivFloor/DivTrunc functors, the cumulative-extreme kernel, the log-add-exp scan in both the
// per-thread and the per-block scan), and the composed utilities and reductions on device
// tensors: values, indices and gradients equal to the CPU's. Skipped without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <cmath>
#include <limits>
#include <vector>

#include "support/cuda_parity.h"
#include "support/helpers.h"

namespace ember {
namespace {

using In = std::vector<Tensor>;
using testing::expect_cuda_matches_cpu;
using testing::expect_same;

#define SKIP_WITHOUT_GPU() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(CudaRoundingScans, DivRoundingModesMatchTheCpuToTheBit) {
  SKIP_WITHOUT_GPU();
  const std::vector<double> a = {-7.5, -7.0, -3.0, -0.0, 0.0, 0.3, 1.0, 5.0, 7.5, kInf, -kInf, kNaN};
  const std::vector<double> b = {2.0, -2.0, 0.1, -0.1, 0.0, 3.0, kInf, -0.5};
  for (const DType dt : {kFloat64, kFloat32, kBFloat16}) {
    const Tensor x = tensor(a, {12, 1}, dt), y = tensor(b, {1, 8}, dt);
    for (const char* mode : {"floor", "trunc"}) {
      SCOPED_TRACE(std::string(mode) + " " + std::string(dtype_name(dt)));
      const Tensor cpu = div(x, y, mode), gpu = div(x.cuda(), y.cuda(), mode);
      expect_same(cpu, gpu);
      const auto c = cpu.to_vector<double>(), g = gpu.cpu().to_vector<double>();
      // the signs of zeros and infinities; a NaN's sign is the hardware's (x86 makes -NaN of
      // 0 / 0, a GPU +NaN), so only NaN-ness is compared there (expect_same)
      for (size_t i = 0; i < c.size(); ++i) {
        if (!std::isnan(c[i])) {
          EXPECT_EQ(std::signbit(c[i]), std::signbit(g[i])) << "at " << i;
        }
      }
      expect_same(div(x, 2.5, mode), div(x.cuda(), 2.5, mode));
    }
  }
  manual_seed(9);
  const Tensor i = randint(-1000, 1000, {64, 33});
  const Tensor j = randint(1, 40, {33}) * (randint(0, 2, {33}) * 2 - 1);
  for (const char* mode : {"floor", "trunc"}) {
    EXPECT_TRUE(equal(div(i, j, mode), div(i.cuda(), j.cuda(), mode).cpu()));
    Tensor inplace = i.cuda();
    inplace.div_(j.cuda(), mode);
    EXPECT_TRUE(equal(div(i, j, mode), inplace.cpu()));
  }
  const int64_t lowest = std::numeric_limits<int64_t>::min();
  const Tensor m = tensor(std::vector<int64_t>{lowest, 7}).cuda();
  EXPECT_EQ(floor_divide(m, -1).cpu().to_vector<int64_t>(), (std::vector<int64_t>{lowest, -7}));
  EXPECT_EQ(testing::error_of([&] { floor_divide(m, tensor(std::vector<int64_t>{1, 0}).cuda()); }), "ZeroDivisionError");
}

TEST(CudaRoundingScans, CummaxCumminMatchTheCpu) {
  SKIP_WITHOUT_GPU();
  manual_seed(12);
  // ties (small integers), NaNs, short and long lines, along each dim of a strided view
  Tensor x = randint(0, 7, {5, 300, 6}).to(kFloat64);
  x.select(1, 17).fill_(kNaN);
  x.select(1, 250).select(1, 2).fill_(kNaN);
  const Tensor view = x.transpose(0, 2);
  for (int64_t d = 0; d < 3; ++d) {
    for (const bool is_max : {true, false}) {
      SCOPED_TRACE("dim " + std::to_string(d) + (is_max ? " cummax" : " cummin"));
      auto [vc, ic] = is_max ? cummax(view, d) : cummin(view, d);
      auto [vg, ig] = is_max ? cummax(view.cuda(), d) : cummin(view.cuda(), d);
      expect_same(vc, vg);
      EXPECT_TRUE(equal(ic, ig.cpu()));
      expect_cuda_matches_cpu({view.contiguous()}, [&](const In& in) {
        return std::get<0>(is_max ? cummax(in[0], d) : cummin(in[0], d));
      });
    }
  }
  for (const DType dt : {kInt64, kBool, kBFloat16, kFloat32}) {
    const Tensor t = randint(0, 2, {4, 70}).to(dt);
    auto [vc, ic] = cummax(t, 1);
    auto [vg, ig] = cummax(t.cuda(), 1);
    EXPECT_TRUE(equal(vc, vg.cpu()));
    EXPECT_TRUE(equal(ic, ig.cpu()));
  }
}

TEST(CudaRoundingScans, LogcumsumexpMatchesTheCpu) {
  SKIP_WITHOUT_GPU();
  manual_seed(13);
  // 6 (a thread per line) and 3000 (a block per line, several tiles) elements per line
  for (const int64_t n : {int64_t{6}, int64_t{3000}}) {
    Tensor x = randn({4, n}, kFloat64) * 30.0;
    x.select(0, 1).select(0, 2).fill_(-kInf);  // one -inf: finite gradients on both devices
    for (const int64_t d : {int64_t{0}, int64_t{1}}) {
      SCOPED_TRACE("n " + std::to_string(n) + " dim " + std::to_string(d));
      expect_cuda_matches_cpu({x}, [d](const In& in) { return logcumsumexp(in[0], d); }, 1e-9);
    }
    const Tensor f = x.to(kFloat32);
    expect_same(logcumsumexp(f, 1), logcumsumexp(f.cuda(), 1), 1e-4);
  }
}

TEST(CudaRoundingScans, ComposedUtilitiesMatchTheCpu) {
  SKIP_WITHOUT_GPU();
  testing::NoMatmulTf32 full_precision;
  manual_seed(14);
  const Tensor a = randn({3, 4, 5}, kFloat64), b = randn({5, 4, 2}, kFloat64);
  expect_cuda_matches_cpu({a, b}, [](const In& in) { return tensordot(in[0], in[1], {1, 2}, {1, 0}); }, 1e-12);
  expect_cuda_matches_cpu({a, b}, [](const In& in) { return kron(in[0], in[1]); }, 1e-12);
  expect_cuda_matches_cpu({a}, [](const In& in) { return rot90(in[0], 3, {2, 1}); });
  expect_cuda_matches_cpu({a}, [](const In& in) { return movedim(in[0], {0, 2}, {2, 0}); });
  expect_cuda_matches_cpu({a.select(0, 0), b.select(0, 0)}, [](const In& in) { return block_diag({in[0], in[1]}); });
  Tensor with_nan = a.clone();
  with_nan.select(2, 1).fill_(kNaN);
  expect_cuda_matches_cpu({with_nan}, [](const In& in) { return nanmean(in[0], {2}); }, 1e-12);
  expect_cuda_matches_cpu({with_nan}, [](const In& in) { return nansum(in[0], {0, 2}); }, 1e-12);
  const auto grids = meshgrid({arange(3).cuda(), arange(4).cuda()}, "xy");
  EXPECT_TRUE(grids[0].is_cuda());
  EXPECT_TRUE(equal(grids[1].cpu(), meshgrid({arange(3), arange(4)}, "xy")[1]));
  EXPECT_TRUE(triu_indices(5, 6, -2, TensorOptions().device(Device::cuda(0))).is_cuda());
  const Tensor e = randint(0, 50, {1000}), t = randint(0, 50, {30});
  EXPECT_TRUE(equal(isin(e, t), isin(e.cuda(), t.cuda()).cpu()));
  const Tensor p = randn({100}), q = p + randn({100}) * 1e-6;
  EXPECT_TRUE(equal(isclose(p, q), isclose(p.cuda(), q.cuda()).cpu()));
}

}  // namespace
}  // namespace ember
