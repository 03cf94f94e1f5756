// nn::RMSNorm and F::rms_norm (PyTorch 2.4's) against hand-computed values, 16-bit inputs, repr,
// keys and checks; softmax / log_softmax / softmin with a dtype; prelu of a 0-dim input;
// group_norm's one-value-per-group check.
#include <cmath>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using testing::expect_gradcheck;
using testing::expect_values;

Tensor f64(const std::vector<double>& v, const Dims& shape) { return tensor(v, shape, TensorOptions(kFloat64)); }

TEST(RMSNorm, ValuesAsPyTorch) {
  // mean(x^2) = 7.5 per row; x * rsqrt(7.5 + eps) * weight.
  const Tensor x = f64({1, 2, 3, 4, -1, -2, -3, -4}, {2, 4});
  const double r = 1.0 / std::sqrt(7.5 + std::numeric_limits<double>::epsilon());
  expect_values(F::rms_norm(x, {4}), {r, 2 * r, 3 * r, 4 * r, -r, -2 * r, -3 * r, -4 * r}, 1e-15);
  const Tensor w = f64({1, 0.5, 2, -1}, {4});
  const double s = 1.0 / std::sqrt(7.5 + 1e-3);
  expect_values(F::rms_norm(x, {4}, w, 1e-3).select(0, 0), {s, s, 6 * s, -4 * s}, 1e-15);
  // Over the last two dims: mean over all 8 values (7.5 again).
  expect_values(F::rms_norm(x.reshape({1, 2, 4}), {2, 4}).flatten(),
                {r, 2 * r, 3 * r, 4 * r, -r, -2 * r, -3 * r, -4 * r}, 1e-15);
  nn::RMSNorm norm(4);
  expect_values(norm(x), F::rms_norm(x.to(kFloat32), {4}).to_vector<double>(), 1e-6);
  EXPECT_EQ(norm(x.to(kFloat32)).dtype(), kFloat32);
  manual_seed(5);
  Tensor in = testing::grad_input({3, 4}), weight = testing::grad_input({4});
  expect_gradcheck([](const std::vector<Tensor>& v) { return F::rms_norm(v[0], {4}, v[1], 1e-5); }, {in, weight});
}

TEST(RMSNorm, SixteenBitInputsComputeInFloat32) {
  const Tensor x = tensor(std::vector<float>{100, 200, 300, 400}, {1, 4}).to(kBFloat16);
  const Tensor y = F::rms_norm(x, {4});
  EXPECT_EQ(y.dtype(), kBFloat16);
  const double r = 1.0 / std::sqrt(75000.0);
  expect_values(y, {100 * r, 200 * r, 300 * r, 400 * r}, 1e-2);
  const Tensor h = tensor(std::vector<float>{300, 300, 300, 300}, {1, 4}).to(kFloat16);  // x^2 past float16's range
  expect_values(F::rms_norm(h, {4}), {1, 1, 1, 1}, 1e-3);
}

TEST(RMSNorm, ModuleReprKeysAndChecks) {
  nn::RMSNorm norm(4);
  EXPECT_EQ(norm.repr(), "RMSNorm((4,), eps=None, elementwise_affine=True)");
  EXPECT_EQ(nn::RMSNorm(Dims{2, 3}, 1e-6).repr(), "RMSNorm((2, 3), eps=1e-06, elementwise_affine=True)");
  EXPECT_EQ(testing::names_of(norm.state_dict()), (std::vector<std::string>{"weight"}));
  expect_values(norm.weight, {1, 1, 1, 1}, 0.0);
  EXPECT_TRUE(nn::RMSNorm(4, std::nullopt, false).state_dict().empty());
  EXPECT_EMBER_ERROR(norm(zeros({2, 3})),
                     "Given normalized_shape=[4], expected input with shape [*, 4], but got input of size[2, 3]");
  EXPECT_EMBER_ERROR(F::rms_norm(zeros({2, 4}), {4}, ones({3})),
                     "Expected weight to be of same shape as normalized_shape");
  EXPECT_EMBER_ERROR(F::rms_norm(zeros({2, 4}, kInt64), {4}), "rms_norm: expected a floating-point input");
}

TEST(SoftmaxDtype, CastsBeforeTheOp) {
  const Tensor x = tensor(std::vector<float>{1, 2, 3, 4}, {2, 2}).to(kBFloat16);
  const Tensor y = F::softmax(x, 1, kFloat32);
  EXPECT_EQ(y.dtype(), kFloat32);
  EXPECT_TRUE(equal(y, F::softmax(x.to(kFloat32), 1)));
  EXPECT_EQ(F::log_softmax(x, 1, kFloat64).dtype(), kFloat64);
  EXPECT_EQ(softmax(x, 0, kFloat32).dtype(), kFloat32);
  EXPECT_EQ(log_softmax(x, 0, kFloat32).dtype(), kFloat32);
  EXPECT_TRUE(equal(F::softmin(x, 1, kFloat32), F::softmax(-x.to(kFloat32), 1)));
  Tensor leaf = tensor(std::vector<double>{1, 2}, {2}, TensorOptions(kFloat64).requires_grad(true));
  F::softmax(leaf, 0, kFloat32).select(0, 0).backward();
  EXPECT_EQ(leaf.grad().dtype(), kFloat64);
}

TEST(PreluAndGroupNorm, ZeroDimInputAndOneValuePerGroup) {
  expect_values(F::prelu(full({}, -2.0), tensor(std::vector<double>{0.25}, {1})), {-0.5}, 0.0);
  expect_values(nn::PReLU()(full({}, -2.0f)), {-0.5}, 0.0);
  EXPECT_EMBER_ERROR(F::prelu(full({}, -2.0), full({3}, 0.25)), "Not allow zero-dim input tensor.");
  EXPECT_EMBER_ERROR(F::group_norm(zeros({1, 2}), 2),
                     "Expected more than 1 value per channel when training, got input size [1, 2]");
  EXPECT_EQ(F::group_norm(zeros({2, 2}), 2).sizes(), (Dims{2, 2}));
}

}  // namespace
}  // namespace ember
