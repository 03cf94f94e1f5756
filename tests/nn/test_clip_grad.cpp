// nn::utils::clip_grad_norm_ (and its halves get_total_norm / clip_grads_with_norm_) /
// clip_grad_value_ against PyTorch 1.13's numbers for every
// norm order it takes, parameters without gradients, non-finite norms (the error when
// asked for, else PyTorch's scaling by them), float64, and bad arguments.
#include <gmock/gmock.h>

#include <limits>
#include <vector>

#include "nn/clip_grad.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::error_of;
using ember::testing::expect_values;
using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Three float32 parameters; the first two with gradients, the third without (PyTorch's
// clip_grad_norm_ skips it).
std::vector<Tensor> parameters_with_grads() {
  std::vector<Tensor> params{zeros({2, 3}).requires_grad_(), zeros({4}).requires_grad_(), zeros({2}).requires_grad_()};
  params[0].mutable_grad() = tensor(std::vector<float>{1, -2, 3, 0.5f, -0.25f, 4}, {2, 3});
  params[1].mutable_grad() = tensor(std::vector<float>{-1, 2, 0, 6}, {4});
  return params;
}

std::vector<Tensor> grads_of_all(const std::vector<Tensor>& params) {
  std::vector<Tensor> grads;
  for (const Tensor& p : params) grads.push_back(p.grad());
  return grads;
}

std::vector<double> scaled(const std::vector<double>& v, double factor) {
  std::vector<double> out;
  for (double x : v) out.push_back(x * factor);
  return out;
}

TEST(ClipGradNorm, EveryNormOrderAsPyTorch) {
  const std::vector<double> g0{1, -2, 3, 0.5, -0.25, 4}, g1{-1, 2, 0, 6};
  struct Case {
    double norm_type, total;
  };
  // PyTorch 1.13: clip_grad_norm_(params, 5.0, norm_type) returns these totals.
  for (const Case& c : {Case{2.0, 8.444672584533691}, Case{1.0, 19.75}, Case{kInf, 6.0}, Case{3.0, 6.876336574554443},
                        Case{0.0, 2.0}, Case{-kInf, 0.0}, Case{0.5, 149.25692749023438}}) {
    SCOPED_TRACE(c.norm_type);
    const std::vector<Tensor> params = parameters_with_grads();
    const Tensor total = nn::utils::clip_grad_norm_(params, 5.0, c.norm_type);
    EXPECT_EQ(total.dim(), 0);
    EXPECT_EQ(total.dtype(), kFloat32);
    EXPECT_NEAR(total.item<double>(), c.total, 1e-5 * c.total);
    const double factor = std::min(1.0, 5.0 / (c.total + 1e-6));
    expect_values(params[0].grad(), scaled(g0, factor), 1e-6);
    expect_values(params[1].grad(), scaled(g1, factor), 1e-6);
    EXPECT_FALSE(params[2].grad().defined());
  }
}

TEST(ClipGradNorm, BelowTheLimitNothingChanges) {
  const std::vector<Tensor> params = parameters_with_grads();
  const Tensor before = params[0].grad().clone();
  EXPECT_NEAR(nn::utils::clip_grad_norm_(params, 100.0).item<double>(), 8.444672584533691, 1e-5);
  EXPECT_TRUE(equal(params[0].grad(), before));
}

TEST(ClipGradNorm, OneParameterNoGradientsAndFloat64) {
  const std::vector<Tensor> params = parameters_with_grads();
  EXPECT_NEAR(nn::utils::clip_grad_norm_(params[0], 1.0).item<double>(), 5.505678653717041, 1e-5);
  expect_values(params[0].grad(), {0.18163062632083893, -0.36326125264167786, 0.544891893863678, 0.09081531316041946,
                                   -0.04540765658020973, 0.7265225052833557},
                1e-6);
  const Tensor none = nn::utils::clip_grad_norm_({zeros({2}).requires_grad_()}, 1.0);
  EXPECT_EQ(none.item<double>(), 0.0);  // PyTorch: tensor(0.)
  Tensor p = zeros({3}, TensorOptions(kFloat64).requires_grad(true));
  p.mutable_grad() = tensor(std::vector<double>{3, 4, 12}, {3});
  const Tensor total = nn::utils::clip_grad_norm_(p, 1.0);
  EXPECT_EQ(total.dtype(), kFloat64);
  EXPECT_DOUBLE_EQ(total.item<double>(), 13.0);
  expect_values(p.grad(), {0.23076921301775288, 0.3076922840236705, 0.9230768520710115}, 1e-12);
}

TEST(ClipGradNorm, NonFiniteNormsErrorOnlyWhenAsked) {
  std::vector<Tensor> params = parameters_with_grads();
  params[1].mutable_grad().fill_(std::numeric_limits<double>::quiet_NaN());
  EXPECT_THAT(error_of([&] { (void)nn::utils::clip_grad_norm_(params, 1.0, 2.0, true); }),
              HasSubstr("The total norm of order 2.0 for gradients from `parameters` is non-finite, so it cannot be "
                        "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
                        "`error_if_nonfinite=False`"));
  params = parameters_with_grads();
  params[1].mutable_grad().fill_(kInf);
  EXPECT_THAT(error_of([&] { (void)nn::utils::clip_grad_norm_(params, 1.0, kInf, true); }),
              HasSubstr("The total norm of order inf for gradients"));
  // Without the check, PyTorch scales by the infinite norm: finite gradients become (signed) zeros.
  EXPECT_EQ(nn::utils::clip_grad_norm_(params, 1.0).item<double>(), kInf);
  expect_values(params[0].grad(), {0, 0, 0, 0, 0, 0}, 0.0);
  EXPECT_THAT(error_of([&] { (void)nn::utils::clip_grad_norm_(params, std::numeric_limits<double>::quiet_NaN()); }),
              HasSubstr("must not be NaN"));
}

TEST(ClipGradValue, ClampsEveryGradient) {
  const std::vector<Tensor> params = parameters_with_grads();
  nn::utils::clip_grad_value_(params, 1.5);
  expect_values(params[0].grad(), {1, -1.5, 1.5, 0.5, -0.25, 1.5}, 0.0);
  expect_values(params[1].grad(), {-1, 1.5, 0, 1.5}, 0.0);
  EXPECT_FALSE(params[2].grad().defined());
  EXPECT_THAT(error_of([&] { nn::utils::clip_grad_value_(params, -1.0); }),
              HasSubstr("clip_value must be non-negative, but got -1"));
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

// PyTorch 2.6's halves: get_total_norm of the gradients is clip_grad_norm_'s total, and
// clip_grads_with_norm_ with it scales as clip_grad_norm_ does; a norm from elsewhere (a
// larger one, as across processes) scales by it.
TEST(ClipGradNorm, TotalNormAndClipWithNormAreItsHalves) {
  const std::vector<Tensor> params = parameters_with_grads();
  const std::vector<Tensor> grads = grads_of_all(params);  // the third is undefined: skipped
  const Tensor total = nn::utils::get_total_norm(grads, 2.0);
  EXPECT_NEAR(total.item<double>(), 8.444672584533691, 1e-5);
  EXPECT_NEAR(nn::utils::get_total_norm(grads, 1.0).item<double>(), 19.75, 1e-5);
  EXPECT_NEAR(nn::utils::get_total_norm(params[1].grad(), kInf).item<double>(), 6.0, 0.0);
  EXPECT_EQ(nn::utils::get_total_norm(std::vector<Tensor>{}).item<double>(), 0.0);
  nn::utils::clip_grads_with_norm_(params, 5.0, scalar_tensor(10.0));
  expect_values(params[0].grad(), scaled({1, -2, 3, 0.5, -0.25, 4}, 5.0 / (10.0 + 1e-6)), 1e-6);
  const std::vector<Tensor> again = parameters_with_grads();
  nn::utils::clip_grads_with_norm_(again, 5.0, nn::utils::get_total_norm(grads_of_all(again)));
  const std::vector<Tensor> reference = parameters_with_grads();
  nn::utils::clip_grad_norm_(reference, 5.0);
  EXPECT_TRUE(allclose(again[1].grad(), reference[1].grad(), 0.0, 0.0));
  // A norm below max_norm leaves the gradients alone; errors name what was expected.
  nn::utils::clip_grads_with_norm_(again, 1e9, scalar_tensor(3.0));
  EXPECT_TRUE(allclose(again[1].grad(), reference[1].grad(), 0.0, 0.0));
  EXPECT_THAT(error_of([&] { nn::utils::clip_grads_with_norm_(again, 5.0, zeros({2})); }),
              HasSubstr("total_norm must be a tensor of one element"));
  EXPECT_THAT(error_of([&] { (void)nn::utils::get_total_norm(tensor(std::vector<float>{INFINITY}, {1}), 2.0, true); }),
              HasSubstr("is non-finite, so it cannot be clipped"));
}

}  // namespace
}  // namespace ember
