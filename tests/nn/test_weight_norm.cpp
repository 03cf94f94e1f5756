// weight_norm / spectral_norm / their removal and parameters_to_vector /
// vector_to_parameters against PyTorch 1.13's values (Note [Reparametrized weights]):
// state-dict keys, forward values, gradients, power iterations, eval mode, errors.
#include <gmock/gmock.h>

#include <memory>
#include <string>
#include <vector>

#include "nn/fixed_linear.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using ember::testing::batch_2x3;
using ember::testing::linear_2x3;

std::vector<std::string> keys(const nn::StateDict& sd) {
  std::vector<std::string> out;
  for (const auto& [k, _] : sd) out.push_back(k);
  return out;
}

TEST(WeightNorm, AsPyTorch) {
  auto fc = nn::utils::weight_norm(linear_2x3());
  EXPECT_THAT(keys(fc->state_dict()), ElementsAre("bias", "weight_g", "weight_v"));
  EXPECT_EQ(fc->parameters().size(), 3u);
  Tensor& g = fc->get_parameter("weight_g");
  EXPECT_EQ(g.sizes(), (Dims{2, 1}));
  expect_values(g, {3.7416573867739413, 8.774964387392123}, 1e-12);
  {
    NoGradGuard no_grad;
    g.mul_(2);
  }
  const Tensor y = (*fc)(batch_2x3());
  expect_values(y, {-1.5, -9.5, 8.5, 5.5}, 1e-12);  // PyTorch 1.13, the same module
  y.sum().backward();
  expect_values(g.grad(), {0.8017837257372732, -0.1709408646894569}, 1e-12);
  expect_values(fc->get_parameter("weight_v").grad(),
                {5.571428571428571, 2.142857142857143, -3.2857142857142856, 6.1558441558441555, 2.8051948051948052,
                 -1.7662337662337664},
                1e-12);
  // Linear's own reference sees the computed weight.
  expect_values(fc->weight, {2, 4, 6, 8, -10, 12}, 1e-12);

  nn::utils::remove_weight_norm(*fc);
  EXPECT_THAT(keys(fc->state_dict()), ElementsAre("bias", "weight"));
  EXPECT_TRUE(fc->weight.requires_grad());
  EXPECT_EQ(fc->weight.grad_fn(), nullptr);
  expect_values(fc->get_parameter("weight"), {2, 4, 6, 8, -10, 12}, 1e-12);
  expect_values((*fc)(batch_2x3()), {-1.5, -9.5, 8.5, 5.5}, 1e-12);
}

TEST(WeightNorm, OtherDimsAndGradcheck) {
  auto whole = nn::utils::weight_norm(linear_2x3(), "weight", std::nullopt);
  EXPECT_EQ(whole->get_parameter("weight_g").dim(), 0);
  expect_values(whole->get_parameter("weight_g"), {9.539392014169456}, 1e-12);
  auto cols = nn::utils::weight_norm(linear_2x3(), "weight", 1);
  EXPECT_EQ(cols->get_parameter("weight_g").sizes(), (Dims{1, 3}));
  expect_values(cols->get_parameter("weight_g"), {4.123105625617661, 5.385164807134504, 6.708203932499369}, 1e-12);
  nn::utils::remove_weight_norm(*cols);
  expect_values(cols->weight, {1, 2, 3, 4, -5, 6}, 1e-12);

  // The reparametrized forward's gradient with respect to g and v, checked numerically.
  auto conv = std::make_shared<nn::Conv2d>(2, 3, 3);
  conv->to(kFloat64);
  nn::utils::weight_norm(*conv);
  const Tensor x = randn({1, 2, 4, 4}, TensorOptions(kFloat64));
  Tensor& g = conv->get_parameter("weight_g");
  Tensor& v = conv->get_parameter("weight_v");
  EXPECT_EQ(g.sizes(), (Dims{3, 1, 1, 1}));
  const auto reparametrized = [](const Tensor& gg, const Tensor& vv) {
    return vv * (gg / linalg::vector_norm(vv, 2, Dims{1, 2, 3}, true));
  };
  ember::testing::expect_gradcheck(
      [&](const std::vector<Tensor>& in) {
        return nn::functional::conv2d(x, reparametrized(in[0], in[1]), conv->bias).sum();
      },
      {g.detach().clone().requires_grad_(), v.detach().clone().requires_grad_()});
  // And the module's own gradient equals that formula's.
  (*conv)(x).sum().backward();
  const Tensor g2 = g.detach().clone().requires_grad_(), v2 = v.detach().clone().requires_grad_();
  nn::functional::conv2d(x, reparametrized(g2, v2), conv->bias).sum().backward();
  EXPECT_LT(ember::testing::max_abs_diff(g.grad(), g2.grad()), 1e-12);
  EXPECT_LT(ember::testing::max_abs_diff(v.grad(), v2.grad()), 1e-12);
}

