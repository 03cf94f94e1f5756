// torch.nn.utils.prune against PyTorch 1.13's masks and values (Note [Pruning masks]):
// keys and identity, masked forward and gradients, iterated and global pruning,
// structured norms, remove(), random methods, is_pruned and the errors.
#include <gmock/gmock.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "nn/fixed_linear.h"
#include "nn/prune.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::batch_2x3;
using ember::testing::expect_values;
using ember::testing::linear_2x3;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace prune = nn::utils::prune;

std::vector<std::string> keys(const nn::StateDict& sd) {
  std::vector<std::string> out;
  for (const auto& [k, _] : sd) out.push_back(k);
  return out;
}

Tensor mask_of(nn::Module& m) { return m.get_buffer("weight_mask"); }

std::shared_ptr<nn::Linear> scaled_linear(double scale) {
  auto fc = linear_2x3();
  NoGradGuard no_grad;
  fc->weight.mul_(scale);
  return fc;
}

TEST(Prune, L1UnstructuredAsPyTorch) {
  auto fc = linear_2x3();
  const Tensor w0 = fc->weight;
  prune::l1_unstructured(*fc, "weight", 0.5);
  EXPECT_THAT(keys(fc->state_dict()), ElementsAre("bias", "weight_orig", "weight_mask"));
  EXPECT_TRUE(fc->get_parameter("weight_orig").is_same(w0));  // an optimizer made before still trains it
  expect_values(mask_of(*fc), {0, 0, 0, 1, 1, 1}, 0);
  EXPECT_TRUE(prune::is_pruned(*fc));
  const Tensor y = (*fc)(batch_2x3());
  expect_values(y, {0.5, -5.0, 0.5, 2.5}, 1e-15);
  (y * tensor(std::vector<double>{1, 2, 3, 4}, {2, 2}, TensorOptions(kFloat64))).sum().backward();
  expect_values(w0.grad(), {0, 0, 0, 10, 5, -2}, 1e-15);
}

TEST(Prune, IteratedPruningCountsInWhatIsLeftAndRemoveKeepsIdentity) {
  auto fc = linear_2x3();
  const Tensor w0 = fc->weight;
  prune::l1_unstructured(*fc, "weight", 0.5);
  prune::l1_unstructured(*fc, "weight", 1);
  expect_values(mask_of(*fc), {0, 0, 0, 0, 1, 1}, 0);
  prune::l1_unstructured(*fc, "weight", 0.5);  // round(0.5 * 2) of the two left
  expect_values(mask_of(*fc), {0, 0, 0, 0, 0, 1}, 0);
  expect_values(fc->weight, {0, 0, 0, 0, 0, 6}, 0);
  prune::remove(*fc, "weight");
  EXPECT_THAT(keys(fc->state_dict()), ElementsAre("bias", "weight"));
  EXPECT_TRUE(fc->weight.is_same(w0));
  EXPECT_TRUE(fc->weight.requires_grad());
  expect_values(fc->weight, {0, 0, 0, 0, 0, 6}, 0);
  EXPECT_FALSE(prune::is_pruned(*fc));
  // Training on: the pruned entries are free again after remove (PyTorch: pruning is
  // permanent in the values, not in later updates).
  EXPECT_EQ(fc->parameters().size(), 2u);
}

