// index_add / index_copy / index_fill, masked_select / masked_scatter, take_along_dim,
// scatter_reduce (every reduction, atomics with many repeated indices) and
// repeat_interleave on CUDA give the CPU's values and gradients; bad indices are reported
// at the next synchronising point with the CPU's message. Skips without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

#define REQUIRE_CUDA() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

const Device kCuda = Device::cuda(0);

using ember::testing::expect_same;

// The gradients of sum(f(x, y) * w) for x, y on `device`.
std::vector<Tensor> grads_of(const std::function<Tensor(const Tensor&, const Tensor&)>& f, const Tensor& x_cpu,
                             const Tensor& y_cpu, const Tensor& w, Device device) {
  Tensor x = x_cpu.to(device).detach().requires_grad_(true);
  Tensor y = y_cpu.to(device).detach().requires_grad_(true);
  (f(x, y) * w.to(device)).sum().backward();
  return {x.grad(), y.grad()};
}

Tensor longs(const std::vector<int64_t>& v, const Dims& shape) { return tensor(v, shape, dtype(kInt64)); }

// Random int64 indices in [0, n) of `shape` (a fixed seed).
Tensor random_indices(const Dims& shape, int64_t n, uint32_t seed) {
  int64_t n_values = 1;
  for (int64_t s : shape) n_values *= s;
  const auto values = ember::testing::random_values(n_values, seed);
  std::vector<int64_t> idx;
  for (double v : values) idx.push_back(static_cast<int64_t>(std::floor(std::abs(v) * 1000)) % n);
  return longs(idx, shape);
}

TEST(IndexOpsCuda, IndexAddCopyFillMatchTheCpu) {
  REQUIRE_CUDA();
  const Tensor x = randn({64, 33}, kFloat64);
  const Tensor idx = random_indices({100}, 64, 1);  // many repeats
  const Tensor src = randn({100, 33}, kFloat64);
  expect_same(x.index_add(0, idx, src, 0.5), x.to(kCuda).index_add(0, idx.to(kCuda), src.to(kCuda), 0.5), 1e-12);
  const Tensor xt = x.t();  // non-contiguous
  const Tensor src1 = randn({33, 100}, kFloat32);
  expect_same(xt.to(kFloat32).index_add(1, idx, src1), xt.to(kFloat32).to(kCuda).index_add(1, idx.to(kCuda), src1.to(kCuda)),
              1e-4);
  const Tensor uidx = longs({5, 0, 63, 17}, {4});
  const Tensor usrc = randn({4, 33}, kFloat64);
  expect_same(x.index_copy(0, uidx, usrc), x.to(kCuda).index_copy(0, uidx.to(kCuda), usrc.to(kCuda)));
  expect_same(x.index_fill(1, longs({-1, 3, 3}, {3}), 2.5), x.to(kCuda).index_fill(1, longs({-1, 3, 3}, {3}).to(kCuda), 2.5));
  Tensor y = x.to(kCuda);
  y.index_add_(0, idx.to(kCuda), src.to(kCuda));
  expect_same(x.index_add(0, idx, src), y, 1e-12);

  const Tensor w = randn({64, 33}, kFloat64);
  const auto f = [&](const Tensor& a, const Tensor& s) { return a.index_add(0, idx.to(a.device()), s, 2.0); };
  const auto gc = grads_of(f, x, src, w, Device::cpu()), gg = grads_of(f, x, src, w, kCuda);
  expect_same(gc[0], gg[0], 1e-12);
  expect_same(gc[1], gg[1], 1e-12);
  const auto fc = [&](const Tensor& a, const Tensor& s) { return a.index_copy(0, uidx.to(a.device()), s); };
  const auto cc = grads_of(fc, x, usrc, w, Device::cpu()), cg = grads_of(fc, x, usrc, w, kCuda);
  expect_same(cc[0], cg[0]);
  expect_same(cc[1], cg[1]);
}

TEST(IndexOpsCuda, MaskedSelectScatterAndTakeAlongDimMatchTheCpu) {
  REQUIRE_CUDA();
  const Tensor x = randn({50, 40}, kFloat32);
  const Tensor mask = randn({50, 40}, kFloat32).gt(0.3);
  expect_same(x.masked_select(mask), x.to(kCuda).masked_select(mask.to(kCuda)));
  const Tensor row_mask = randn({40}, kFloat32).gt(0.0);  // broadcast
  expect_same(x.t().masked_select(row_mask.unsqueeze(1)), x.to(kCuda).t().masked_select(row_mask.to(kCuda).unsqueeze(1)));
  const Tensor source = randn({2000}, kFloat32);
  expect_same(x.masked_scatter(mask, source), x.to(kCuda).masked_scatter(mask.to(kCuda), source.to(kCuda)));
  const Tensor w = randn({50, 40}, kFloat64);
  const auto f = [&](const Tensor& a, const Tensor& s) { return a.masked_scatter(mask.to(a.device()), s); };
  const auto gc = grads_of(f, x.to(kFloat64), source.to(kFloat64), w, Device::cpu());
  const auto gg = grads_of(f, x.to(kFloat64), source.to(kFloat64), w, kCuda);
  expect_same(gc[0], gg[0]);
  expect_same(gc[1], gg[1]);

  const Tensor order = x.argsort(1);
  expect_same(x.take_along_dim(order, 1), x.to(kCuda).take_along_dim(order.to(kCuda), 1));
  const Tensor rows = random_indices({7, 1}, 50, 2);
  expect_same(x.take_along_dim(rows, 0), x.to(kCuda).take_along_dim(rows.to(kCuda), 0));
  expect_same(x.take_along_dim(random_indices({9}, 2000, 3)), x.to(kCuda).take_along_dim(random_indices({9}, 2000, 3).to(kCuda)));
}

