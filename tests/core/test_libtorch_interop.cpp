// libtorch spellings and interop a port from PyTorch reaches for: torch::max / flatten and
// the other free spellings, Tensor.T / H / mH, from_blob and accessor, checked item<T>(),
// tensor(3), printing a Scalar, x.grad().zero_(), x[0] = 5 (assigning to a temporary),
// torch.cuda's helpers; and the integer
// edges of pow, clamp, scatter_reduce's mean and the ZeroDivisionError check.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using testing::error_of;
using testing::expect_exact;

Tensor longs(const std::vector<int64_t>& v) { return tensor(v, {static_cast<int64_t>(v.size())}); }

TEST(FreeSpellings, MaxMinAndShapeFunctionsAreTheMethods) {
  const Tensor x = tensor(std::vector<float>{1, 7, 3, 4, 2, 9}, {2, 3});
  EXPECT_EQ(ember::max(x).item<float>(), 9.0f);
  EXPECT_EQ(min(x).item<float>(), 1.0f);
  const auto [values, indices] = ember::max(x, 1);  // _, pred = torch.max(out, 1)
  expect_exact(values, {7, 9});
  EXPECT_EQ(indices.to_vector<int64_t>(), (std::vector<int64_t>{1, 2}));
  const auto [low, where] = min(x, 0, true);
  EXPECT_EQ(low.sizes(), (Dims{1, 3}));
  EXPECT_EQ(where.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 0}));
  expect_exact(ember::max(x, tensor(std::vector<float>{5, 5, 5}, {3})), {5, 7, 5, 5, 5, 9});
  expect_exact(x.min(tensor(std::vector<float>{2}, {1})), {1, 2, 2, 2, 2, 2});
  EXPECT_EQ(flatten(x.view({2, 3, 1}), 1).sizes(), (Dims{2, 3}));
  EXPECT_EQ(transpose(x, 0, 1).sizes(), (Dims{3, 2}));
  EXPECT_EQ(squeeze(x.view({1, 2, 3})).sizes(), (Dims{2, 3}));
  EXPECT_EQ(squeeze(x.view({1, 2, 3}), 0).sizes(), (Dims{2, 3}));
  EXPECT_EQ(unsqueeze(x, 1).sizes(), (Dims{2, 1, 3}));
  EXPECT_EQ(reshape(x, {3, 2}).sizes(), (Dims{3, 2}));
  EXPECT_EQ(permute(x, {1, 0}).sizes(), (Dims{3, 2}));
  expect_exact(narrow(x, 1, 1, 2), {7, 3, 2, 9});
  EXPECT_EQ(t(x).sizes(), (Dims{3, 2}));
  EXPECT_FALSE(clone(x).is_alias_of(x));
  const Tensor w = tensor({1.0f}).requires_grad_(true);
  EXPECT_FALSE(detach(w * 2.0).requires_grad());
}

TEST(TensorProperties, TransposesAndMetadataAsPyTorch) {
  const Tensor x = arange(24).view({2, 3, 4});
  EXPECT_EQ(x.T().sizes(), (Dims{4, 3, 2}));  // with PyTorch's deprecation warning
  EXPECT_EQ(x.T().to_vector<int64_t>()[1], 12);
  EXPECT_EQ(x.mH().sizes(), (Dims{2, 4, 3}));
  EXPECT_EQ(x.select(0, 0).H().sizes(), (Dims{4, 3}));
  EXPECT_EQ(error_of([&] { (void)x.H(); }),
            "tensor.H is only supported on matrices (2-D tensors). Got 3-D tensor. For batches of matrices, consider "
            "using tensor.mH");
  EXPECT_EQ(x.nelement(), 24);
  EXPECT_TRUE(x.is_signed());
  EXPECT_FALSE(x.to(kUInt8).is_signed());
  EXPECT_FALSE(x.is_complex());
  EXPECT_EQ(x.get_device(), -1);
  EXPECT_TRUE(x.equal(arange(24).view({2, 3, 4})));
  EXPECT_TRUE(x.to(kFloat32).allclose(x.to(kFloat32) * 1.000001));
  EXPECT_FALSE(x.to(kFloat32).allclose(x.to(kFloat32) + 1.0));
}

