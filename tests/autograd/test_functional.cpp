// torch.autograd.functional (autograd/functional.h, Note [Functional autograd]): vjp, jvp,
// jacobian, hessian, vhp and hvp against PyTorch 1.13's values for the same functions,
// against each other and closed forms, through a small conv net, and their errors.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace AF = autograd::functional;
namespace F = nn::functional;
using autograd::tensor_list;
using testing::error_of;
using testing::expect_values;

Tensor f64(const std::vector<double>& values, const Dims& shape) {
  return tensor(values, shape, TensorOptions(kFloat64));
}

// PyTorch's test function pair and its points (the values below are torch 1.13's).
const Tensor kX = f64({0.5, -1.0, 2.0, 1.5, 0.25, -0.75}, {2, 3});
const Tensor kY = f64({0.3, -0.6, 0.9}, {3});
const Tensor kV1 = f64({1.0, 2.0, -1.0, 0.5, -0.5, 3.0}, {2, 3});
const Tensor kV2 = f64({0.2, -0.4, 1.1}, {3});

tensor_list two_outputs(const tensor_list& in) { return {(in[0] * in[1]).tanh(), (in[0].exp() * in[1]).sum(0)}; }

Tensor scalar_of_two(const tensor_list& in) {
  const Tensor& a = in[0];
  const Tensor& b = in[1];
  return a.pow(3.0).sum() * b.sin().sum() + (a * a).sum() * b.prod();
}

TEST(Functional, VectorJacobianProductAsPyTorch) {
  const auto [outputs, product] = AF::vjp(two_outputs, {kX, kY}, {kV1, kV2});
  ASSERT_EQ(outputs.size(), 2u);
  ASSERT_EQ(product.size(), 2u);
  expect_values(outputs[0], two_outputs({kX, kY})[0].to_vector<double>(), 1e-15);
  expect_values(product[0], {0.3922732502709027, -0.7656022492235213, 7.2219630013070075, 0.39220152862564195,
                             0.6015160740339529, 2.2333107148208646}, 1e-12);
  expect_values(product[1], {2.3314996136159207, -2.206146624163492, 6.969058312423144}, 1e-12);
  EXPECT_FALSE(product[0].requires_grad());
  EXPECT_FALSE(outputs[0].requires_grad());
}

TEST(Functional, JacobianVectorProductAsPyTorch) {
  const auto [outputs, product] = AF::jvp(two_outputs, {kX, kY}, {kV1, kV2});
  ASSERT_EQ(product.size(), 2u);
  EXPECT_EQ(product[0].sizes(), (Dims{2, 3}));
  expect_values(product[0], {0.3911332987051934, -0.5692622100697782, 0.13462588624959765, 0.3699005532160743,
                             0.19556664935259668, 1.2261582136161526}, 1e-12);
  expect_values(product[1], {2.3929518099683866, -0.717009647543082, 3.2728041202019855}, 1e-12);
}

TEST(Functional, JacobianShapesAndValuesAsPyTorch) {
  const auto J = AF::jacobian(two_outputs, {kX, kY});
  ASSERT_EQ(J.size(), 2u);
  EXPECT_EQ(J[0][0].sizes(), (Dims{2, 3, 2, 3}));
  EXPECT_EQ(J[0][1].sizes(), (Dims{2, 3, 3}));
  EXPECT_EQ(J[1][0].sizes(), (Dims{3, 2, 3}));
  EXPECT_EQ(J[1][1].sizes(), (Dims{3, 3}));
  expect_values(J[1][0], {0.4946163812100384, 0, 0, 1.3445067211014192, 0, 0, 0, -0.2207276647028654, 0, 0,
                          -0.7704152500126448, 0, 0, 0, 6.6501504890375855, 0, 0, 0.4251298974669132}, 1e-12);
  // The products are the Jacobian contracted with v, each way.
  const auto [unused, jv] = AF::jvp(two_outputs, {kX, kY}, {kV1, kV2});
  const auto [unused2, vj] = AF::vjp(two_outputs, {kX, kY}, {kV1, kV2});
  for (size_t i = 0; i < 2; ++i) {
    const int64_t rows = jv[i].numel();
    const Tensor expected =
        J[i][0].reshape({rows, 6}).matmul(kV1.reshape({6})) + J[i][1].reshape({rows, 3}).matmul(kV2);
    expect_values(jv[i], expected.to_vector<double>(), 1e-12);
  }
  const Tensor vt_j0 =
      kV1.reshape({1, 6}).matmul(J[0][0].reshape({6, 6})) + kV2.reshape({1, 3}).matmul(J[1][0].reshape({3, 6}));
  expect_values(vj[0], vt_j0.to_vector<double>(), 1e-12);
}

