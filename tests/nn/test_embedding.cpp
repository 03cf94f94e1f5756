// nn::functional::embedding, nn::Embedding and one_hot: values and gradients against
// PyTorch 1.13 (padding_idx counted from the end, repeated indices), gradcheck and
// gradgradcheck, the module's initialisation and from_pretrained, PyTorch's errors.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::error_of;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

// From /usr/bin/python3 (torch 1.13):
//   w = torch.tensor([[0.5, -1, 2], [1.5, 0.25, -0.75], [3, -2, 1], [0.125, 4, -0.5]],
//                    dtype=torch.float64, requires_grad=True)
//   i = torch.tensor([[1, 3, 1], [0, 1, 2]]); y = F.embedding(i, w, padding_idx=-3)
//   g = torch.arange(18, dtype=torch.float64).reshape(2, 3, 3) / 4; (y * g).sum().backward()
TEST(Embedding, RowsAndGradientAsPyTorchWithPaddingFromTheEnd) {
  const Tensor w = testing::leaf({0.5, -1, 2, 1.5, 0.25, -0.75, 3, -2, 1, 0.125, 4, -0.5}, {4, 3});
  const Tensor i = tensor(std::vector<int64_t>{1, 3, 1, 0, 1, 2}, {2, 3});
  const Tensor y = F::embedding(i, w, -3);
  EXPECT_EQ(y.sizes(), (Dims{2, 3, 3}));
  expect_values(y, {1.5, 0.25, -0.75, 0.125, 4.0, -0.5, 1.5, 0.25, -0.75, 0.5, -1.0, 2.0, 1.5, 0.25, -0.75, 3.0,
                    -2.0, 1.0}, 0.0);
  EXPECT_EQ(y.grad_fn()->name(), "EmbeddingBackward");
  const Tensor g = arange(18, TensorOptions(kFloat64)).reshape({2, 3, 3}) / 4.0;
  (y * g).sum().backward();
  // Row 1 (the padding row) is looked up three times and gets nothing.
  expect_values(w.grad(), {2.25, 2.5, 2.75, 0.0, 0.0, 0.0, 3.75, 4.0, 4.25, 0.75, 1.0, 1.25}, 0.0);
}

// F.embedding(i, w, max_norm=1.0): each looked-up row above the norm is scaled in place,
// by max_norm / (norm + 1e-7); rows not looked up stay as they are.
TEST(Embedding, MaxNormRenormalisesTheLookedUpRowsInPlace) {
  Tensor w = tensor(std::vector<double>{3, 4, 1, 0, 0, 5}, {3, 2}).requires_grad_(true);
  const Tensor y = F::embedding(tensor(std::vector<int64_t>{0, 0, 1}), w, {.max_norm = 1.0});
  const double scale = 1.0 / (5.0 + 1e-7);
  expect_values(y, {3 * scale, 4 * scale, 3 * scale, 4 * scale, 1, 0}, 1e-15);
  expect_values(w.detach(), {3 * scale, 4 * scale, 1, 0, 0, 5}, 1e-15);  // row 2 was not looked up
  EXPECT_TRUE(w.is_leaf());
  y.sum().backward();
  expect_values(w.grad(), {2, 2, 1, 1, 0, 0}, 0.0);
  // norm_type 1: |3| + |4| = 7
  Tensor v = tensor(std::vector<double>{3, 4}, {1, 2});
  F::embedding_renorm_(v, tensor(std::vector<int64_t>{0}), 1.0, 1.0);
  expect_values(v, {3 / (7 + 1e-7), 4 / (7 + 1e-7)}, 1e-15);
  // the module, and EmbeddingBag (its bag of rows 0 and 2: both scaled to norm 1)
  nn::Embedding module(3, 2, {.max_norm = 2.0, .norm_type = 1.0, .scale_grad_by_freq = true});
  EXPECT_EQ(module.repr(), "Embedding(3, 2, max_norm=2.0, norm_type=1.0, scale_grad_by_freq=True)");
  auto bag = nn::EmbeddingBag::from_pretrained(tensor(std::vector<double>{3, 4, 1, 0, 0, 5}, {3, 2}), true,
                                               {.mode = "sum", .max_norm = 1.0});
  EXPECT_EQ(bag->repr(), "EmbeddingBag(3, 2, max_norm=1.0, mode='sum')");
  expect_values((*bag)(tensor(std::vector<int64_t>{0, 2}, {1, 2})), {3 * scale, 4 * scale + 5 / (5 + 1e-7)}, 1e-15);
}