TEST(FromBlob, WrapsMemoryWithoutACopyAndCallsTheDeleterLast) {
  std::vector<float> buffer{1, 2, 3, 4, 5, 6};
  const Tensor t = from_blob(buffer.data(), {2, 3});
  EXPECT_EQ(t.dtype(), kFloat32);
  EXPECT_EQ(t[1][2].item<float>(), 6.0f);
  Tensor view = t.select(0, 0);
  view.mul_(10.0);
  EXPECT_EQ(buffer[2], 30.0f);  // written through
  const Tensor transposed = from_blob(buffer.data(), {3, 2}, {1, 3});
  expect_exact(transposed, {10, 4, 20, 5, 30, 6});
  std::vector<double> doubles{1.5, 2.5};
  int released = 0;
  {
    Tensor owner = from_blob(
        doubles.data(), {2},
        [&](void* p) {
          EXPECT_EQ(p, doubles.data());
          ++released;
        },
        kFloat64);
    const Tensor alias = owner.view({1, 2});
    owner = Tensor();
    EXPECT_EQ(released, 0);  // the view still uses it
    EXPECT_EQ(alias.sum().item<double>(), 4.0);
  }
  EXPECT_EQ(released, 1);
  const Tensor leaf = from_blob(doubles.data(), {2}, TensorOptions(kFloat64).requires_grad(true));
  (leaf * leaf).sum().backward();
  expect_exact(leaf.grad(), {3, 5});
  EXPECT_NE(error_of([] { (void)from_blob(nullptr, {2}); }).find("from_blob: data is a null pointer"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              (void)from_blob(buffer.data(), {2, 3}, {1});
            }).find("expected 2 strides"),
            std::string::npos);
  EXPECT_NE(error_of([&] { (void)from_blob(buffer.data(), {2}, {-1}); }).find("negative strides"), std::string::npos);
  EXPECT_EQ(from_blob(nullptr, {0, 3}).numel(), 0);
}

TEST(Accessor, IndexesThroughStridesAndChecksDimsAndDtype) {
  Tensor t = arange(6, kFloat32).view({2, 3});
  auto a = t.accessor<float, 2>();
  EXPECT_EQ(a[1][2], 5.0f);
  EXPECT_EQ(a.size(1), 3);
  a[0][1] = 10.0f;
  EXPECT_EQ(t[0][1].item<float>(), 10.0f);
  const Tensor tt = t.t();
  EXPECT_EQ((tt.accessor<float, 2>()[2][1]), 5.0f);
  EXPECT_EQ(error_of([&] { (void)t.accessor<float, 3>(); }), "TensorAccessor expected 3 dims but tensor has 2");
  EXPECT_NE(error_of([&] { (void)t.accessor<double, 2>(); }).find("data_ptr: expected dtype"), std::string::npos);
}

