// Order statistics, counting ops and random fills on CUDA against the CPU: the same values
// (searchsorted's kernel, nonzero/unique/bincount/histc's compositions, quantile's
// gradient), and the same draws from the same seed where the kernels share Philox's
// element mapping. Skips without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::max_abs_diff;

const Device kCuda = Device::cuda(0);

TEST(OrderCountingCuda, SearchsortedMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  for (const DType dt : {kFloat32, kFloat64, kInt64, kBFloat16}) {
    SCOPED_TRACE(std::string(dtype_name(dt)));
    const Tensor boundaries = std::get<0>(sort((randn({7, 33}) * 10).floor().to(dt), -1));
    const Tensor values = (randn({7, 101}) * 10).floor().to(dt);
    for (const bool right : {false, true}) {
      const Tensor cpu = searchsorted(boundaries, values, false, right);
      const Tensor gpu = searchsorted(boundaries.to(kCuda), values.to(kCuda), false, right);
      EXPECT_TRUE(equal(cpu, gpu.cpu()));
      EXPECT_TRUE(equal(bucketize(values, boundaries.select(0, 2), false, right),
                        bucketize(values.to(kCuda), boundaries.select(0, 2).to(kCuda), false, right).cpu()));
    }
  }
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor b = tensor(std::vector<float>{1, 2, 2, nan}, {4});
  const Tensor v = tensor(std::vector<float>{nan, 2, 0, 9}, {4});
  EXPECT_TRUE(equal(searchsorted(b, v), searchsorted(b.to(kCuda), v.to(kCuda)).cpu()));
}

// mode is a stable sort, scatter_add of run lengths and argmax: deterministic, so equal.
TEST(OrderCountingCuda, ModeMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Tensor x = (randn({9, 37}) * 2).round();
  for (const int64_t dim : {0, 1}) {
    auto [v, i] = mode(x, dim);
    auto [gv, gi] = mode(x.to(kCuda), dim);
    EXPECT_TRUE(equal(v, gv.cpu()));
    EXPECT_TRUE(equal(i, gi.cpu()));
  }
  const Tensor leaf = x.to(kFloat64).requires_grad_(true), gleaf = x.to(kFloat64).to(kCuda).requires_grad_(true);
  std::get<0>(mode(leaf, 1)).sum().backward();
  std::get<0>(mode(gleaf, 1)).sum().backward();
  EXPECT_TRUE(equal(leaf.grad(), gleaf.grad().cpu()));
}

TEST(OrderCountingCuda, CountingOpsMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Tensor x = (randn({5, 6, 7}) * 2).round().clamp(-2, 2);
  EXPECT_TRUE(equal(nonzero(x), nonzero(x.to(kCuda)).cpu()));
  EXPECT_TRUE(equal(count_nonzero(x, {1}), count_nonzero(x.to(kCuda), {1}).cpu()));
  const Tensor ints = (rand({1000}) * 50).floor().to(kInt64);
  EXPECT_TRUE(equal(bincount(ints), bincount(ints.to(kCuda)).cpu()));
  const Tensor w = rand({1000}, dtype(kFloat64));
  EXPECT_LT(max_abs_diff(bincount(ints, w), bincount(ints.to(kCuda), w.to(kCuda)).cpu()), 1e-10);
  const Tensor r = randn({10000});
  EXPECT_TRUE(equal(histc(r, 30, -2, 2), histc(r.to(kCuda), 30, -2, 2).cpu()));
  for (const std::optional<int64_t> dim : {std::optional<int64_t>(), std::optional<int64_t>(0), std::optional<int64_t>(2)}) {
    auto [v, i, c] = unique(x, true, true, true, dim);
    auto [gv, gi, gc] = unique(x.to(kCuda), true, true, true, dim);
    EXPECT_TRUE(equal(v, gv.cpu()));
    EXPECT_TRUE(equal(i, gi.cpu()));
    EXPECT_TRUE(equal(c, gc.cpu()));
    auto [cv, ci, cc] = unique_consecutive(x, true, true, dim);
    auto [gcv, gci, gcc] = unique_consecutive(x.to(kCuda), true, true, dim);
    EXPECT_TRUE(equal(cv, gcv.cpu()));
    EXPECT_TRUE(equal(ci, gci.cpu()));
    EXPECT_TRUE(equal(cc, gcc.cpu()));
  }
  // integers: a narrow span counts (scatter_add), a wide one sorts
  for (const Tensor& values : {ints - 20, ints.to(kUInt8), ints * 1000003}) {
    auto [v, i, c] = unique(values, true, true, true);
    auto [gv, gi, gc] = unique(values.to(kCuda), true, true, true);
    EXPECT_TRUE(equal(v, gv.cpu()));
    EXPECT_TRUE(equal(i, gi.cpu()));
    EXPECT_TRUE(equal(c, gc.cpu()));
  }
}

TEST(OrderCountingCuda, OrderStatisticsAndTheirGradientsMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  Tensor x = randn({6, 9}, dtype(kFloat64));
  {
    NoGradGuard no_grad;
    x.select(0, 2).select(0, 4).fill_(std::nan(""));
  }
  const Tensor q = tensor(std::vector<double>{0.1, 0.5, 0.93}, {3}, dtype(kFloat64));
  for (const char* mode : {"linear", "lower", "higher", "midpoint", "nearest"}) {
    SCOPED_TRACE(mode);
    Tensor results[2], grads[2];
    for (int d = 0; d < 2; ++d) {
      Tensor in = x.to(d ? kCuda : Device::cpu()).detach().requires_grad_(true);
      // median propagates the NaN of column 4: without nan_to_num its sum would make every
      // element of out NaN and every gradient zero, and the comparison would check nothing.
      Tensor out = nanquantile(in, q.to(in.device()), 1, false, mode) +
                   std::get<0>(median(in, 0)).nan_to_num(0).sum() + std::get<0>(kthvalue(in, 3, 1)).sum();
      out.nan_to_num(0).sum().backward();
      results[d] = out.detach().cpu();
      grads[d] = in.grad().cpu();
    }
    EXPECT_TRUE(allclose(results[0], results[1], 1e-12, 1e-12, /*equal_nan=*/true));
    EXPECT_LT(max_abs_diff(grads[0], grads[1]), 1e-12);
  }
}

TEST(OrderCountingCuda, FillsDrawTheCpusNumbersFromTheSameSeed) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  for (const DType dt : {kFloat32, kFloat64}) {
    manual_seed(21);
    const Tensor cpu = empty({4097}, dtype(dt)).uniform_(-1, 2);
    manual_seed(21);
    const Tensor gpu = empty({4097}, TensorOptions(dt).device(kCuda)).uniform_(-1, 2);
    EXPECT_TRUE(equal(cpu, gpu.cpu()));
    manual_seed(22);
    const Tensor bern = empty({4097}, dtype(dt)).bernoulli_(0.3);
    manual_seed(22);
    EXPECT_TRUE(equal(bern, empty({4097}, TensorOptions(dt).device(kCuda)).bernoulli_(0.3).cpu()));
  }
  manual_seed(23);
  const Tensor probs = rand({8, 50}, dtype(kFloat64));
  const Tensor draws = multinomial(probs.to(kCuda), 20, true).cpu();
  EXPECT_GE(draws.min().item<int64_t>(), 0);
  EXPECT_LT(draws.max().item<int64_t>(), 50);
  const Tensor distinct = multinomial(probs.to(kCuda), 50, false).cpu();
  EXPECT_TRUE(equal(std::get<0>(sort(distinct, 1)), arange(50, dtype(kInt64)).expand({8, 50})));
}

}  // namespace
}  // namespace ember