TEST(Prune, LnStructuredChannelsAsPyTorch) {
  auto rows = linear_2x3();
  prune::ln_structured(*rows, "weight", 1, 2, 0);
  expect_values(mask_of(*rows), {0, 0, 0, 1, 1, 1}, 0);
  auto columns = linear_2x3();
  prune::ln_structured(*columns, "weight", 1, 2, 1);
  expect_values(mask_of(*columns), {0, 1, 1, 0, 1, 1}, 0);
  prune::ln_structured(*columns, "weight", 1, 2, 1);  // among the two columns left
  expect_values(mask_of(*columns), {0, 0, 1, 0, 0, 1}, 0);
  auto inf_norm = linear_2x3();
  prune::ln_structured(*inf_norm, "weight", 0.34, std::numeric_limits<double>::infinity(), -1);
  expect_values(mask_of(*inf_norm), {0, 1, 1, 0, 1, 1}, 0);
  auto scored = linear_2x3();
  prune::ln_structured(*scored, "weight", 1, 1, 1,
                       tensor(std::vector<double>{9, 0, 9, 9, 0, 9}, {2, 3}, TensorOptions(kFloat64)));
  expect_values(mask_of(*scored), {1, 0, 1, 1, 0, 1}, 0);
}

// A second prune ranks the masked weight (PyTorch's getattr(module, name)), not weight_orig: the
// row whose large entry is already pruned has the smaller L1 norm. PyTorch's mask: 0 0 1 1.
TEST(Prune, APruneAfterAPruneRanksTheMaskedWeight) {
  auto fc = std::make_shared<nn::Linear>(2, 2);
  {
    NoGradGuard no_grad;
    fc->weight.copy_(tensor(std::vector<double>{10, 0.1, 2, 2}, {2, 2}));
  }
  prune::custom_from_mask(*fc, "weight", tensor(std::vector<double>{0, 1, 1, 1}, {2, 2}));
  prune::ln_structured(*fc, "weight", 1, 1, 0);
  expect_values(mask_of(*fc), {0, 0, 1, 1}, 0);
}

TEST(Prune, GlobalUnstructuredAsPyTorch) {
  auto a = linear_2x3();
  auto b = scaled_linear(0.3);
  prune::global_unstructured({{a.get(), "weight"}, {b.get(), "weight"}}, prune::L1Unstructured(0.5));
  expect_values(mask_of(*a), {0, 1, 1, 1, 1, 1}, 0);
  expect_values(mask_of(*b), {0, 0, 0, 0, 0, 1}, 0);
  prune::global_unstructured({{a.get(), "weight"}, {b.get(), "weight"}}, prune::L1Unstructured(2));
  expect_values(mask_of(*a), {0, 0, 1, 1, 1, 1}, 0);
  expect_values(mask_of(*b), {0, 0, 0, 0, 0, 0}, 0);
  EXPECT_THROW(prune::global_unstructured({{a.get(), "weight"}}, prune::LnStructured(1, 2, 0)), Error);
}

TEST(Prune, CustomMaskThenL1AndRandomMethodsPruneTheirCount) {
  auto fc = linear_2x3();
  prune::custom_from_mask(*fc, "weight", tensor(std::vector<double>{1, 0, 1, 0, 1, 0}, {2, 3}, TensorOptions(kFloat64)));
  prune::l1_unstructured(*fc, "weight", 1);
  expect_values(mask_of(*fc), {0, 0, 1, 0, 1, 0}, 0);

  manual_seed(11);
  auto random = linear_2x3();
  prune::random_unstructured(*random, "weight", 2);
  EXPECT_EQ(mask_of(*random).sum().item<double>(), 4.0);
  manual_seed(11);
  auto again = linear_2x3();
  prune::random_unstructured(*again, "weight", 2);
  EXPECT_TRUE(equal(mask_of(*random), mask_of(*again)));  // same seed, same mask

  auto channels = linear_2x3();
  prune::random_structured(*channels, "weight", 1, 0);
  std::vector<double> row_sums = mask_of(*channels).sum(Dims{1}).to_vector<double>();
  std::sort(row_sums.begin(), row_sums.end());
  EXPECT_EQ(row_sums, (std::vector<double>{0.0, 3.0}));  // one row pruned
  prune::identity(*channels, "bias");
  expect_values(channels->get_buffer("bias_mask"), {1, 1}, 0);
}

