// torch.nn.utils.parametrize and parametrizations (Note [Parametrizations] in
// nn/parametrize.h), as PyTorch's "Parametrizations Tutorial" uses them: the module tree and
// state-dict keys, gradients to the originals, right_inverse, chains, cached(), removal, and
// PyTorch 2's weight_norm / spectral_norm against the legacy functions' values.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace P = nn::utils::parametrize;
namespace PZ = nn::utils::parametrizations;
using ember::testing::max_abs_diff;
using ember::testing::names_of;

struct Symmetric : nn::Module {
  Symmetric() : nn::Module("Symmetric") {}
  Tensor forward(const Tensor& x) override { return x.triu() + x.triu(1).transpose(-1, -2); }
};
struct Skew : nn::Module {
  Skew() : nn::Module("Skew") {}
  Tensor forward(const Tensor& x) override {
    const Tensor a = x.triu(1);
    return a - a.transpose(-1, -2);
  }
};
struct MatrixExponential : nn::Module {
  MatrixExponential() : nn::Module("MatrixExponential") {}
  Tensor forward(const Tensor& x) override { return linalg::matrix_exp(x); }
};
// A parametrization with a right_inverse: the original is log(weight).
struct Positive : nn::Parametrization {
  Positive() : nn::Parametrization("Positive") {}
  Tensor forward(const Tensor& x) override {
    ++calls;
    return x.exp();
  }
  bool has_right_inverse() const override { return true; }
  std::vector<Tensor> right_inverse(const Tensor& value) override { return {value.log()}; }
  int calls = 0;
};
struct Widen : nn::Module {
  Widen() : nn::Module("Widen") {}
  Tensor forward(const Tensor& x) override { return cat({x, x}, 0); }
};

TEST(Parametrize, TheTutorialsSymmetricLayer) {
  manual_seed(0);
  nn::Linear layer(3, 3);
  const Tensor before = layer.weight;
  optim::SGD sgd(layer.parameters(), {.lr = 0.1});  // made before: it still trains the original
  P::register_parametrization(layer, "weight", std::make_shared<Symmetric>());
  EXPECT_TRUE(equal(layer.weight, layer.weight.t()));
  EXPECT_EQ(names_of(layer.state_dict()), (std::vector<std::string>{"bias", "parametrizations.weight.original"}));
  EXPECT_EQ(layer.repr(),
            "Linear(\n  in_features=3, out_features=3, bias=True\n  (parametrizations): ModuleDict(\n    (weight): "
            "ParametrizationList(\n      (0): Symmetric()\n    )\n  )\n)");
  Tensor& original = layer.get_parameter("parametrizations.weight.original");
  EXPECT_EQ(original.impl_ptr().get(), before.impl_ptr().get());
  EXPECT_EQ(layer.parameters().size(), 2u);
  layer(ones({1, 3})).sum().backward();
  // d sum(W) / d X: 1 on the diagonal, 2 above it (used twice), 0 below.
  ember::testing::expect_values(original.grad(), {1, 2, 2, 0, 1, 2, 0, 0, 1});
  const Tensor old = original.clone();
  sgd.step();
  EXPECT_FALSE(equal(original, old));
  layer(ones({1, 3}));
  EXPECT_TRUE(equal(layer.weight, layer.weight.t()));
  EXPECT_TRUE(P::is_parametrized(layer));
  EXPECT_TRUE(P::is_parametrized(layer, "weight"));
  EXPECT_FALSE(P::is_parametrized(layer, "bias"));
}

TEST(Parametrize, ChainsAreAppliedInOrder) {
  manual_seed(1);
  nn::Linear layer(3, 3);
  P::register_parametrization(layer, "weight", std::make_shared<Skew>());
  P::register_parametrization(layer, "weight", std::make_shared<MatrixExponential>());
  EXPECT_LT(max_abs_diff(matmul(layer.weight, layer.weight.t()), eye(3)), 1e-5);  // orthogonal
  EXPECT_EQ(names_of(layer.state_dict()), (std::vector<std::string>{"bias", "parametrizations.weight.original"}));
  EXPECT_EQ(layer.get_submodule("parametrizations.weight")->named_children().size(), 2u);
  // A parametrization that changes the shape is refused unless unsafe.
  nn::Linear other(2, 2);
  EXPECT_EMBER_ERROR(P::register_parametrization(other, "weight", std::make_shared<Widen>()),
                     "Registering a parametrization may not change the shape of the tensor, unless `unsafe` flag is "
                     "enabled.\nunparametrized shape: [2, 2]\nparametrized shape: [4, 2]");
  EXPECT_FALSE(P::is_parametrized(other));
  P::register_parametrization(other, "bias", std::make_shared<Widen>(), /*unsafe=*/true);
  EXPECT_EQ(other.bias.sizes(), (Dims{4}));
}