TEST(WeightNorm, Errors) {
  auto fc = nn::utils::weight_norm(linear_2x3());
  EXPECT_EMBER_ERROR(nn::utils::weight_norm(*fc), "Cannot register two weight_norm hooks on the same parameter weight");
  EXPECT_EMBER_ERROR(nn::utils::spectral_norm(*fc), "is not a parameter: weight_norm computes it");
  EXPECT_EMBER_ERROR(nn::utils::weight_norm(*linear_2x3(), "kernel"), "has no attribute `kernel`");
  EXPECT_EMBER_ERROR(nn::utils::weight_norm(*linear_2x3(), "weight", 2),
                     "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
  nn::Linear no_bias(2, 2, /*bias=*/false);
  EXPECT_EMBER_ERROR(nn::utils::spectral_norm(no_bias, "bias"),
                     "`SpectralNorm` cannot be applied as parameter `bias` is None");
  nn::Linear zero_eps(3, 2);
  nn::utils::spectral_norm(zero_eps, "weight", 1, /*eps=*/0.0);  // PyTorch checks only the iterations
  EXPECT_TRUE(isfinite(zero_eps(ones({1, 3}))).all().item<bool>());
  EXPECT_EMBER_ERROR(nn::utils::remove_weight_norm(*linear_2x3()), "weight_norm of 'weight' not found in Linear");
  EXPECT_EMBER_ERROR(nn::utils::spectral_norm(*linear_2x3(), "weight", 0),
                     "Expected n_power_iterations to be positive, but got n_power_iterations=0");
  EXPECT_EMBER_ERROR(nn::utils::spectral_norm(*linear_2x3(), "weight", 1, 1e-12, 2), "Dimension out of range");
}

TEST(SpectralNorm, PowerIterationAsPyTorch) {
  auto fc = nn::utils::spectral_norm(linear_2x3());
  EXPECT_THAT(keys(fc->state_dict()), ElementsAre("bias", "weight_orig", "weight_u", "weight_v"));
  EXPECT_EQ(fc->parameters().size(), 2u);
  Tensor& u = fc->get_buffer("weight_u");
  Tensor& v = fc->get_buffer("weight_v");
  EXPECT_NEAR(u.norm(2).item<double>(), 1.0, 1e-12);  // a normalized draw
  EXPECT_NEAR(v.norm(2).item<double>(), 1.0, 1e-12);
  {
    NoGradGuard no_grad;
    u.copy_(tensor(std::vector<double>{0.6, 0.8}, {2}, TensorOptions(kFloat64)));
    v.copy_(tensor(std::vector<double>{1, 0, 0}, {3}, TensorOptions(kFloat64)));
  }
  const Tensor y = (*fc)(batch_2x3());
  expect_values(y, {0.3859016033678906, -1.0134427848444925, 0.9563935865284376, -0.15770481010367177}, 1e-12);
  expect_values(u, {0.25310873630879793, 0.9674378365580723}, 1e-12);
  expect_values(v, {0.46831566552480575, -0.3450747009130148, 0.8133903664378204}, 1e-12);
  y.sum().backward();
  expect_values(fc->get_parameter("weight_orig").grad(),
                {0.33998048215991333, 0.17285316906973305, -0.11811867849009328, 0.3334478625482534,
                 0.17766667825727195, -0.12946480728929213},
                1e-12);
  // Eval mode: the buffers are read, not updated.
  fc->eval();
  expect_values((*fc)(batch_2x3()), {0.3859016033678906, -1.0134427848444925, 0.9563935865284376, -0.15770481010367177},
                1e-12);
  expect_values(u, {0.25310873630879793, 0.9674378365580723}, 1e-12);
  // Training calls converge to the largest singular value (PyTorch: 8.8999049197936).
  fc->train();
  for (int i = 0; i < 30; ++i) (*fc)(batch_2x3());
  const Tensor ratio = fc->get_parameter("weight_orig") / fc->weight;
  expect_values(ratio, std::vector<double>(6, 8.8999049197936), 1e-9);

  nn::utils::remove_spectral_norm(*fc);
  EXPECT_THAT(keys(fc->state_dict()), ElementsAre("bias", "weight"));
  EXPECT_NEAR((Tensor(tensor(std::vector<double>{1, 2, 3, 4, -5, 6}, {2, 3}, TensorOptions(kFloat64))) / fc->weight)
                  .mean()
                  .item<double>(),
              8.8999049197936, 1e-9);
}

TEST(SpectralNorm, TransposedConvolutionTakesDimOne) {
  auto deconv = nn::utils::spectral_norm(std::make_shared<nn::ConvTranspose2d>(2, 3, 2));
  EXPECT_EQ(deconv->get_buffer("weight_u").sizes(), (Dims{3}));  // PyTorch: [3] and [8]
  EXPECT_EQ(deconv->get_buffer("weight_v").sizes(), (Dims{8}));
  const Tensor y = (*deconv)(randn({1, 2, 3, 3}));
  EXPECT_EQ(y.sizes(), (Dims{1, 3, 4, 4}));
}

TEST(ParameterVector, RoundTripAsPyTorch) {
  auto fc = linear_2x3();
  const Tensor vec = nn::utils::parameters_to_vector(fc->parameters());
  expect_values(vec, {1, 2, 3, 4, -5, 6, 0.5, -0.5});
  const Tensor weight_before = fc->weight;
  nn::utils::vector_to_parameters(vec * 2, fc->parameters());
  expect_values(fc->weight, {2, 4, 6, 8, -10, 12});
  expect_values(fc->bias, {1, -1});
  EXPECT_TRUE(fc->weight.is_same(weight_before));  // identity kept: an optimizer still trains it
  EXPECT_TRUE(fc->weight.requires_grad());
  EXPECT_EMBER_ERROR(nn::utils::vector_to_parameters(zeros({7}, kFloat64), fc->parameters()),
                     "expected a vector of 8 elements (the parameters' numel together), got 7");
  EXPECT_EMBER_ERROR(nn::utils::vector_to_parameters(zeros({2, 4}, kFloat64), fc->parameters()),
                     "expected a 1-D vector");
  EXPECT_EMBER_ERROR(nn::utils::vector_to_parameters(zeros({8}), fc->parameters()),
                     "expected a vector of float64");
  EXPECT_EMBER_ERROR(nn::utils::parameters_to_vector({}), "expected a non-empty list");
}

TEST(ModuleRegistration, PublicRegistrationAndLookup) {
  auto fc = linear_2x3();
  fc->register_buffer("scale", ones({1}));
  EXPECT_EMBER_ERROR(fc->register_parameter("scale", ones({1})), "attribute 'scale' already exists");
  EXPECT_EMBER_ERROR(fc->register_parameter("a.b", ones({1})), "can't contain \".\"");
  auto net = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{fc});
  expect_values(net->get_parameter("0.bias"), {0.5, -0.5});
  expect_values(net->get_buffer("0.scale"), {1});
  EXPECT_EMBER_ERROR(net->get_parameter("0.scale"), "`scale` is not an nn.Parameter");
  EXPECT_EMBER_ERROR(net->get_parameter("1.bias"), "has no attribute `1`");
  fc->remove_parameter("bias");
  EXPECT_THAT(keys(fc->state_dict()), ElementsAre("weight", "scale"));
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

// Layers called with more than one argument run through Module::operator(), so the forward
// pre-hooks of weight_norm, spectral_norm and pruning recompute the weight each call
// (before, Bilinear(x1, x2) reused the weight made at registration: a second backward failed).
TEST(ReparametrizedCalls, LayersWithMoreArgumentsRunTheHooks) {
  manual_seed(1);
  auto bilinear = nn::utils::weight_norm(std::make_shared<nn::Bilinear>(2, 3, 2));
  optim::SGD opt(bilinear->parameters(), {.lr = 0.1});
  const Tensor x1 = randn({4, 2}), x2 = randn({4, 3});
  std::vector<double> losses;
  for (int step = 0; step < 3; ++step) {
    opt.zero_grad();
    Tensor loss = (*bilinear)(x1, x2).pow(2.0).mean();
    loss.backward();
    opt.step();
    losses.push_back(loss.item<double>());
  }
  EXPECT_LT(losses[2], losses[0]);

  auto bag = std::make_shared<nn::EmbeddingBag>(5, 2, nn::EmbeddingBagOptions{.mode = "sum"});
  nn::utils::prune::identity(*bag, "weight");
  {
    NoGradGuard no_grad;
    bag->get_parameter("weight_orig").mul_(2.0);
  }
  const Tensor input = tensor(std::vector<int64_t>{0, 1, 2, 3}, {4});
  const Tensor offsets = tensor(std::vector<int64_t>{0, 2}, {2});
  const Tensor expected =
      nn::functional::embedding_bag(input, bag->get_parameter("weight_orig"), {.offsets = offsets, .mode = "sum"});
  EXPECT_TRUE(allclose((*bag)(input, offsets), expected));

  auto up =
      nn::utils::spectral_norm(std::make_shared<nn::ConvTranspose2d>(2, 3, 3, nn::ConvTranspose2dOptions{.stride = 2}));
  const Tensor u_before = up->get_buffer("weight_u").clone();
  EXPECT_EQ((*up)(randn({1, 2, 4, 4}), Dims{10, 10}).sizes(), (Dims{1, 3, 10, 10}));
  EXPECT_FALSE(equal(up->get_buffer("weight_u"), u_before));  // the power iteration ran
  auto up1 = std::make_shared<nn::ConvTranspose1d>(2, 1, 3, nn::ConvTranspose1dOptions{.stride = 2});
  auto up3 = std::make_shared<nn::ConvTranspose3d>(1, 1, 2, nn::ConvTranspose3dOptions{.stride = 2});
  int calls = 0;
  up1->register_forward_pre_hook([&](nn::Module&, const Tensor&) -> std::optional<Tensor> {
    ++calls;
    return std::nullopt;
  });
  up3->register_forward_pre_hook([&](nn::Module&, const Tensor&) -> std::optional<Tensor> {
    ++calls;
    return std::nullopt;
  });
  EXPECT_EQ((*up1)(randn({1, 2, 4}), Dims{10}).sizes(), (Dims{1, 1, 10}));
  EXPECT_EQ((*up3)(randn({1, 1, 2, 2, 2}), Dims{5, 5, 5}).sizes(), (Dims{1, 1, 5, 5, 5}));
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

// weight_norm of a 1-D parameter along dim 0 keeps one g per element (PyTorch's
// norm_except_dim views it as [n, 1]), so PyTorch's checkpoints have the same shapes.
TEST(WeightNorm, OneDimensionalParameterHasANormPerElement) {
  nn::Linear fc(2, 4);
  {
    NoGradGuard no_grad;
    fc.bias.copy_(tensor(std::vector<float>{1.f, -2.f, 3.f, -4.f}));
  }
  nn::utils::weight_norm(fc, "bias", 0);
  ember::testing::expect_values(fc.get_parameter("bias_g"), {1.0, 2.0, 3.0, 4.0});
  EXPECT_EQ(fc.get_parameter("bias_g").sizes(), (Dims{4}));
  nn::LayerNorm norm(4);
  nn::utils::weight_norm(norm, "weight", 0);
  EXPECT_EQ(norm(ones({1, 4})).sizes(), (Dims{1, 4}));
  ember::testing::expect_values(norm.weight, {1.0, 1.0, 1.0, 1.0});
}

}  // namespace
}  // namespace ember
