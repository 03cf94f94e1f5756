// gather, scatter, scatter_add, sort and topk on CUDA give the CPU's values, indices and
// gradients (strided inputs, several dtypes); bad indices are reported at the next
// synchronising point with the CPU's message; sort is captured in a CUDA graph (cub's
// scratch memory from the caching allocator). Skips without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

#define REQUIRE_CUDA() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

const Device kCuda = Device::cuda(0);

using ember::testing::expect_same;

// The gradient of sum(f(x) * w) for x on `device` (w fixed).
Tensor grad_of(const std::function<Tensor(const Tensor&)>& f, const Tensor& x_cpu, const Tensor& w, Device device) {
  Tensor x = x_cpu.to(device).detach().requires_grad_(true);
  (f(x) * w.to(device)).sum().backward();
  return x.grad();
}

TEST(GatherCuda, MatchesTheCpuWithGradients) {
  REQUIRE_CUDA();
  const Tensor x = randn({40, 70}, kFloat64).t();  // [70, 40], transposed
  const Tensor index = randint(0, 70, {50, 30});
  expect_same(x.gather(0, index), x.to(kCuda).gather(0, index.to(kCuda)));
  const Tensor columns = randint(0, 40, {70, 9});
  for (DType dt : {kFloat32, kInt64, kBFloat16, kUInt8, kBool}) {
    const Tensor a = randint(0, 100, {70, 40}).to(dt);
    expect_same(a.gather(1, columns), a.to(kCuda).gather(1, columns.to(kCuda)));
  }
  const auto f = [&](const Tensor& t) { return t.gather(0, index.to(t.device())); };
  const Tensor w = randn({50, 30}, kFloat64);
  expect_same(grad_of(f, x, w, Device::cpu()), grad_of(f, x, w, kCuda), 1e-12);
}

TEST(ScatterCuda, MatchesTheCpuWithGradients) {
  REQUIRE_CUDA();
  const Tensor self = randn({64, 50}, kFloat64);
  const Tensor src = randn({64, 30}, kFloat64);
  const Tensor perm = std::get<1>(randn({64, 50}).sort(1)).narrow(1, 0, 30);  // no repeats in a row
  expect_same(self.scatter(1, perm, src), self.to(kCuda).scatter(1, perm.to(kCuda), src.to(kCuda)));
  expect_same(self.scatter(1, perm, 2.5), self.to(kCuda).scatter(1, perm.to(kCuda), 2.5));
  Tensor in_place = self.to(kCuda).t().contiguous().t();  // a strided self written in place
  in_place.scatter_(1, perm.to(kCuda), src.to(kCuda));
  expect_same(self.scatter(1, perm, src), in_place);
  const Tensor repeated = randint(0, 20, {400, 33});
  const Tensor many = randn({400, 33}, kFloat64);
  const Tensor z = zeros({20, 33}, kFloat64);
  expect_same(z.scatter_add(0, repeated, many), z.to(kCuda).scatter_add(0, repeated.to(kCuda), many.to(kCuda)), 1e-12);
  for (DType dt : {kFloat32, kInt64, kBFloat16}) {
    const Tensor values = randint(-3, 4, {400, 33}).to(dt);  // small integers: exact in any order
    expect_same(z.to(dt).scatter_add(0, repeated, values),
                z.to(dt).to(kCuda).scatter_add(0, repeated.to(kCuda), values.to(kCuda)));
  }
  const auto f = [&](const Tensor& t) { return t.scatter(1, perm.to(t.device()), t.narrow(1, 0, 30) * 3.0); };
  const Tensor w = randn({64, 50}, kFloat64);
  expect_same(grad_of(f, self, w, Device::cpu()), grad_of(f, self, w, kCuda), 1e-12);
}

TEST(SortCuda, MatchesTheCpuIncludingTiesAndNaN) {
  REQUIRE_CUDA();
  // Ties and NaNs: both devices sort stably by the same keys, so indices match exactly.
  Tensor t = randint(0, 20, {64, 3000}).to(kFloat32);
  t = where(t == 7.0, std::numeric_limits<float>::quiet_NaN(), t);
  for (bool descending : {false, true}) {
    auto [v, i] = t.sort(1, descending);
    auto [vg, ig] = t.to(kCuda).sort(1, descending);
    expect_same(v, vg);
    expect_same(i, ig);
  }
  const Tensor x = randn({5, 70000}, kFloat64).t();  // long segments, strided input
  auto [v, i] = x.sort(0);
  auto [vg, ig] = x.to(kCuda).sort(0);
  expect_same(v, vg);
  expect_same(i, ig);
  for (DType dt : {kInt64, kBFloat16, kUInt8, kBool}) {
    const Tensor a = randint(0, 3, {30, 100}).to(dt);
    expect_same(std::get<1>(a.sort(1, true)), std::get<1>(a.to(kCuda).sort(1, true)));
  }
  const Tensor w = randn({5, 70000}, kFloat64).t();
  const auto f = [](const Tensor& s) { return std::get<0>(s.sort(0, true)); };
  expect_same(grad_of(f, x, w, Device::cpu()), grad_of(f, x, w, kCuda), 0.0);
}

TEST(TopkCuda, MatchesTheCpuWithGradients) {
  REQUIRE_CUDA();
  const Tensor x = randn({200, 40});
  for (bool largest : {true, false}) {
    auto [v, i] = x.topk(5, 0, largest);
    auto [vg, ig] = x.to(kCuda).topk(5, 0, largest);
    expect_same(v, vg);
    expect_same(i, ig);
  }
  const Tensor w = randn({200, 3});
  const auto f = [](const Tensor& s) { return std::get<0>(s.topk(3, 1)); };
  expect_same(grad_of(f, x, w, Device::cpu()), grad_of(f, x, w, kCuda), 0.0);
  auto [e, ei] = zeros({3, 0}, TensorOptions().device(kCuda)).topk(0);
  EXPECT_EQ(e.sizes(), (Dims{3, 0}));
}

TEST(GatherCuda, BadIndicesAreReportedAtTheNextSynchronisation) {
  REQUIRE_CUDA();
  const Tensor x = randn({4, 3}).to(kCuda);
  (void)x.gather(0, tensor(std::vector<int64_t>{1, 9}, {1, 2}).to(kCuda));  // no error at the launch
  EXPECT_EMBER_ERROR(cuda::synchronize(), "index 9 is out of bounds for dimension 0 with size 4");
  (void)zeros({4, 3}).to(kCuda).scatter_add(1, tensor(std::vector<int64_t>{-1}, {1, 1}).to(kCuda), ones({1, 1}).to(kCuda));
  EXPECT_EMBER_ERROR(cuda::synchronize(), "index -1 is out of bounds for dimension 1 with size 3");
  EXPECT_EQ(x.gather(0, zeros({1, 3}, kInt64).to(kCuda)).sum().item<float>(), x.cpu()[0].sum().item<float>());
}

TEST(SortCuda, IsCapturedInACudaGraph) {
  REQUIRE_CUDA();
  Tensor x = randn({32, 500}).to(kCuda);
  Tensor values = zeros({32, 4}, TensorOptions().device(kCuda));
  auto step = [&] { values.copy_(std::get<0>(x.topk(4, 1))); };
  step();  // warm-up outside the capture
  cuda::Graph graph;
  graph.capture_begin();
  step();
  graph.capture_end();
  const Tensor fresh = randn({32, 500});
  x.copy_(fresh.to(kCuda));
  graph.replay();
  cuda::synchronize();
  expect_same(std::get<0>(fresh.topk(4, 1)), values);
}

}  // namespace
}  // namespace ember