TEST(Functional, HessianAsPyTorch) {
  const auto H = AF::hessian(scalar_of_two, {kX, kY});
  ASSERT_EQ(H.size(), 2u);
  EXPECT_EQ(H[0][0].sizes(), (Dims{2, 3, 2, 3}));
  EXPECT_EQ(H[0][1].sizes(), (Dims{2, 3, 3}));
  EXPECT_EQ(H[1][0].sizes(), (Dims{3, 2, 3}));
  expect_values(H[0][1], {0.1765023668442045, 0.8890017111822588, 0.2862074762029983, 3.9460094673768182,
                          1.936006844729035, 2.224829904811993, 9.304037869507273, 10.98402737891614,
                          6.739319619247973, 4.82852130159784, 6.3810154006403295, 3.655867285826985,
                          -0.09087440828894888, 0.2897504277955647, 0.026551869050749577, 2.4221303253994604,
                          0.9877538501600822, 1.3189668214567463}, 1e-12);
  expect_values(H[1][1], {-2.982907085987895, 7.312500000000001, -4.875, 7.312500000000001, 5.699359965831139,
                          2.4375, -4.875, 2.4375, -7.906705994052411}, 1e-12);
  // Symmetric: H[1][0] is H[0][1] transposed.
  expect_values(H[1][0], H[0][1].reshape({6, 3}).t().contiguous().to_vector<double>(), 1e-12);
}

TEST(Functional, HessianVectorProductsAsPyTorch) {
  const std::vector<double> expected0{1.2131419414005986, -4.356343663848509, -0.9660075112176836,
                                      4.586673007495165,  -0.32852147899053186, -6.373574650447852};
  const std::vector<double> expected1{-0.39350915396523556, 1.6498880722943614, -6.8792707541202835};
  const auto [out_v, vh] = AF::vhp(scalar_of_two, {kX, kY}, {kV1, kV2});
  const auto [out_h, hv] = AF::hvp(scalar_of_two, {kX, kY}, {kV1, kV2});
  EXPECT_NEAR(out_v.item<double>(), 3.8740031142091693, 1e-12);
  EXPECT_NEAR(out_h.item<double>(), 3.8740031142091693, 1e-12);
  expect_values(vh[0], expected0, 1e-12);
  expect_values(vh[1], expected1, 1e-12);
  expect_values(hv[0], expected0, 1e-12);
  expect_values(hv[1], expected1, 1e-12);
}

TEST(Functional, SingleTensorFormsGiveTheClosedForms) {
  const Tensor x = f64({0.5, -2.0, 1.5}, {3});
  // d x^2 / dx = diag(2x); d^2 sum(x^3) / dx^2 = diag(6x)
  expect_values(AF::jacobian([](const Tensor& t) { return t * t; }, x), {1, 0, 0, 0, -4, 0, 0, 0, 3}, 1e-15);
  expect_values(AF::hessian([](const Tensor& t) { return t.pow(3.0).sum(); }, x), {3, 0, 0, 0, -12, 0, 0, 0, 9},
                1e-12);
  // v left out: a one-element output's gradient, a one-element input's derivative.
  const auto [sum_of_squares, gradient] = AF::vjp([](const Tensor& t) { return (t * t).sum(); }, x);
  EXPECT_DOUBLE_EQ(sum_of_squares.item<double>(), 6.5);
  expect_values(gradient, {1, -4, 3}, 1e-15);
  const auto [powers, derivative] = AF::jvp([](const Tensor& t) { return t.pow(3.0) * f64({1, 2}, {2}); },
                                            f64({2.0}, {1}));
  EXPECT_EQ(derivative.sizes(), (Dims{2}));
  expect_values(derivative, {12, 24}, 1e-12);
  // A 0-d output's Jacobian has the input's shape.
  EXPECT_EQ(AF::jacobian([](const Tensor& t) { return t.sum(); }, x).sizes(), (Dims{3}));
  // An output of no elements has an empty Jacobian.
  EXPECT_EQ(AF::jacobian([](const Tensor& t) { return t.narrow(0, 0, 0); }, x).sizes(), (Dims{0, 3}));
}