TEST(ItemConversion, IsCheckedAsLibtorch) {
  EXPECT_EQ(scalar_tensor(2.9).item<int64_t>(), 2);
  EXPECT_EQ(longs({300}).item<int>(), 300);
  EXPECT_EQ(error_of([] { (void)scalar_tensor(std::nan("")).item<int64_t>(); }),
            "value cannot be converted to type int64_t without overflow");
  EXPECT_EQ(error_of([] { (void)scalar_tensor(300.0).item<uint8_t>(); }),
            "value cannot be converted to type uint8_t without overflow");
  EXPECT_EQ(error_of([] { (void)scalar_tensor(1e300, kFloat64).item<float>(); }),
            "value cannot be converted to type float without overflow");
  EXPECT_TRUE(std::isinf(scalar_tensor(INFINITY, kFloat64).item<float>()));
  EXPECT_TRUE(scalar_tensor(2.0).item<bool>());
  // c10's checked_convert: a negative integer wraps into an unsigned type when its magnitude
  // fits (-1 -> 255, -255 -> 1), -256 does not; a float beyond the max (255.5) overflows.
  EXPECT_EQ(longs({-1}).item<uint8_t>(), 255);
  EXPECT_EQ(longs({-255}).item<uint8_t>(), 1);
  EXPECT_EQ(error_of([] { (void)longs({-256}).item<uint8_t>(); }),
            "value cannot be converted to type uint8_t without overflow");
  EXPECT_EQ(error_of([] { (void)longs({256}).item<uint8_t>(); }),
            "value cannot be converted to type uint8_t without overflow");
  EXPECT_EQ(error_of([] { (void)scalar_tensor(255.5, kFloat64).item<uint8_t>(); }),
            "value cannot be converted to type uint8_t without overflow");
  EXPECT_EQ(error_of([] { (void)scalar_tensor(-0.5, kFloat64).item<uint8_t>(); }),
            "value cannot be converted to type uint8_t without overflow");
  EXPECT_EQ(scalar_tensor(254.5, kFloat64).item<uint8_t>(), 254);
  EXPECT_EQ(error_of([] { (void)scalar_tensor(0x1p63, kFloat64).item<int64_t>(); }),
            "value cannot be converted to type int64_t without overflow");
  // -2^63 is a double that int64 holds exactly.
  EXPECT_EQ(Scalar(-0x1p63).to_int(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(scalar_tensor(-0x1p63, kFloat64).item<int64_t>(), std::numeric_limits<int64_t>::min());
}

// Note [Assigning to a temporary tensor]: x[0] = 5 fills, x[0] = y copies (libtorch's rvalue
// operator=); a named tensor still rebinds.
TEST(TemporaryAssignment, WritesIntoTheViewAsLibtorch) {
  Tensor x = zeros({2, 3});
  x[0] = 5;
  x.select(1, 2) = tensor(std::vector<float>{7, 8}, {2});
  x[1].slice(0, 0, 1) = tensor(std::vector<double>{-1.5}, {1}, kFloat64);  // dtype converted
  expect_exact(x, {5, 5, 7, -1.5, 0, 8});
  x[1] = tensor(std::vector<float>{1, 2, 3}, {3}) * 2.0f;  // a temporary on the right too
  expect_exact(x, {5, 5, 7, 2, 4, 6});
  x[0] = x[1];  // broadcast copy of a row
  expect_exact(x, {2, 4, 6, 2, 4, 6});
  EXPECT_NE(error_of([&] { x[0] = zeros({4}); }), "<no error>");  // a mismatched copy is an error
  // Named tensors rebind: y takes z's handle and x keeps its values.
  Tensor y = x[0];
  const Tensor z = ones({3});
  y = z;
  EXPECT_TRUE(y.is_same(z));
  expect_exact(x[0], {2, 4, 6});
  // x.grad() = g writes into the gradient (libtorch's mutable_grad() = g rebinds it).
  Tensor w = ones({2}).requires_grad_(true);
  (w * 3.0f).sum().backward();
  w.grad() = tensor(std::vector<float>{9, 10}, {2});
  expect_exact(w.grad(), {9, 10});
  Tensor fresh = ones({2}).requires_grad_(true);
  EXPECT_NE(error_of([&] { fresh.grad() = ones({2}); }).find("use t.mutable_grad() = g / Tensor()"), std::string::npos);
  EXPECT_NE(error_of([&] { w.grad() = Tensor(); }).find("use t.mutable_grad() = Tensor(), PyTorch's t.grad = None"),
            std::string::npos);
  fresh.mutable_grad() = ones({2});
  expect_exact(fresh.grad(), {1, 1});
  // An in-place write into a leaf that requires grad is PyTorch's error.
  EXPECT_NE(
      error_of([&] { w[0] = 1; }).find("a leaf Variable that requires grad is being used in an in-place operation"),
      std::string::npos);
  {
    NoGradGuard no_grad;
    w[0] = 1;  // allowed under no_grad, as in PyTorch (the init idiom)
  }
  expect_exact(w, {1, 1});
}

TEST(ScalarsAndZeroDim, PrintAndMakeAsPython) {
  std::ostringstream os;
  os << Scalar(3) << " " << Scalar(2.5) << " " << Scalar(true) << " " << Scalar(1.0) << " " << Scalar(1e-5);
  EXPECT_EQ(os.str(), "3 2.5 True 1.0 1e-05");
  EXPECT_EQ(tensor(3).dim(), 0);
  EXPECT_EQ(tensor(3).dtype(), kInt64);
  EXPECT_EQ(tensor(2.5).dtype(), kFloat32);
  EXPECT_EQ(tensor(true).dtype(), kBool);
  EXPECT_EQ(tensor(uint8_t{7}).dtype(), kUInt8);
  EXPECT_EQ(tensor(2.5, kFloat64).item<double>(), 2.5);
}

TEST(GradHandle, ZeroingTheReturnedGradWritesTheGradient) {
  const Tensor x = tensor({1.0f, 2.0f}).requires_grad_(true);
  (x * x).sum().backward();
  x.grad().zero_();  // the autograd tutorial's inp.grad.zero_()
  expect_exact(x.grad(), {0, 0});
}

TEST(MethodSpellings, SoftmaxDtypeAndCross) {
  const Tensor x = tensor({1.0f, 2.0f});
  EXPECT_EQ(x.softmax(0, kFloat64).dtype(), kFloat64);
  EXPECT_EQ(x.log_softmax(0, kFloat64).dtype(), kFloat64);
  // Columns: a = (e_x, e_y), b = (e_y, e_z); their cross products are e_z and e_x.
  const Tensor a = tensor(std::vector<double>{1, 0, 0, 1, 0, 0}, {3, 2});
  const Tensor b = tensor(std::vector<double>{0, 0, 1, 0, 0, 1}, {3, 2});
  // No dim: the first of size 3 (dim 0 here), with PyTorch's deprecation warning.
  expect_exact(a.cross(b), {0, 1, 0, 0, 1, 0});
  expect_exact(cross(a.t(), b.t(), 1), {0, 0, 1, 1, 0, 0});
}

// With a GPU the CUDA seeds are the one generator's; without one they do nothing, as PyTorch
// ignores them (the CPU stream manual_seed started goes on).
TEST(CudaHelpers, SeedsAreTheOneGeneratorAndQueriesNeedADevice) {
  manual_seed(1);
  const Tensor base = rand({3});
  manual_seed(1);
  cuda::manual_seed(5);
  const Tensor first = rand({3});
  manual_seed(5);
  EXPECT_EQ(equal(first, rand({3})), cuda::is_available());
  manual_seed(1);
  cuda::manual_seed_all(6);
  const Tensor second = rand({3});
  EXPECT_EQ(equal(second, base), !cuda::is_available());
  if (cuda::is_available()) GTEST_SKIP() << "the no-device errors need a machine without a GPU";
  EXPECT_NE(error_of([] { (void)cuda::get_device_name(0); }), "<no error>");
  EXPECT_NE(error_of([] { (void)cuda::mem_get_info(0); }), "<no error>");
}

TEST(IntegerEdges, PowAndClampAreExactBeyondTwoToThe53) {
  const Tensor i = longs({-1, 3});
  const int64_t big = (int64_t{1} << 53) + 1;
  EXPECT_EQ(pow(i, Scalar(big)).to_vector<int64_t>(), pow(i, longs({big, big})).to_vector<int64_t>());
  EXPECT_EQ(pow(i, Scalar(big)).to_vector<int64_t>()[0], -1);  // an odd exponent keeps -1
  EXPECT_EQ(pow(longs({3}), Scalar(std::numeric_limits<int64_t>::max())).to_vector<int64_t>(),
            pow(longs({3}), longs({std::numeric_limits<int64_t>::max()})).to_vector<int64_t>());
  EXPECT_NE(error_of([] { (void)pow(tensor(std::vector<uint8_t>{3}, {1}), 301); }).find("overflow"), std::string::npos);
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(clamp(longs({-5, 0, 7}), 0, kMax).to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 7}));
  EXPECT_EQ(clamp_max(longs({kMax, kMax - 1}), kMax - 1).to_vector<int64_t>(),
            (std::vector<int64_t>{kMax - 1, kMax - 1}));
  EXPECT_EQ(clamp(tensor(std::vector<uint8_t>{0, 200}, {2}), -1, std::nullopt).to_vector<int64_t>(),
            (std::vector<int64_t>{255, 255}));  // -1 wraps to 255 as PyTorch's uint8 bound
}