TEST(Parametrize, RightInverseSetsTheOriginalAndCachedComputesOnce) {
  manual_seed(2);
  nn::Linear layer(2, 2);
  {
    NoGradGuard no_grad;
    layer.weight.copy_(tensor(std::vector<float>{1.f, 2.f, 3.f, 4.f}, {2, 2}));
  }
  auto positive = std::make_shared<Positive>();
  P::register_parametrization(layer, "weight", positive);
  ember::testing::expect_values(layer.get_parameter("parametrizations.weight.original"),
                                {0.0, std::log(2.0), std::log(3.0), std::log(4.0)}, 1e-6);
  ember::testing::expect_values(layer.weight, {1, 2, 3, 4}, 1e-5);
  const int registered = positive->calls;
  {
    P::Cached cached;
    layer(ones({1, 2}));
    layer(ones({1, 2}));
  }
  EXPECT_EQ(positive->calls, registered + 1);
  layer(ones({1, 2}));
  EXPECT_EQ(positive->calls, registered + 2);
}

TEST(Parametrize, RemoveKeepsTheValueInTheOriginalTensor) {
  manual_seed(3);
  nn::Linear layer(3, 3);
  const Tensor original = layer.weight;
  P::register_parametrization(layer, "weight", std::make_shared<Symmetric>());
  const Tensor symmetric = layer.weight.detach().clone();
  P::remove_parametrizations(layer, "weight");
  EXPECT_FALSE(P::is_parametrized(layer));
  EXPECT_EQ(names_of(layer.state_dict()), (std::vector<std::string>{"bias", "weight"}));
  EXPECT_EQ(layer.weight.impl_ptr().get(), original.impl_ptr().get());
  EXPECT_TRUE(equal(layer.weight, symmetric));
  EXPECT_TRUE(layer.weight.is_leaf() && layer.weight.requires_grad());
  // leave_parametrized = false: the original's values.
  nn::Linear kept(2, 2);
  const Tensor raw = kept.weight.detach().clone();
  P::register_parametrization(kept, "weight", std::make_shared<Symmetric>());
  P::remove_parametrizations(kept, "weight", /*leave_parametrized=*/false);
  EXPECT_TRUE(equal(kept.weight, raw));
  EXPECT_EMBER_ERROR(P::remove_parametrizations(kept, "weight"), "does not have a parametrization on weight");
  nn::Linear normed(2, 2);
  PZ::weight_norm(normed);
  EXPECT_EMBER_ERROR(P::remove_parametrizations(normed, "weight", false),
                     "Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is parametrized in terms "
                     "of a sequence of tensors.");
  const Tensor value = normed.weight.detach().clone();
  P::remove_parametrizations(normed, "weight");
  EXPECT_LT(max_abs_diff(normed.weight, value), 1e-6);
  EXPECT_TRUE(normed.weight.requires_grad());
}

// PyTorch 2's weight_norm: keys original0 (g) and original1 (v); the legacy function's
// values and gradients.
TEST(Parametrizations, WeightNormMatchesTheLegacyFunction) {
  manual_seed(4);
  nn::Conv2d legacy(2, 3, 3), modern(2, 3, 3);
  modern.load_state_dict(legacy.state_dict());
  nn::utils::weight_norm(legacy);
  PZ::weight_norm(modern);
  EXPECT_EQ(names_of(modern.state_dict()), (std::vector<std::string>{"bias", "parametrizations.weight.original0",
                                                                     "parametrizations.weight.original1"}));
  EXPECT_EQ(modern.get_parameter("parametrizations.weight.original0").sizes(), (Dims{3, 1, 1, 1}));
  const Tensor x = randn({2, 2, 5, 5});
  EXPECT_EQ(max_abs_diff(legacy(x), modern(x)), 0.0);
  legacy(x).pow(2.0).sum().backward();
  modern(x).pow(2.0).sum().backward();
  EXPECT_LT(max_abs_diff(legacy.get_parameter("weight_g").grad(),
                         modern.get_parameter("parametrizations.weight.original0").grad()),
            1e-5);
  EXPECT_LT(max_abs_diff(legacy.get_parameter("weight_v").grad(),
                         modern.get_parameter("parametrizations.weight.original1").grad()),
            1e-5);
  // A state dict round trip into a fresh parametrized layer.
  nn::Conv2d fresh(2, 3, 3);
  PZ::weight_norm(fresh);
  fresh.load_state_dict(modern.state_dict());
  EXPECT_EQ(max_abs_diff(fresh(x), modern(x)), 0.0);
  fresh.to(kFloat64);
  EXPECT_EQ(fresh(x.to(kFloat64)).dtype(), kFloat64);
}