// An optimizer made before pruning trains weight_orig; the masked entries get no gradient,
// so the weight keeps its zeros through training.
TEST(Prune, TrainingKeepsPrunedEntriesZero) {
  auto fc = linear_2x3();
  optim::SGD sgd(fc->parameters(), {.lr = 0.1});
  prune::l1_unstructured(*fc, "weight", 3);
  for (int step = 0; step < 3; ++step) {
    sgd.zero_grad();
    (*fc)(batch_2x3()).pow(2).sum().backward();
    sgd.step();
  }
  (*fc)(batch_2x3());  // the pre-hook recomputes weight from the trained orig
  const std::vector<double> w = fc->weight.detach().to_vector<double>();
  EXPECT_EQ(w[0], 0.0);
  EXPECT_EQ(w[1], 0.0);
  EXPECT_EQ(w[2], 0.0);
  EXPECT_NE(w[3], 4.0);  // kept entries trained
  expect_values(fc->get_parameter("weight_orig").narrow(0, 0, 1), {1, 2, 3}, 0);
}

TEST(Prune, ModulesUnderAContainerAndConvolutionChannels) {
  manual_seed(2);
  auto conv = std::make_shared<nn::Conv2d>(2, 4, 3);
  nn::Sequential net({conv, std::make_shared<nn::ReLU>()});
  EXPECT_FALSE(prune::is_pruned(net));
  prune::ln_structured(*conv, "weight", 0.5, 2, 0);  // two of the four output channels
  EXPECT_TRUE(prune::is_pruned(net));
  const Tensor y = net.forward(randn({1, 2, 5, 5}));
  const std::vector<double> per_channel = y.sum(Dims{0, 2, 3}).to(kFloat64).to_vector<double>();
  const std::vector<double> bias = conv->bias.to(kFloat64).to_vector<double>();
  int zeroed = 0;
  for (size_t c = 0; c < 4; ++c)  // a pruned channel is relu(bias) everywhere
    if (std::abs(per_channel[c] - 9 * std::max(bias[c], 0.0)) < 1e-6) ++zeroed;
  EXPECT_GE(zeroed, 2);
}

TEST(Prune, ErrorsUsePyTorchsPhrases) {
  auto fc = linear_2x3();
  EXPECT_EMBER_ERROR(prune::l1_unstructured(*fc, "weight", 7),
                     "amount=7 should be smaller than the number of parameters to prune=6");
  EXPECT_EMBER_ERROR(prune::l1_unstructured(*fc, "weight", -1),
                     "amount=-1 should either be a float in the range [0, 1] or a non-negative integer");
  EXPECT_EMBER_ERROR(prune::l1_unstructured(*fc, "weight", 1.5),
                     "amount=1.5 should either be a float in the range [0, 1] or a non-negative integer");
  EXPECT_EMBER_ERROR(prune::ln_structured(*fc, "bias", 1, 2, 0),
                     "Structured pruning can only be applied to multidimensional tensors. Found tensor of shape [2] "
                     "with 1 dims");
  EXPECT_EMBER_ERROR(prune::ln_structured(*fc, "weight", 1, 2, 2), "Invalid index 2 for tensor of size [2, 3]");
  EXPECT_EMBER_ERROR(prune::remove(*fc, "weight"),
                     "Parameter 'weight' of module Linear has to be pruned before pruning can be removed");
  EXPECT_EMBER_ERROR(prune::l1_unstructured(*fc, "weight", 1, zeros({3}, TensorOptions(kFloat64))),
                     "importance_scores should have the same shape as parameter weight of Linear");
  EXPECT_EMBER_ERROR(prune::custom_from_mask(*fc, "weight", ones({3})), "custom_from_mask: expected a mask of shape");
  // Refused prunings left the module as it was.
  EXPECT_THAT(keys(fc->state_dict()), ElementsAre("weight", "bias"));
  EXPECT_FALSE(prune::is_pruned(*fc));
}

}  // namespace
}  // namespace ember