// F.embedding(i, w, scale_grad_by_freq=True): a row's gradient over its count in the input.
TEST(Embedding, ScaleGradByFreqDividesByTheCount) {
  const Tensor w = testing::leaf({1, 2, 3, 4, 5, 6}, {3, 2});
  const Tensor i = tensor(std::vector<int64_t>{1, 1, 2});
  F::embedding(i, w, {.scale_grad_by_freq = true}).sum().backward();
  expect_values(w.grad(), {0, 0, 1, 1, 1, 1}, 0.0);
  const Tensor plain = testing::leaf({1, 2, 3, 4, 5, 6}, {3, 2});
  F::embedding(i, plain).sum().backward();
  expect_values(plain.grad(), {0, 0, 2, 2, 1, 1}, 0.0);
  // (no gradcheck: the scaled gradient is on purpose not the Jacobian, as PyTorch's)
}

TEST(Embedding, WithoutPaddingRepeatedRowsAddTheirGradients) {
  const Tensor w = testing::leaf({1, 2, 3, 4}, {2, 2});
  const Tensor i = tensor(std::vector<int64_t>{1, 1, 0, 1});
  F::embedding(i, w).sum().backward();
  expect_values(w.grad(), {1, 1, 3, 3}, 0.0);
}

TEST(Embedding, GradcheckAndGradgradcheck) {
  manual_seed(3);
  const Tensor w = testing::grad_input({5, 4});
  const Tensor i = tensor(std::vector<int64_t>{4, 0, 2, 2, 4, 1}, {3, 2});
  // With padding_idx 3 (not looked up here; a looked-up padding row has a true Jacobian
  // the gradient leaves out on purpose, as PyTorch's, so gradcheck would rightly fail).
  for (const std::optional<int64_t> padding : {std::optional<int64_t>(), std::optional<int64_t>(3)}) {
    // squared so the second derivative is not zero everywhere
    auto fn = [&](const std::vector<Tensor>& in) { return F::embedding(i, in[0], padding).pow(2.0); };
    expect_gradcheck(fn, {w});
    EXPECT_TRUE(autograd::gradgradcheck(fn, {w}));
  }
}

TEST(Embedding, NoGraphUnderNoGradAndSavesOnlyTheIndices) {
  nn::Embedding table(1000, 64);
  const Tensor i = tensor(std::vector<int64_t>{3, 999, 0});
  {
    NoGradGuard no_grad;
    EXPECT_FALSE(table(i).requires_grad());
  }
  const auto before = autograd::saved_tensor_stats();
  const Tensor y = table(i);
  const auto after = autograd::saved_tensor_stats();
  EXPECT_EQ(after.current_bytes - before.current_bytes, 3 * 8);  // the int64 indices, not the table or the rows
  EXPECT_TRUE(y.requires_grad());
}

TEST(Embedding, ModuleInitialisesLikePyTorch) {
  manual_seed(0);
  nn::Embedding e(10, 3, 0);
  EXPECT_EQ(e.weight.sizes(), (Dims{10, 3}));
  EXPECT_TRUE(e.weight.requires_grad());
  expect_values(e.weight.select(0, 0), {0, 0, 0}, 0.0);
  EXPECT_EQ(e.extra_repr(), "10, 3, padding_idx=0");
  EXPECT_EQ(nn::Embedding(7, 2, -1).padding_idx, 6);
  EXPECT_EQ(nn::Embedding(7, 2).extra_repr(), "7, 2");
  // N(0, 1): mean and spread of 20,000 draws
  nn::Embedding big(4000, 5);
  EXPECT_NEAR(big.weight.mean().item<float>(), 0.0, 0.03);
  EXPECT_NEAR((big.weight * big.weight).mean().item<float>(), 1.0, 0.05);
  EXPECT_EQ(nn::Embedding(0, 3).weight.sizes(), (Dims{0, 3}));
}

TEST(Embedding, FromPretrainedSharesFreezesAndDrawsNothing) {
  Tensor table = tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {3, 2});
  manual_seed(5);
  const auto frozen = nn::Embedding::from_pretrained(table, true, 1);
  const Tensor next = randn({4});
  manual_seed(5);
  const Tensor expected_next = randn({4});
  EXPECT_TRUE(equal(next, expected_next));  // no random draw in from_pretrained
  EXPECT_FALSE(frozen->weight.requires_grad());
  EXPECT_EQ(frozen->padding_idx, 1);
  expect_values((*frozen)(tensor(std::vector<int64_t>{2, 1})), {5, 6, 3, 4}, 0.0);
  table.fill_(0.0);
  EXPECT_EQ(frozen->weight.sum().item<float>(), 0.0f);  // shared, as PyTorch's Parameter(_weight)
  EXPECT_TRUE(nn::Embedding::from_pretrained(frozen->weight, false)->weight.requires_grad());
}