// PyTorch 2's spectral_norm: the parametrization's buffers _u and _v; power iterations in
// training mode only; sigma converges to the largest singular value.
TEST(Parametrizations, SpectralNormKeysModesAndSigma) {
  manual_seed(5);
  nn::Linear layer(6, 4);
  PZ::spectral_norm(layer);
  EXPECT_EQ(names_of(layer.state_dict()),
            (std::vector<std::string>{"bias", "parametrizations.weight.original", "parametrizations.weight.0._u",
                                      "parametrizations.weight.0._v"}));
  for (int i = 0; i < 5; ++i) layer(randn({2, 6}));
  EXPECT_NEAR(linalg::matrix_norm(layer.weight.detach(), 2.0).item<double>(), 1.0, 1e-3);
  layer.eval();
  const Tensor u = layer.get_buffer("parametrizations.weight.0._u").clone();
  layer(randn({2, 6}));
  EXPECT_TRUE(equal(layer.get_buffer("parametrizations.weight.0._u"), u));
  layer.train();
  layer(randn({2, 6}));
  // A 1-D parameter is normalized exactly; a transposed convolution's dim is 1.
  nn::Linear biased(3, 3);
  PZ::spectral_norm(biased, "bias");
  EXPECT_NEAR(biased.bias.norm(2).item<double>(), 1.0, 1e-6);
  nn::ConvTranspose2d up(2, 5, 3);
  PZ::spectral_norm(up);
  EXPECT_EQ(up.get_buffer("parametrizations.weight.0._u").sizes(), (Dims{5}));
  EXPECT_EMBER_ERROR(PZ::spectral_norm(up, "weight", 0), "Expected n_power_iterations to be positive");
  nn::Linear out_of_range(2, 2);
  EXPECT_EMBER_ERROR(PZ::spectral_norm(out_of_range, "weight", 1, 1e-12, 2),
                     "Dimension out of range (expected to be in range of [-2, 1] but got 2)");
}

// The review's cases: a right_inverse that gives a view is taken with its strides; a
// parametrization takes the module's mode; a dtype-changing right_inverse is refused even
// unsafe; a Cached scope keeps apart modules made inside it; removal keeps the weight
// trainable when any original is; PyTorch's message for a name that is not a parameter.
struct Transposed : nn::Parametrization {
  Transposed() : nn::Parametrization("Transposed") {}
  Tensor forward(const Tensor& x) override { return x.t(); }
  bool has_right_inverse() const override { return true; }
  std::vector<Tensor> right_inverse(const Tensor& value) override { return {value.t()}; }
};
struct ToDouble : nn::Parametrization {
  ToDouble() : nn::Parametrization("ToDouble") {}
  Tensor forward(const Tensor& x) override { return x; }
  bool has_right_inverse() const override { return true; }
  std::vector<Tensor> right_inverse(const Tensor& value) override { return {value.to(kFloat64)}; }
};

TEST(Parametrize, EdgeCasesAsPyTorch) {
  nn::Linear square(2, 2, /*bias=*/false);
  {
    NoGradGuard no_grad;
    square.weight.copy_(tensor(std::vector<float>{1.f, 2.f, 3.f, 4.f}, {2, 2}));
  }
  P::register_parametrization(square, "weight", std::make_shared<Transposed>());
  ember::testing::expect_values(square.weight, {1, 2, 3, 4});
  ember::testing::expect_values(square.get_parameter("parametrizations.weight.original"), {1, 3, 2, 4});

  manual_seed(6);
  nn::Linear frozen_mode(4, 3);
  frozen_mode.eval();
  PZ::spectral_norm(frozen_mode);
  const Tensor u = frozen_mode.get_buffer("parametrizations.weight.0._u").clone();
  frozen_mode(randn({2, 4}));
  EXPECT_TRUE(equal(frozen_mode.get_buffer("parametrizations.weight.0._u"), u));

  nn::Linear typed(2, 2);
  EXPECT_EMBER_ERROR(P::register_parametrization(typed, "weight", std::make_shared<ToDouble>(), /*unsafe=*/true),
                     "When `right_inverse` outputs one tensor, it may not change the dtype");
  EXPECT_EQ(typed.weight.dtype(), kFloat32);
  EXPECT_EMBER_ERROR(P::register_parametrization(typed, "nope", std::make_shared<Symmetric>()),
                     "does not have a parameter, a buffer, or a parametrized element with name 'nope'");

  {
    P::Cached cached;
    for (float fill : {1.f, 2.f, 3.f}) {
      auto layer = std::make_shared<nn::Linear>(2, 2);
      {
        NoGradGuard no_grad;
        layer->weight.fill_(fill);
      }
      P::register_parametrization(*layer, "weight", std::make_shared<Symmetric>());
      (*layer)(ones({1, 2}));
      EXPECT_EQ(layer->weight[0][0].item<float>(), fill);
    }
  }

  nn::Linear half_frozen(2, 2);
  PZ::weight_norm(half_frozen);
  half_frozen.get_parameter("parametrizations.weight.original0").requires_grad_(false);
  P::remove_parametrizations(half_frozen, "weight");
  EXPECT_TRUE(half_frozen.weight.requires_grad());
}

}  // namespace
}  // namespace ember