TEST(IndexOpsCuda, ScatterReduceMatchesTheCpuForEveryReduction) {
  REQUIRE_CUDA();
  const Tensor self = randn({8, 16}, kFloat64);
  const Tensor index = random_indices({8, 500}, 16, 4);  // ~30 values per position: atomics contend
  const Tensor src = randn({8, 500}, kFloat64) * 0.1 + 1.0;  // products stay finite
  for (const char* reduce : {"sum", "prod", "mean", "amax", "amin"}) {
    for (bool include_self : {true, false}) {
      SCOPED_TRACE(std::string(reduce) + (include_self ? " include_self" : " exclude_self"));
      expect_same(self.scatter_reduce(1, index, src, reduce, include_self),
                  self.to(kCuda).scatter_reduce(1, index.to(kCuda), src.to(kCuda), reduce, include_self), 1e-9);
      for (DType dt : {kFloat32, kBFloat16, kInt64}) {
        if (dt == kInt64 && std::string(reduce) == "prod") continue;  // overflows
        // bfloat16 sums round at every atomic add (8 significant bits): two orders of ~30
        // additions near 30 differ by up to ~1.25, past any useful tolerance. Quarter steps
        // keep every partial sum (< 64) exact, so the order cannot matter.
        const bool additive = std::string(reduce) == "sum" || std::string(reduce) == "mean";
        const auto prepared = [&](const Tensor& t) {
          if (dt == kInt64) return (t * 10.0).to(dt);
          if (dt == kBFloat16 && additive) return ((t * 4.0).round() / 4.0).to(dt);
          return t.to(dt);
        };
        const Tensor s = prepared(src), a = prepared(self);
        const Tensor cpu = a.scatter_reduce(1, index, s, reduce, include_self);
        const Tensor gpu = a.to(kCuda).scatter_reduce(1, index.to(kCuda), s.to(kCuda), reduce, include_self);
        const bool exact = std::string(reduce) == "amax" || std::string(reduce) == "amin" || dt == kInt64;
        expect_same(cpu, gpu, exact ? 0.0 : (dt == kBFloat16 ? 0.5 : 1e-3));
      }
    }
  }
  const Tensor w = randn({8, 16}, kFloat64);
  for (const char* reduce : {"sum", "mean", "amax", "amin"}) {
    const auto f = [&](const Tensor& a, const Tensor& s) { return a.scatter_reduce(1, index.to(a.device()), s, reduce, false); };
    const auto gc = grads_of(f, self, src, w, Device::cpu()), gg = grads_of(f, self, src, w, kCuda);
    expect_same(gc[0], gg[0], 1e-12);
    expect_same(gc[1], gg[1], 1e-12);
  }
  expect_same(self.scatter(1, index, src, "multiply"), self.to(kCuda).scatter(1, index.to(kCuda), src.to(kCuda), "multiply"),
              1e-9);
}

TEST(IndexOpsCuda, RepeatInterleaveMatchesTheCpu) {
  REQUIRE_CUDA();
  const Tensor x = randn({6, 5}, kFloat32);
  const Tensor repeats = longs({0, 3, 1, 2, 5, 1}, {6});
  expect_same(x.repeat_interleave(repeats, 0), x.to(kCuda).repeat_interleave(repeats.to(kCuda), 0));
  expect_same(repeat_interleave(repeats), repeat_interleave(repeats.to(kCuda)));
  expect_same(x.repeat_interleave(3), x.to(kCuda).repeat_interleave(3));
  expect_same(x.t().repeat_interleave(2, 1), x.to(kCuda).t().repeat_interleave(2, 1));
}

TEST(IndexOpsCuda, BadIndicesAreReportedWithTheCpuMessage) {
  REQUIRE_CUDA();
  const Tensor x = zeros({3, 4}, TensorOptions(kFloat32).device(kCuda));
  (void)x.index_add(0, longs({7}, {1}).to(kCuda), ones({1, 4}).to(kCuda));  // no error at the launch
  EXPECT_EMBER_ERROR(cuda::synchronize(), "index out of range in self");
  (void)x.scatter_reduce(1, longs({9}, {1, 1}).to(kCuda), ones({1, 1}).to(kCuda), "amax");
  EXPECT_EMBER_ERROR(cuda::synchronize(), "index 9 is out of bounds for dimension 1 with size 4");
  // the device is still usable afterwards
  expect_same(zeros({3, 4}).index_fill(0, longs({1}, {1}), 1.0), x.index_fill(0, longs({1}, {1}).to(kCuda), 1.0));
}

}  // namespace
}  // namespace ember