TEST(Embedding, BadInputIsAClearError) {
  const Tensor w = randn({5, 3});
  EXPECT_NE(error_of([&] { F::embedding(tensor({1.0f}), w); }).find("'indices' to have one of the following scalar types: Long"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::embedding(tensor(std::vector<int64_t>{1}), randn({5})); }).find("'weight' must be 2-D"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::embedding(tensor(std::vector<int64_t>{5}), w); }).find("index out of range in self"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::embedding(tensor(std::vector<int64_t>{-1}), w); }).find("index out of range in self"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::embedding(tensor(std::vector<int64_t>{1}), w, 5); }).find("Padding_idx must be within num_embeddings"),
            std::string::npos);
  EXPECT_NE(error_of([&] { nn::Embedding(5, 3, -6); }).find("Padding_idx must be within num_embeddings"),
            std::string::npos);
  EXPECT_NE(error_of([&] { nn::Embedding(3, -1); }).find("negative dimension"), std::string::npos);
  EXPECT_NE(error_of([&] { nn::Embedding::from_pretrained(randn({4})); }).find("2-dimensional"), std::string::npos);
}

// F.one_hot(torch.tensor([[2, 0], [1, 2]])) and F.one_hot(torch.tensor(1), 3) in torch 1.13.
TEST(OneHot, ValuesShapesAndErrorsAsPyTorch) {
  const Tensor a = F::one_hot(tensor(std::vector<int64_t>{2, 0, 1, 2}, {2, 2}));
  EXPECT_EQ(a.dtype(), kInt64);
  EXPECT_EQ(a.sizes(), (Dims{2, 2, 3}));
  expect_values(a, {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}, 0.0);
  const Tensor b = F::one_hot(full({}, int64_t{1}, TensorOptions(kInt64)), 3);
  EXPECT_EQ(b.sizes(), (Dims{3}));
  expect_values(b, {0, 1, 0}, 0.0);
  EXPECT_EQ(F::one_hot(zeros({0}, TensorOptions(kInt64)), 4).sizes(), (Dims{0, 4}));
  EXPECT_NE(error_of([] { F::one_hot(tensor({1.0f})); }).find("one_hot is only applicable to index tensor."),
            std::string::npos);
  EXPECT_NE(error_of([] { F::one_hot(tensor(std::vector<int64_t>{-1})); }).find("Class values must be non-negative."),
            std::string::npos);
  EXPECT_NE(error_of([] { F::one_hot(tensor(std::vector<int64_t>{3}), 3); }).find("Class values must be smaller than num_classes."),
            std::string::npos);
  EXPECT_NE(error_of([] { F::one_hot(zeros({0}, TensorOptions(kInt64))); }).find("Can not infer total number of classes from empty tensor."),
            std::string::npos);
}

// A bad padding_idx fails before max_norm renormalises the weight (PyTorch checks first), and
// one_hot of an empty tensor needs a positive num_classes.
TEST(EmbeddingFunctional, ChecksComeBeforeTheWeightChanges) {
  Tensor w = tensor(std::vector<float>{3, 4, 6, 8}, {2, 2});
  EXPECT_EMBER_ERROR(F::embedding(tensor(std::vector<int64_t>{0, 1}), w, {.padding_idx = 5, .max_norm = 1.0}),
                     "Padding_idx must be within num_embeddings (2), got 5");
  expect_values(w, {3, 4, 6, 8}, 0.0);
  EXPECT_EMBER_ERROR(F::one_hot(zeros({0}, TensorOptions(kInt64)), 0),
                     "Can not infer total number of classes from empty tensor.");
  EXPECT_EMBER_ERROR(F::one_hot(zeros({2}, TensorOptions(kInt64)), -2), "Class values must be smaller than num_classes.");
  // max_norm writes the looked-up rows in place: one version bump, so a graph that saved the
  // weight fails at backward as PyTorch's does
  Tensor table = tensor(std::vector<float>{3, 4, 0.3f, 0.4f, 6, 8}, {3, 2}).requires_grad_(true);
  const Tensor loss = (table * table).sum();
  {
    const NoGradGuard no_grad;
    F::embedding(tensor(std::vector<int64_t>{0, 2}), table, {.max_norm = 1.0});
  }
  expect_values(table.detach(), {0.6f, 0.8f, 0.3f, 0.4f, 0.6f, 0.8f}, 1e-6);
  EXPECT_EMBER_ERROR(loss.backward(), "is at version 1; expected version 0 instead");
}

}  // namespace
}  // namespace ember
