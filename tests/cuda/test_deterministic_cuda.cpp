// use_deterministic_algorithms(true) on CUDA (Note [Deterministic algorithms] in
// core/deterministic.h): the ops whose default kernels combine with atomics give the same
// bits on every run, and the CPU's bits where no product meets a sum (grid_sample: its values); cuDNN's deterministic
// engines give the same convolution gradients on every run; two seeded training runs of a small CNN end with the same
// parameters, bit for bit. Skips without a GPU.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

#define REQUIRE_CUDA() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

const Device kCuda = Device::cuda(0);

// The switch on for a test's scope.
struct Deterministic {
  Deterministic() { use_deterministic_algorithms(true); }
  ~Deterministic() { use_deterministic_algorithms(false); }
};

// Values of very different sizes, so that a sum's rounding depends on its order.
Tensor spread_values(const Dims& shape, DType dtype) {
  return (randn(shape, kFloat64) * (randn(shape, kFloat64) * 6.0).exp()).to(dtype);
}

// f on the CPU, and twice on CUDA: the two CUDA runs are equal bit for bit, and equal the
// CPU's result within tol (0: exactly; nvcc may fuse a product and a sum that the CPU rounds
// apart, so only ops without such pairs can give the CPU's bits).
void expect_cpu_bits(const std::function<Tensor(Device)>& f, const std::string& what, double tol = 0.0) {
  SCOPED_TRACE(what);
  const Tensor want = f(Device::cpu());
  const Tensor first = f(kCuda), second = f(kCuda);
  testing::expect_same(want, first, tol);
  EXPECT_TRUE(equal(first.cpu(), second.cpu())) << "two CUDA runs differ";
}

TEST(CudaDeterministic, ScattersAndIndexAddGiveTheCpuBits) {
  REQUIRE_CUDA();
  Deterministic deterministic;
  manual_seed(1);
  for (DType dtype : {kFloat32, kFloat64, kBFloat16}) {
    const std::string name(dtype_name(dtype));
    const Tensor self = spread_values({9, 6}, dtype), src = spread_values({300, 6}, dtype);
    const Tensor index = randint(0, 9, {300, 6});  // about 33 values meet in each element
    expect_cpu_bits([&](Device d) { return scatter_add(self.to(d), 0, index.to(d), src.to(d)); },
                    "scatter_add " + name);
    expect_cpu_bits([&](Device d) { return scatter(self.to(d), 0, index.to(d), src.to(d)); }, "scatter " + name);
    for (const char* reduce : {"sum", "prod", "mean", "amax", "amin"}) {
      expect_cpu_bits([&](Device d) { return scatter_reduce(self.to(d), 0, index.to(d), src.to(d), reduce); },
                      std::string("scatter_reduce ") + reduce + " " + name);
    }
    const Tensor rows = randint(0, 9, {300});
    expect_cpu_bits([&](Device d) { return index_add(self.to(d), 0, rows.to(d), src.to(d)); }, "index_add " + name);
    // A strided self written in place, and a value in place of src.
    expect_cpu_bits(
        [&](Device d) {
          Tensor t = self.to(d).t().contiguous().t();
          t.scatter_add_(0, index.to(d), src.to(d));
          return t.contiguous();
        },
        "scatter_add_ into a strided self " + name);
    expect_cpu_bits([&](Device d) { return scatter(self.to(d), 0, index.to(d), 2.5); }, "scatter of a value " + name);
  }
  // At least 16384 lines (columns): the line (column) forms, a thread each, no sort.
  const Tensor wide = spread_values({4, 20000}, kFloat32), wide_src = spread_values({30, 20000}, kFloat32);
  const Tensor wide_index = randint(0, 4, {30, 20000}), wide_rows = randint(0, 4, {30});
  expect_cpu_bits([&](Device d) { return scatter_add(wide.to(d), 0, wide_index.to(d), wide_src.to(d)); },
                  "scatter_add by lines");
  expect_cpu_bits([&](Device d) { return index_add(wide.to(d), 0, wide_rows.to(d), wide_src.to(d)); },
                  "index_add by columns");
}

