// torch.nn.init and torch.nn.utils details PyTorch users rely on: sparse_, orthogonal_ at layer
// sizes, the kaiming mode's case, trunc_normal_ between equal bounds, weight_norm's negative
// dims, ln_structured with n = 0, fusion's dtypes and requires_grad, pad_sequence's left padding,
// fold's empty-channel check.
#include <cmath>
#include <memory>
#include <vector>

#include "nn/prune.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
namespace init = nn::init;
using testing::expect_values;

TEST(InitParity, SparseZeroesItsShareOfEachColumn) {
  manual_seed(8);
  Tensor w = empty({10, 4});
  init::sparse_(w, 0.25, 0.5);
  const Tensor zeros_per_column = (w == 0.0).sum(Dims{0});
  expect_values(zeros_per_column, {3, 3, 3, 3}, 0.0);  // ceil(0.25 * 10)
  EXPECT_GT(w.abs().max().item<double>(), 0.1);
  EXPECT_EMBER_ERROR(init::sparse_(empty({2, 2, 2}), 0.5), "Only tensors with 2 dimensions are supported");
}

TEST(InitParity, OrthogonalAtLayerSizes) {
  manual_seed(9);
  Tensor tall = empty({512, 256}, kFloat64);
  init::orthogonal_(tall);
  EXPECT_LT(testing::max_abs_diff(tall.t().matmul(tall), eye(256, TensorOptions(kFloat64))), 1e-12);
  Tensor wide = empty({3, 5}, kFloat64);
  init::orthogonal_(wide, 2.0);
  EXPECT_LT(testing::max_abs_diff(wide.matmul(wide.t()), eye(3, TensorOptions(kFloat64)) * 4.0), 1e-12);
  Tensor conv = empty({4, 2, 3, 3});
  init::orthogonal_(conv);
  const Tensor rows = conv.reshape({4, 18});
  EXPECT_LT(testing::max_abs_diff(rows.matmul(rows.t()), eye(4)), 1e-5);
}

TEST(InitParity, KaimingModeCaseAndEqualTruncationBounds) {
  Tensor w = empty({8, 4});
  init::kaiming_uniform_(w, 0.0, "FAN_IN");
  EXPECT_LE(w.abs().max().item<double>(), std::sqrt(6.0 / 4.0));
  EXPECT_EMBER_ERROR(init::kaiming_uniform_(w, 0.0, "fan_avg"), "Mode fan_avg not supported");
  init::trunc_normal_(w, 0.0, 1.0, 1.5, 1.5);
  expect_values(w.flatten(), std::vector<double>(32, 1.5), 0.0);
  EXPECT_EMBER_ERROR(init::trunc_normal_(w, 0.0, 1.0, 2.0, 1.0), "expected a <= b");
}

TEST(UtilsParity, WeightNormNegativeDimsAndStructuredPruneOfNormZero) {
  auto fc = std::make_shared<nn::Linear>(3, 2);
  nn::utils::weight_norm(*fc, "weight", -2);  // dim 0 of a 2-D weight
  EXPECT_EQ(fc->get_parameter("weight_g").sizes(), (Dims{2, 1}));
  auto whole = std::make_shared<nn::Linear>(3, 2);
  nn::utils::weight_norm(*whole, "weight", -1);
  EXPECT_EQ(whole->get_parameter("weight_g").dim(), 0);
  auto counted = std::make_shared<nn::Linear>(3, 2);
  {
    NoGradGuard no_grad;
    counted->weight.copy_(tensor(std::vector<double>{1, 0, 0, 1, 1, 0}, {2, 3}));
  }
  nn::utils::prune::ln_structured(*counted, "weight", 1, 0.0, 0);  // rows by their count of nonzeros
  expect_values(counted->get_buffer("weight_mask"), {0, 0, 0, 1, 1, 1}, 0.0);
}

TEST(UtilsParity, FusionKeepsTheLayersDtypesAndRequiresGrad) {
  auto conv = std::make_shared<nn::Conv2d>(2, 3, 1, nn::Conv2dOptions{.bias = false});
  conv->to(kFloat16);
  conv->weight.requires_grad_(false);
  auto bn = std::make_shared<nn::BatchNorm2d>(3);
  conv->eval();
  bn->eval();
  const auto fused = nn::utils::fuse_conv_bn_eval(*conv, *bn);
  EXPECT_EQ(fused->weight.dtype(), kFloat16);
  EXPECT_EQ(fused->bias.dtype(), kFloat16);
  EXPECT_FALSE(fused->weight.requires_grad());
  EXPECT_FALSE(fused->bias.requires_grad());  // the conv had no bias
  // PyTorch 2.x folds a one-feature BatchNorm1d into any Linear.
  auto linear = std::make_shared<nn::Linear>(7, 5);
  auto one = std::make_shared<nn::BatchNorm1d>(1);
  {
    NoGradGuard no_grad;
    one->running_mean.fill_(0.5);
    one->running_var.fill_(4.0);
  }
  linear->eval();
  one->eval();
  const auto folded = nn::utils::fuse_linear_bn_eval(*linear, *one);
  const Tensor x = randn({2, 1, 7});
  EXPECT_LT(testing::max_abs_diff((*folded)(x), (*one)((*linear)(x))), 1e-5);
  EXPECT_TRUE(folded->bias.requires_grad());
}

TEST(UtilsParity, LeftPaddedSequencesAndFoldChecks) {
  using nn::utils::rnn::pad_sequence;
  const std::vector<Tensor> seqs{tensor(std::vector<double>{1, 2}), tensor(std::vector<double>{3})};
  expect_values(pad_sequence(seqs, true, 0.0, "left"), {1, 2, 0, 3}, 0.0);
  expect_values(pad_sequence(seqs, false, -1.0, "left"), {1, -1, 2, 3}, 0.0);  // [T, B]
  expect_values(pad_sequence(seqs, true), {1, 2, 3, 0}, 0.0);
  EXPECT_EMBER_ERROR(pad_sequence(seqs, true, 0.0, "middle"),
                     "Expected padding_side to be one of left or right, but got middle.");
  Tensor x = tensor(std::vector<double>{1, 2}, {2}, TensorOptions(kFloat64).requires_grad(true));
  pad_sequence({x}, true, 0.0, "left").sum().backward();
  expect_values(x.grad(), {1, 1}, 0.0);
  EXPECT_EMBER_ERROR(F::fold(zeros({1, 0, 4}), {3, 3}, 2),
                     "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero");
  EXPECT_EQ(F::fold(zeros({0, 4, 4}), {3, 3}, 2).sizes(), (Dims{0, 1, 3, 3}));
}

}  // namespace
}  // namespace ember
