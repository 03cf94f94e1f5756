// Review fixes across the torch.Tensor page, Tensor Attributes, torch.backends / torch.cuda's
// memory and thread API and the spectral windows: new_* with options and new_tensor, to()'s
// copy and non_blocking, the attribute predicates, dim-tuple all/any, fill_ of a 0-dim tensor,
// device index checks, memory statistics of a missing GPU, process-wide set_num_threads, the
// window factories, svd_lowrank's default q on small matrices and gradgradcheck's scaling.
#include <cmath>
#include <numbers>
#include <thread>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;

Tensor doubles(const std::vector<double>& v, const Dims& shape) { return tensor(v, shape, dtype(kFloat64)); }

// x.new_zeros(n, dtype=torch.long) and friends: what options set goes over self's.
TEST(TensorApiReview, NewFactoriesTakeOptions) {
  const Tensor x = doubles({1, 2}, {2});
  const Tensor z = x.new_zeros({3}, kInt64);
  EXPECT_EQ(z.dtype(), kInt64);
  EXPECT_EQ(z.sizes(), Dims({3}));
  EXPECT_EQ(x.new_ones({2}).dtype(), kFloat64);
  const Tensor f = x.new_full({2}, -1, TensorOptions(kInt64));
  EXPECT_EQ(f.to_vector<int64_t>(), (std::vector<int64_t>{-1, -1}));
  EXPECT_TRUE(x.new_empty({2}, TensorOptions().requires_grad(true)).requires_grad());
  EXPECT_FALSE(x.new_zeros({2}).requires_grad());
  const Tensor t = x.new_tensor(std::vector<int64_t>{3, 4}, {2});
  EXPECT_EQ(t.dtype(), kFloat64);  // self's dtype, as PyTorch's new_tensor
  expect_values(t, {3, 4}, 0);
  const Tensor leaf = x.detach().requires_grad_(true);
  const Tensor copy = x.new_tensor(leaf * 2);
  EXPECT_FALSE(copy.requires_grad());
  expect_values(copy, {2, 4}, 0);
  EXPECT_EQ(x.new_tensor(std::vector<double>{0.5}, {1}, kFloat32).dtype(), kFloat32);
}

TEST(TensorApiReview, ToCopiesWhenAskedAndTakesNonBlocking) {
  const Tensor x = doubles({1, 2}, {2});
  EXPECT_TRUE(x.to(kFloat64).is_same(x));
  const Tensor c = x.to(kFloat64, /*non_blocking=*/true, /*copy=*/true);
  EXPECT_FALSE(c.is_same(x));
  EXPECT_NE(c.data_ptr(), x.data_ptr());
  EXPECT_TRUE(c.equal(x));
  EXPECT_TRUE(x.to(Device::cpu(), true).is_same(x));
  Tensor y = zeros({2}, kFloat64);
  y.copy_(x, /*non_blocking=*/true);
  EXPECT_TRUE(y.equal(x));
  EXPECT_EQ(x.byte().dtype(), kUInt8);
}

