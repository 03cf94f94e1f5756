// gradcheck (float64 finite differences) for every differentiable core op, plus checks that
// gradcheck itself catches a wrong gradient and differentiates the very tensors it is given.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "autograd/gradcheck.h"
#include "support/helpers.h"

namespace ember {
namespace {

using Inputs = std::vector<Tensor>;
using testing::expect_gradcheck;
constexpr auto input = [](const Dims& shape, double lo = -1.0, double hi = 1.0) {
  return testing::grad_input(shape, lo, hi);
};



class GradcheckOps : public ::testing::Test {
 protected:
  void SetUp() override { manual_seed(1234); }
};

TEST_F(GradcheckOps, BinaryBroadcasting) {
  Inputs in{input({2, 3}), input({3}, 0.5, 2.0)};
  expect_gradcheck([](const Inputs& x) { return x[0] + x[1]; }, in);
  expect_gradcheck([](const Inputs& x) { return add(x[0], x[1], 2.5); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0] - x[1]; }, in);
  expect_gradcheck([](const Inputs& x) { return sub(x[0], x[1], 0.5); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0] * x[1]; }, in);
  expect_gradcheck([](const Inputs& x) { return x[0] / x[1]; }, in);
  expect_gradcheck([](const Inputs& x) { return maximum(x[0], x[1]); }, in);
  expect_gradcheck([](const Inputs& x) { return minimum(x[0], x[1]); }, in);
  Inputs pos{input({2, 3}, 0.5, 2.0), input({2, 1}, 0.5, 2.0)};
  expect_gradcheck([](const Inputs& x) { return pow(x[0], x[1]); }, pos);
}

TEST_F(GradcheckOps, WithScalars) {
  Inputs in{input({4}, 0.5, 2.0)};
  expect_gradcheck([](const Inputs& x) { return x[0] + 3.0; }, in);
  expect_gradcheck([](const Inputs& x) { return 3.0 - x[0]; }, in);
  expect_gradcheck([](const Inputs& x) { return x[0] * 1.5; }, in);
  expect_gradcheck([](const Inputs& x) { return x[0] / 4.0; }, in);
  expect_gradcheck([](const Inputs& x) { return 2.0 / x[0]; }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].pow(3.0); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].pow(0.5); }, in);
  expect_gradcheck([](const Inputs& x) { return -x[0]; }, in);
}

TEST_F(GradcheckOps, Unary) {
  Inputs in{input({2, 3})};
  Inputs pos{input({2, 3}, 0.5, 2.0)};
  expect_gradcheck([](const Inputs& x) { return x[0].exp(); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].log(); }, pos);
  expect_gradcheck([](const Inputs& x) { return x[0].sqrt(); }, pos);
  expect_gradcheck([](const Inputs& x) { return x[0].abs(); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].relu(); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].sigmoid(); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].tanh(); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].clamp(-0.3, 0.4); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].clamp(std::nullopt, 0.2); }, in);
}

TEST_F(GradcheckOps, Where) {
  Inputs in{input({2, 3}), input({3})};
  expect_gradcheck([](const Inputs& x) { return where(x[0] > 0.0, x[0], x[1]); }, in);
  expect_gradcheck([](const Inputs& x) { return where(x[0] > 0.0, x[0], Scalar(1.0)); }, in);
}

TEST_F(GradcheckOps, Reductions) {
  Inputs in{input({2, 3, 4})};
  expect_gradcheck([](const Inputs& x) { return x[0].sum(); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].sum({1}); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].sum({0, 2}, true); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].mean(); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].mean({-1}, true); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].max(); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].min(); }, in);
  expect_gradcheck([](const Inputs& x) { return std::get<0>(x[0].max(1)); }, in);
  expect_gradcheck([](const Inputs& x) { return std::get<0>(x[0].min(2, true)); }, in);
  expect_gradcheck([](const Inputs& x) { return amax(x[0], {0, 1}); }, in);
}

TEST_F(GradcheckOps, Matmul) {
  expect_gradcheck([](const Inputs& x) { return matmul(x[0], x[1]); }, {input({3, 4}), input({4, 2})});
  expect_gradcheck([](const Inputs& x) { return mm(x[0], x[1]); }, {input({3, 4}), input({4, 2})});
  expect_gradcheck([](const Inputs& x) { return bmm(x[0], x[1]); }, {input({2, 3, 4}), input({2, 4, 2})});
  expect_gradcheck([](const Inputs& x) { return matmul(x[0], x[1]); }, {input({4}), input({4})});
  expect_gradcheck([](const Inputs& x) { return matmul(x[0], x[1]); }, {input({4}), input({2, 4, 3})});
  expect_gradcheck([](const Inputs& x) { return matmul(x[0], x[1]); }, {input({2, 3, 4}), input({4})});
  expect_gradcheck([](const Inputs& x) { return matmul(x[0], x[1]); }, {input({2, 1, 3, 4}), input({5, 4, 2})});
  expect_gradcheck([](const Inputs& x) { return matmul(x[0].t(), x[1]); }, {input({4, 3}), input({4, 2})});
}