TEST(IntegerEdges, FloatPowSpecialCasesAreKernelsOfTheirOwn) {
  const double inf = std::numeric_limits<double>::infinity();
  expect_exact(pow(tensor(std::vector<double>{-0.0, -inf, 4.0}, {3}), -0.5), {-inf, std::nan(""), 0.5});
  const Tensor x = rand({1000}) * 27.0 + 1.0;
  EXPECT_TRUE(equal(pow(x, 3), x * x * x));
  EXPECT_TRUE(equal(pow(x, -2), reciprocal(x * x)));
  EXPECT_TRUE(equal(pow(x, -1), reciprocal(x)));
}

TEST(IntegerEdges, ScatterMeanAndEmptyDivisionsAreExact) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(longs({kMax, 0}).scatter_reduce(0, longs({1}), longs({0}), "mean", true).to_vector<int64_t>(),
            (std::vector<int64_t>{kMax, 0}));
  const int64_t big = (int64_t{1} << 60) + 1;
  EXPECT_EQ(longs({1}).scatter_reduce(0, longs({0}), longs({big}), "mean", true).to_vector<int64_t>(),
            (std::vector<int64_t>{(int64_t{1} << 59) + 1}));
  EXPECT_EQ(longs({7, -7}).scatter_reduce(0, longs({0, 1}), longs({0, 0}), "mean", true).to_vector<int64_t>(),
            (std::vector<int64_t>{3, -4}));  // floored
  EXPECT_EQ(floor_divide(empty({0, 3}, kInt64), longs({0, 1, 2})).sizes(), (Dims{0, 3}));
  EXPECT_EQ(remainder(empty({0}, kInt64), Scalar(0)).numel(), 0);
  EXPECT_EQ(error_of([] { (void)floor_divide(longs({1}), longs({0})); }), "ZeroDivisionError");
}

TEST(BoolInputs, ReluAndArgmaxRefuseBoolAsPyTorch) {
  EXPECT_EQ(error_of([] { (void)relu(tensor({true, false})); }), "Boolean inputs not supported for relu");
  EXPECT_EQ(error_of([] { (void)tensor({true, false}).argmax(); }), "\"argmax_cpu\" not implemented for 'Bool'");
  EXPECT_EQ(error_of([] { (void)tensor({true, false}).argmin(0); }), "\"argmin_cpu\" not implemented for 'Bool'");
  EXPECT_TRUE(tensor({false, true}).max().item<bool>());  // max keeps its bool form
}

}  // namespace
}  // namespace ember