TEST(CudaDeterministic, GradientsThroughGathersGiveTheCpuBits) {
  REQUIRE_CUDA();
  Deterministic deterministic;
  manual_seed(3);
  const Tensor x = randn({40, 8}, kFloat32), w = spread_values({500, 8}, kFloat32);
  const Tensor rows = randint(0, 40, {500}), index = randint(0, 40, {500, 8});
  const auto grad_of = [&](const std::function<Tensor(const Tensor&, Device)>& f) {
    return [&, f](Device d) {
      const Tensor leaf = x.to(d).requires_grad_(true);
      (f(leaf, d) * w.to(d)).sum().backward();
      return leaf.grad();
    };
  };
  expect_cpu_bits(grad_of([&](const Tensor& t, Device d) { return t.index_select(0, rows.to(d)); }),
                  "index_select's gradient");
  expect_cpu_bits(grad_of([&](const Tensor& t, Device d) { return t.gather(0, index.to(d)); }), "gather's gradient");
  // bincount with weights: about 700 spread values summed into each of 7 bins.
  const Tensor bins = randint(0, 7, {5000}), weights = spread_values({5000}, kFloat64);
  expect_cpu_bits([&](Device d) { return bincount(bins.to(d), weights.to(d)); }, "weighted bincount");
}

// Positions and weights may round differently on the GPU (fused multiply-adds): the CPU's
// values within a tolerance, and the same bits on every run.
TEST(CudaDeterministic, GridSampleBackwardRepeatsBitForBit) {
  REQUIRE_CUDA();
  Deterministic deterministic;
  manual_seed(2);
  const Tensor input = randn({2, 3, 8, 9}, kFloat64), grid = rand({2, 20, 21, 2}, kFloat64) * 2.2 - 1.1;
  const Tensor w = randn({2, 3, 20, 21}, kFloat64);  // gradients of order 10: an ulp of a weight is far below 1e-9
  for (const char* mode : {"bilinear", "nearest", "bicubic"}) {
    for (const char* padding : {"zeros", "border", "reflection"}) {
      const auto grads = [&](Device d) {
        const Tensor in = input.to(d).requires_grad_(true), g = grid.to(d).requires_grad_(true);
        (F::grid_sample(in, g, mode, padding, false) * w.to(d)).sum().backward();
        return cat({in.grad().flatten(), g.grad().flatten()});
      };
      expect_cpu_bits(grads, std::string("grid_sample ") + mode + " " + padding, 1e-9);
    }
  }
}

// cuDNN planned without its NONDETERMINISTIC engines: the same gradients on every run.
TEST(CudaDeterministic, ConvolutionGradientsRepeatBitForBit) {
  REQUIRE_CUDA();
  for (bool global : {false, true}) {
    // Both switches restored however the test ends (the sanitizer phase runs later suites in
    // this process).
    struct Restore {
      ~Restore() {
        use_deterministic_algorithms(false);
        cudnn::set_deterministic(false);
      }
    } restore;
    if (global)
      use_deterministic_algorithms(true);
    else
      cudnn::set_deterministic(true);
    const Tensor x = randn({64, 16, 14, 14}).cuda(), w = randn({32, 16, 3, 3}).cuda(),
                 g = randn({64, 32, 14, 14}).cuda();
    std::vector<Tensor> first;
    for (int run = 0; run < 3; ++run) {
      const Tensor xr = x.detach().requires_grad_(true), wr = w.detach().requires_grad_(true);
      const std::vector<Tensor> grads = autograd::grad({F::conv2d(xr, wr, Tensor(), 1, 1)}, {xr, wr}, {g});
      if (run == 0) first = grads;
      for (size_t i = 0; i < grads.size(); ++i) testing::expect_same(first[i].cpu(), grads[i]);
    }
  }
}

// The user's promise: the same seed gives the same model after training, bit for bit.
TEST(CudaDeterministic, SeededTrainingRunsEndWithTheSameParameters) {
  REQUIRE_CUDA();
  Deterministic deterministic;
  const auto train = [] {
    manual_seed(7);
    auto net = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
        std::make_shared<nn::Conv2d>(1, 16, 3, nn::Conv2dOptions{.stride = 1, .padding = 1}),
        std::make_shared<nn::BatchNorm2d>(16), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
        std::make_shared<nn::Flatten>(), std::make_shared<nn::Dropout>(0.25),
        std::make_shared<nn::Linear>(16 * 14 * 14, 10)});
    net->to(kCuda);
    optim::SGD sgd(net->parameters(), {.lr = 0.05, .momentum = 0.9});
    const Tensor x = randn({64, 1, 28, 28}).cuda(), y = randint(0, 10, {64}).cuda();
    for (int step = 0; step < 3; ++step) {
      sgd.zero_grad();
      F::cross_entropy((*net)(x), y).backward();
      sgd.step();
    }
    std::vector<Tensor> out;
    for (const Tensor& p : net->parameters()) out.push_back(p.detach().cpu());
    return out;
  };
  const std::vector<Tensor> a = train(), b = train();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) testing::expect_same(a[i], b[i].cuda());
}

}  // namespace
}  // namespace ember