TEST(TensorApiReview, AttributesAndPredicates) {
  const Tensor x = doubles({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(x.ndim(), 2);
  EXPECT_EQ(x.itemsize(), 8u);
  EXPECT_FALSE(x.is_conj());
  EXPECT_FALSE(x.is_neg());
  EXPECT_TRUE(x.is_same_size(zeros({2, 3})));
  EXPECT_FALSE(x.is_same_size(zeros({3, 2})));
  EXPECT_TRUE(x.is_set_to(x.view({2, 3})));
  EXPECT_FALSE(x.is_set_to(x.t()));
  EXPECT_TRUE(x.isreal().all().item<bool>());
  EXPECT_TRUE(doubles({0.5}, {1}).is_nonzero());
  EXPECT_FALSE(doubles({0.0}, {}).is_nonzero());
  EXPECT_EMBER_ERROR(x.is_nonzero(), "Boolean value of Tensor with more than one value is ambiguous");
  EXPECT_EMBER_ERROR(zeros({0}).is_nonzero(), "Boolean value of Tensor with no values is ambiguous");
}

TEST(TensorApiReview, ArgumentFormsOfExistingMethods) {
  const Tensor m = tensor(std::vector<int64_t>{0, 1, 2, 0, 0, 3}, {2, 3});
  EXPECT_EQ(m.count_nonzero(0).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(m.count_nonzero(1).to_vector<int64_t>(), (std::vector<int64_t>{2, 1}));
  const Tensor b = tensor(std::vector<int64_t>{1, 1, 0, 1}, {2, 2}).to(kBool);
  EXPECT_FALSE(b.all({0, 1}).item<bool>());
  EXPECT_TRUE(b.any({0, 1}).item<bool>());
  EXPECT_EQ(all(b, Dims{1}, true).sizes(), Dims({2, 1}));
  // fill_ with a 0-dim tensor: its gradient is the sum of self's
  Tensor value = doubles({2.5}, {}).requires_grad_(true);
  Tensor target = zeros({3}, kFloat64);
  target.fill_(value);
  expect_values(target, {2.5, 2.5, 2.5}, 0);
  (target * doubles({1, 2, 3}, {3})).sum().backward();
  expect_values(value.grad(), {6}, 0);
  EXPECT_EMBER_ERROR(zeros({2}).fill_(zeros({2})),
                     "fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions.");
  // add_ / sub_ of a number with alpha; an integer self refuses a floating alpha
  Tensor a = doubles({1, 2}, {2});
  a.add_(1.0, 3.0).sub_(2, 0.5);
  expect_values(a, {3, 4}, 0);
  Tensor i = tensor(std::vector<int64_t>{1}, {1});
  EXPECT_EMBER_ERROR(i.add_(1, 2.5), "For integral input tensors, argument alpha must not be a floating point number.");
  // gather's sparse_grad, cumprod_, ger, dist, angle, ldexp_
  EXPECT_TRUE(a.gather(0, tensor(std::vector<int64_t>{1}, {1}), false).equal(doubles({4}, {1})));
  Tensor p = doubles({1, 2, 3}, {3});
  p.cumprod_(0);
  expect_values(p, {1, 2, 6}, 0);
  expect_values(doubles({1, 2}, {2}).ger(doubles({3, 4}, {2})), {3, 4, 6, 8}, 0);
  EXPECT_NEAR(doubles({0, 0}, {2}).dist(doubles({3, 4}, {2})).item<double>(), 5.0, 1e-15);
  const double nan = std::nan("");
  expect_values(doubles({-2, 0, 3, nan}, {4}).angle(), {std::numbers::pi, 0, 0, nan}, 1e-15);
  EXPECT_EQ(tensor(std::vector<int64_t>{-1}, {1}).angle().dtype(), kFloat32);
  const Tensor x = doubles({-1, 2}, {2}).requires_grad_(true);
  angle(x).sum().backward();
  expect_values(x.grad(), {0, 0}, 0);
  Tensor l = doubles({1.5, 3}, {2});
  l.ldexp_(doubles({2, -1}, {2}));
  expect_values(l, {6, 1.5}, 0);
  // the cholesky methods against the free functions
  const Tensor spd = doubles({4, 2, 2, 3}, {2, 2});
  const Tensor L = spd.cholesky();
  EXPECT_TRUE(L.equal(linalg::cholesky(spd)));
  EXPECT_TRUE(allclose(spd.cholesky_solve(L), doubles({1, 0, 0, 1}, {2, 2}).cholesky_solve(L).mm(spd)));
  EXPECT_TRUE(allclose(L.cholesky_inverse().mm(spd), eye(2, kFloat64)));
}

// libtorch's Device(type, index = -1): -1 and 0 are the CPU; other CPU indices are c10's error.
TEST(TensorApiReview, DeviceIndicesAreChecked) {
  EXPECT_EQ(Device(kCPU, -1), Device::cpu());
  EXPECT_EQ(Device(DeviceType::CPU), Device::cpu());
  const Tensor t = ones({2}, TensorOptions().device(Device(kCPU, -1)));
  expect_values(t * ones({2}), {1, 1}, 0);
  EXPECT_EMBER_ERROR(Device(kCPU, 3), "CPU device index must be -1 or zero, got 3");
  EXPECT_EMBER_ERROR(Device(kCUDA, 40000), "expected a device index from 0 to 1023, but got 40000");
  EXPECT_EMBER_ERROR(Device("cuda:01"), "Expected one of cpu, cuda, cuda:N device string");
  EXPECT_EQ(Device("cuda:1"), Device::cuda(1));
  EXPECT_EMBER_ERROR(arange(Scalar(3), kBool), "\"arange_cpu\" not implemented for 'Bool'");
}

// torch.cuda.memory_allocated() before CUDA is initialised is 0; ember's reads of a GPU that
// is not there are zeros and empty_cache does nothing.
TEST(TensorApiReview, MemoryStatisticsOfAMissingGpuAreZero) {
  if (cuda::is_available()) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_EQ(memory::allocated(Device::cuda(0)), 0);
  EXPECT_EQ(memory::max_reserved(Device::cuda(0)), 0);
  EXPECT_EQ(memory::stats(Device::cuda(0)).num_ooms, 0);
  memory::empty_cache(Device::cuda(0));
}

// set_num_threads reaches threads started before and after it (Note [Intra-op threads]).
TEST(TensorApiReview, SetNumThreadsIsProcessWide) {
  const int before = get_num_threads();
  set_num_threads(1);
  int seen = 0;
  std::thread other([&] { seen = get_num_threads(); });
  other.join();
  EXPECT_EQ(seen, 1);
  // a parallel sum is still right on one thread
  EXPECT_EQ(arange(Scalar(100000), kInt64).sum().item<int64_t>(), int64_t{99999} * 100000 / 2);
  set_num_threads(before);
  EXPECT_EQ(get_num_threads(), before);
}

TEST(WindowFunctions, ValuesAsPyTorchsFormulas) {
  const TensorOptions f64(kFloat64);
  expect_values(hann_window(5, false, f64), {0, 0.5, 1, 0.5, 0}, 1e-15);
  expect_values(hann_window(4, f64), {0, 0.5, 1, 0.5}, 1e-15);  // periodic: 5 points, the last dropped
  expect_values(hamming_window(5, false, f64), {0.08, 0.54, 1, 0.54, 0.08}, 1e-15);
  expect_values(hamming_window(5, false, 0.6, 0.4, f64), {0.2, 0.6, 1, 0.6, 0.2}, 1e-15);
  expect_values(blackman_window(5, false, f64), {0, 0.34, 1, 0.34, 0}, 1e-15);
  expect_values(bartlett_window(5, false, f64), {0, 0.5, 1, 0.5, 0}, 1e-15);
  expect_values(bartlett_window(4, f64), {0, 0.5, 1, 0.5}, 1e-15);
  expect_values(kaiser_window(5, false, 12.0, f64),
                {5.277344132009767e-05, 0.21567274475896717, 1.0, 0.21567274475896717, 5.277344132009767e-05}, 1e-12);
  EXPECT_EQ(hann_window(8).dtype(), kFloat32);
  EXPECT_EQ(hann_window(0).numel(), 0);
  expect_values(blackman_window(1), {1}, 0);
  EXPECT_TRUE(kaiser_window(3, TensorOptions().requires_grad(true)).requires_grad());
  EXPECT_EMBER_ERROR(hann_window(-1), "hann_window requires non-negative window_length, got window_length=-1");
  EXPECT_EMBER_ERROR(bartlett_window(4, kInt64), "bartlett_window expects floating point dtypes");
}

// PyTorch's svd_lowrank takes its default q = 6 on a matrix smaller than 6 on a side.
TEST(TensorApiReview, SvdLowrankDefaultQOnSmallMatrices) {
  const Tensor A = doubles({3, 1, 0, 2, 1, 1, 0, 4, 2, 5, 1, 3}, {4, 3});
  const auto [U, S, V] = svd_lowrank(A);
  EXPECT_EQ(U.sizes(), Dims({4, 3}));
  EXPECT_EQ(S.sizes(), Dims({3}));
  EXPECT_EQ(V.sizes(), Dims({3, 3}));
  EXPECT_TRUE(allclose(U.mm(diag(S)).mm(V.t()), A, 1e-10, 1e-10));
  EXPECT_TRUE(allclose(S, linalg::svdvals(A), 1e-10, 1e-10));
  EXPECT_EMBER_ERROR(svd_lowrank(A, -1), "svd_lowrank: q(=-1) must be non-negative integer");
}

// Gradients of very different sizes (e^20 beside e^-5) no longer drown each other.
TEST(TensorApiReview, GradgradcheckOfWidelySpreadGradients) {
  EXPECT_TRUE(autograd::gradgradcheck([](const std::vector<Tensor>& in) { return in[0].exp(); },
                                      {doubles({-5, 20}, {2}).requires_grad_(true)}));
  EXPECT_TRUE(autograd::gradgradcheck([](const std::vector<Tensor>& in) { return in[0].pow(3); },
                                      {doubles({1e4, 1e-2}, {2}).requires_grad_(true)}));
}

}  // namespace
}  // namespace ember