TEST_F(GradcheckOps, Views) {
  Inputs in{input({2, 3, 4})};
  expect_gradcheck([](const Inputs& x) { return x[0].view({6, 4}); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].reshape({4, 6}); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].transpose(0, 2).reshape({24}); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].permute({2, 0, 1}); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].narrow(2, 1, 2); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].slice(1, 0, 3, 2); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].select(1, -1); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].flatten(1); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].unsqueeze(1).squeeze(1); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].select(0, 0).unsqueeze(0).expand({5, 3, 4}); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].transpose(1, 2).contiguous(); }, in);
  expect_gradcheck([](const Inputs& x) { return x[0].clone() * 2.0; }, in);
}

TEST_F(GradcheckOps, DtypeConversion) {
  Inputs in{input({3})};
  // through float32 and back: the gradient flows, cast back to float64
  auto r = autograd::gradcheck_report([](const Inputs& x) { return x[0].to(kFloat32).to(kFloat64) * 2.0; }, in,
                                      {.eps = 1e-3, .atol = 1e-3, .rtol = 1e-2});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST_F(GradcheckOps, InplaceOnNonLeaf) {
  Inputs in{input({4}, 0.5, 2.0), input({4}, 0.5, 2.0)};
  expect_gradcheck([](const Inputs& x) { Tensor y = x[0] * 1.0; y.mul_(x[1]); return y; }, in);
  expect_gradcheck([](const Inputs& x) { Tensor y = x[0] * 1.0; y.div_(x[1]); return y; }, in);
  expect_gradcheck([](const Inputs& x) { Tensor y = x[0] * 1.0; y.add_(x[1], 2.0); return y; }, in);
  expect_gradcheck([](const Inputs& x) { Tensor y = x[0] * 1.0; y.sub_(x[1]); return y; }, in);
  expect_gradcheck([](const Inputs& x) { Tensor y = x[0] - 1.0; y.relu_(); return y; }, in);
  expect_gradcheck([](const Inputs& x) { Tensor y = x[0] * 1.0; y.clamp_(0.8, 1.5); return y; }, in);
  expect_gradcheck([](const Inputs& x) { Tensor y = x[0] * 1.0; y.copy_(x[1] * 3.0); return y + x[0]; }, in);
}

TEST(Gradcheck, CatchesAWrongGradient) {
  // relu's gradient is checked away from 0; a function whose analytic gradient
  // differs from its values (detach in the middle) must fail.
  Tensor x = tensor(std::vector<double>{0.5, 1.5}, {2}, TensorOptions(kFloat64).requires_grad(true));
  auto r = autograd::gradcheck_report([](const Inputs& in) { return in[0] * in[0].detach(); }, {x});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("Jacobian mismatch"), std::string::npos);
}

// A NaN gradient is a mismatch, as torch.allclose's (|a - n| <= tol was false for NaN, so it
// passed): sqrt(|x|) * 0 at 0 has the analytic 0 * inf = NaN and the numeric 0.
TEST(Gradcheck, ANaNGradientIsAMismatch) {
  Tensor x = tensor(std::vector<double>{0.0, 1.0}, {2}, TensorOptions(kFloat64).requires_grad(true));
  auto r = autograd::gradcheck_report([](const Inputs& in) { return in[0].abs().sqrt() * 0.0; }, {x});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("element 0: analytic"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("nan vs numerical 0"), std::string::npos) << r.message;
}

TEST(Gradcheck, DifferentiatesTheTensorsGivenThemselves) {
  // The same tensor twice, and a tensor the function reads by capture as well as through
  // its argument list: the analytic Jacobian is taken at those tensors, as the numeric one.
  const Tensor x = testing::grad_input({3});
  testing::expect_gradcheck([](const Inputs& in) { return in[0] * in[1]; }, {x, x});
  const Tensor w = testing::grad_input({3});
  testing::expect_gradcheck([&w](const Inputs& in) { return in[0] * w; }, {x, w});
}

TEST(Gradcheck, RejectsFloat32Inputs) {
  Tensor x = ones({2}, TensorOptions().requires_grad(true));
  EXPECT_EMBER_ERROR(autograd::gradcheck([](const Inputs& in) { return in[0] * 2.0; }, {x}), "float64");
}

}  // namespace
}  // namespace ember