TEST(Functional, CreateGraphKeepsTheResultsDifferentiable) {
  const Tensor x = testing::leaf({0.5, -1.0, 2.0}, {3});
  // hessian of sum(x^4) is diag(12 x^2); d trace / dx = 24 x, reached through the original x.
  const Tensor h = AF::hessian([](const Tensor& t) { return t.pow(4.0).sum(); }, x, {.create_graph = true});
  ASSERT_TRUE(h.requires_grad());
  expect_values(h.diagonal(), {3, 12, 48}, 1e-12);
  const Tensor g = autograd::grad({h.diagonal().sum()}, {x})[0];
  expect_values(g, {12, -24, 48}, 1e-12);
  // Without create_graph nothing keeps a history, and x's .grad is never touched.
  const Tensor plain = AF::hessian([](const Tensor& t) { return t.pow(4.0).sum(); }, x);
  EXPECT_FALSE(plain.requires_grad());
  // An input that requires grad and is not contiguous (a transposed view) is aliased as it is.
  const Tensor m = testing::leaf({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, {2, 3});
  const Tensor mt = m.t();
  const Tensor jt = AF::jacobian([](const Tensor& t) { return t.pow(2.0).sum(0); }, mt, {.create_graph = true});
  EXPECT_EQ(jt.sizes(), (Dims{2, 3, 2}));
  expect_values(autograd::grad({jt.sum()}, {m})[0], std::vector<double>(6, 2.0), 1e-12);
  // jvp's product under create_graph depends on the input: d/dx of J(x) v for x^3 is 6 x v.
  const Tensor v = f64({1.0, 2.0, 3.0}, {3});
  const auto [cube, jv] = AF::jvp([](const Tensor& t) { return t.pow(3.0); }, x, v, {.create_graph = true});
  ASSERT_TRUE(jv.requires_grad());
  expect_values(autograd::grad({jv.sum()}, {x})[0], {3, -12, 36}, 1e-12);
}

TEST(Functional, RunsUnderNoGradAndRefusesInferenceMode) {
  const Tensor x = f64({1.0, 2.0}, {2});
  {
    NoGradGuard no_grad;
    expect_values(AF::jacobian([](const Tensor& t) { return t.exp(); }, x), {std::exp(1.0), 0, 0, std::exp(2.0)},
                  1e-15);
    EXPECT_FALSE(is_grad_enabled());
  }
  InferenceModeGuard inference;
  EXPECT_NE(error_of([&] { AF::jacobian([](const Tensor& t) { return t.exp(); }, x); })
                .find("jacobian: nothing is recorded inside inference mode"),
            std::string::npos);
}

TEST(Functional, AnUnusedInputGetsZerosOrUnderStrictAnError) {
  const auto first_only = [](const tensor_list& in) { return tensor_list{in[0] * 2.0}; };
  const auto [out, product] = AF::vjp(first_only, {kY, kX}, {kV2});
  expect_values(product[1], std::vector<double>(6, 0.0), 0.0);
  EXPECT_EQ(product[1].sizes(), (Dims{2, 3}));
  EXPECT_NE(error_of([&] { AF::vjp(first_only, {kY, kX}, {kV2}, {.strict = true}); })
                .find("The output of the user-provided function is independent of input 1. This is not allowed in "
                      "strict mode."),
            std::string::npos);
  EXPECT_NE(error_of([&] { AF::jacobian(first_only, {kY, kX}, {.strict = true}); })
                .find("Output 0 of the user-provided function is independent of input 1."),
            std::string::npos);
  // A constant output: zeros; under strict, PyTorch's phrase.
  const auto constant = [](const Tensor&) { return f64({1.0, 2.0}, {2}); };
  expect_values(AF::jacobian(constant, kY), std::vector<double>(6, 0.0), 0.0);
  EXPECT_NE(error_of([&] { AF::jacobian(constant, kY, {.strict = true}); })
                .find("Output 0 of the user-provided function does not require gradients."),
            std::string::npos);
  // A linear function's Hessian is zeros; strict says its Jacobian is independent of the input.
  const auto linear = [](const Tensor& t) { return (t * 3.0).sum(); };
  expect_values(AF::hessian(linear, kY), std::vector<double>(9, 0.0), 0.0);
  EXPECT_NE(error_of([&] { AF::hessian(linear, kY, {.strict = true}); })
                .find("While computing the hessian, found that the jacobian of the user-provided function with "
                      "respect to input 0 is independent of the input."),
            std::string::npos);
}

TEST(Functional, ACapturedTensorIsAConstant) {
  // The function reads its argument and, captured, the very tensor given as the input: only
  // the argument is differentiated (PyTorch's fresh input objects), so d(t * x)/dt = diag(x).
  const Tensor x = testing::leaf({2.0, 3.0}, {2});
  expect_values(AF::jacobian([&](const Tensor& t) { return t * x; }, x), {2, 0, 0, 3}, 0.0);
  expect_values(AF::jacobian([&](const Tensor& t) { return t * x; }, x, {.create_graph = true}), {2, 0, 0, 3}, 0.0);
}

TEST(Functional, BadArgumentsAreClearErrors) {
  EXPECT_NE(error_of([&] { AF::vjp(two_outputs, {kX, kY}, {kV1}); })
                .find("v is a tuple of invalid length: should be 2 but got 1."),
            std::string::npos);
  EXPECT_NE(error_of([&] { AF::vjp(two_outputs, {kX, kY}, {kV1, kV1}); })
                .find("Entry 1 in v has invalid size: should be [3] but got [2, 3]."),
            std::string::npos);
  EXPECT_NE(error_of([&] { AF::jvp([](const Tensor& t) { return t * 2.0; }, kY, kX); })
                .find("v has invalid size: should be [3] but got [2, 3]."),
            std::string::npos);
  EXPECT_NE(error_of([&] { AF::vjp(two_outputs, {kX, kY}); })
                .find("The vector v can only be None if the user-provided function returns a single Tensor with a "
                      "single element."),
            std::string::npos);
  EXPECT_NE(error_of([&] { AF::hvp([](const Tensor& t) { return t.sum(); }, kY); })
                .find("The vector v can only be None if the input to the user-provided function is a single Tensor "
                      "with a single element."),
            std::string::npos);
  EXPECT_NE(error_of([&] { AF::hessian([](const Tensor& t) { return t * t; }, kY); })
                .find("The Tensor returned by the function given to hessian should contain a single element"),
            std::string::npos);
  EXPECT_NE(error_of([&] { AF::vhp([](const Tensor& t) { return t * t; }, kY, kY); })
                .find("The Tensor returned by the function given to vhp should contain a single element"),
            std::string::npos);
  const Tensor index = tensor(std::vector<int64_t>{1, 2}, {2});
  EXPECT_NE(error_of([&] { AF::jacobian([](const Tensor& t) { return t * 2; }, index); })
                .find("jacobian: only floating-point inputs can be differentiated, but input 0 is int64"),
            std::string::npos);
  EXPECT_NE(error_of([&] { AF::jacobian([](const tensor_list&) { return tensor_list{Tensor()}; }, {kY}); })
                .find("jacobian: output 0 of the user-provided function is an undefined tensor"),
            std::string::npos);
}

// A small conv net's loss as a function of its input and weights: every product goes
// through conv2d, batch norm (training), ReLU, max pooling, linear and cross_entropy; the
// forward-mode products (jvp, hvp) also through each op's differentiated backward.
Tensor conv_net_loss(const tensor_list& in) {
  const Tensor targets = tensor(std::vector<int64_t>{1, 0}, {2});
  Tensor h = F::conv2d(in[0], in[1], Tensor(), 1, 1);
  h = F::batch_norm(h, Tensor(), Tensor(), Tensor(), Tensor(), /*training=*/true);
  h = F::max_pool2d(F::relu(h), 2).flatten(1);
  return F::cross_entropy(F::linear(h, in[2]), targets);
}

TEST(Functional, ThroughAConvNetTheProductsAgreeWithTheJacobianAndHessian) {
  manual_seed(11);
  const tensor_list in{randn({2, 1, 4, 4}, kFloat64), randn({2, 1, 3, 3}, kFloat64) * 0.5,
                       randn({3, 2 * 2 * 2}, kFloat64) * 0.5};
  const tensor_list v{randn({2, 1, 4, 4}, kFloat64), randn({2, 1, 3, 3}, kFloat64), randn({3, 8}, kFloat64)};
  const tensor_list gradient = AF::jacobian(conv_net_loss, in);
  const auto [loss, vj] = AF::vjp(conv_net_loss, in);
  const auto [loss2, jv] = AF::jvp(conv_net_loss, in, v);
  double directional = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    expect_values(vj[i], gradient[i].to_vector<double>(), 1e-12);
    directional += (gradient[i] * v[i]).sum().item<double>();
  }
  EXPECT_NEAR(jv.item<double>(), directional, 1e-10);
  EXPECT_DOUBLE_EQ(loss.item<double>(), loss2.item<double>());
  // H v both ways equals the Hessian's rows contracted with v.
  const auto H = AF::hessian(conv_net_loss, in);
  const auto [out_h, hv] = AF::hvp(conv_net_loss, in, v);
  const auto [out_v, vh] = AF::vhp(conv_net_loss, in, v);
  for (size_t i = 0; i < in.size(); ++i) {
    Tensor expected = zeros(in[i].sizes(), kFloat64);
    for (size_t j = 0; j < in.size(); ++j)
      expected = expected + H[i][j].reshape({in[i].numel(), v[j].numel()}).matmul(v[j].reshape({-1})).reshape(
                                in[i].sizes());
    expect_values(hv[i], expected.to_vector<double>(), 1e-9);
    expect_values(vh[i], expected.to_vector<double>(), 1e-9);
  }
}

}  // namespace
}  // namespace ember
