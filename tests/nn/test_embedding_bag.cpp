// nn::functional::embedding_bag and nn::EmbeddingBag against PyTorch 1.13
// (embedding_bag_torch_values.h): each mode's bags and gradients, per-sample weights,
// padding_idx, include_last_offset, 2-D inputs; max's first-largest gradient;
// float64 gradchecks; the module's initialisation, from_pretrained and repr; PyTorch's errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "embedding_bag_torch_values.h"
#include "nn/embedding.h"
#include "nn/functional/embedding_bag.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
namespace ref = ember::testing::torch_embedding_bag;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

// The reference script's w0 [7, 3], x, offsets and upstream gradient g [4, 3].
Tensor ref_weight() {
  std::vector<double> v;
  for (int i = 0; i < 7; ++i)
    for (int j = 0; j < 3; ++j) v.push_back(std::sin(0.7 * i + 0.3 * j));
  return tensor(v, {7, 3}, TensorOptions(kFloat64));
}
Tensor ref_indices() { return tensor(std::vector<int64_t>{1, 4, 4, 2, 6, 0, 3, 5, 1, 6}); }
Tensor ref_offsets() { return tensor(std::vector<int64_t>{0, 3, 3, 7}); }
Tensor ref_g(int64_t bags) {
  std::vector<double> v;
  for (int b = 0; b < bags; ++b)
    for (int j = 0; j < 3; ++j) v.push_back(std::cos(0.5 * b + 0.9 * j));
  return tensor(v, {bags, 3}, TensorOptions(kFloat64));
}
Tensor ref_per_sample_weights() {
  std::vector<double> v;
  for (int i = 0; i < 10; ++i) v.push_back((0.5 + 0.25 * i) * (i % 2 ? -1 : 1));
  return tensor(v, {10}, TensorOptions(kFloat64));
}

// y = embedding_bag(input, w, options) of a fresh leaf w; sum(y * g).backward(); checks y and
// w's gradient (and the per-sample weights', when given) to 1e-14.
void expect_bags(const Tensor& input, F::EmbeddingBagFuncOptions options, const std::vector<double>& want,
                 const std::vector<double>& want_grad, const Dims& want_shape,
                 const std::vector<double>* want_psw_grad = nullptr) {
  const Tensor w = ref_weight().requires_grad_(true);
  if (options.per_sample_weights.defined()) options.per_sample_weights.requires_grad_(true);
  const Tensor y = F::embedding_bag(input, w, options);
  ASSERT_EQ(y.sizes(), want_shape);
  expect_values(y, want, 1e-14);
  (y * ref_g(y.size(0))).sum().backward();
  expect_values(w.grad(), want_grad, 1e-14);
  if (want_psw_grad) expect_values(options.per_sample_weights.grad(), *want_psw_grad, 1e-14);
}

TEST(EmbeddingBag, EachModeMatchesPyTorchWithAnEmptyBag) {
  expect_bags(ref_indices(), {.offsets = ref_offsets(), .mode = "sum"}, ref::kSum, ref::kSumGrad, {4, 3});
  expect_bags(ref_indices(), {.offsets = ref_offsets(), .mode = "mean"}, ref::kMean, ref::kMeanGrad, {4, 3});
  expect_bags(ref_indices(), {.offsets = ref_offsets(), .mode = "max"}, ref::kMax, ref::kMaxGrad, {4, 3});
  // mean is the default mode
  expect_bags(ref_indices(), {.offsets = ref_offsets()}, ref::kMean, ref::kMeanGrad, {4, 3});
}

TEST(EmbeddingBag, PerSampleWeightsScaleTheirRowsAndGetAGradient) {
  expect_bags(ref_indices(), {.offsets = ref_offsets(), .mode = "sum", .per_sample_weights = ref_per_sample_weights()},
              ref::kSumWeighted, ref::kSumWeightedGrad, {4, 3}, &ref::kSumWeightedPswGrad);
}

TEST(EmbeddingBag, PaddingIsLeftOutOfSumsCountsAndMaxima) {
  expect_bags(ref_indices(), {.offsets = ref_offsets(), .mode = "mean", .padding_idx = 6}, ref::kMeanPadding,
              ref::kMeanPaddingGrad, {4, 3});
  // -6 is row 1, the largest in bags 0 and 3 otherwise
  expect_bags(ref_indices(), {.offsets = ref_offsets(), .mode = "max", .padding_idx = -6}, ref::kMaxPadding,
              ref::kMaxPaddingGrad, {4, 3});
  // a bag of padding only is empty: [6, 6, 6] gives zeros
  expect_bags(tensor(std::vector<int64_t>{1, 6, 6, 6, 6, 6, 2, 3, 2}, {3, 3}), {.mode = "mean", .padding_idx = 6},
              ref::kMean2dPadding, ref::kMean2dPaddingGrad, {3, 3});
  // a max bag of padding only as well (not -inf)
  const Tensor all_padding =
      F::embedding_bag(tensor(std::vector<int64_t>{6, 6}), ref_weight(),
                       {.offsets = tensor(std::vector<int64_t>{0}), .mode = "max", .padding_idx = 6});
  expect_values(all_padding, {0.0, 0.0, 0.0}, 0.0);
}

TEST(EmbeddingBag, LastOffsetEndsTheLastBag) {
  expect_bags(ref_indices(),
              {.offsets = tensor(std::vector<int64_t>{0, 2, 2, 5, 10}), .mode = "sum", .include_last_offset = true},
              ref::kSumLastOffset, ref::kSumLastOffsetGrad, {4, 3});
  // Indices past the last offset belong to no bag (PyTorch 1.13 corrupts its heap there).
  const Tensor w = ref_weight().requires_grad_(true);
  const Tensor y = F::embedding_bag(
      ref_indices(), w, {.offsets = tensor(std::vector<int64_t>{0, 2, 4}), .mode = "sum", .include_last_offset = true});
  ASSERT_EQ(y.sizes(), (Dims{2, 3}));
  const Tensor t = ref_weight();
  expect_values(y, cat({t[1] + t[4], t[4] + t[2]}).to_vector<double>(), 1e-15);
  y.sum().backward();
  expect_values(w.grad().sum(1), {0, 3, 3, 0, 6, 0, 0}, 0.0);
}

TEST(EmbeddingBag, TwoDimensionalInputIsOneBagPerRow) {
  expect_bags(ref_indices().view({2, 5}), {.mode = "max"}, ref::kMax2d, ref::kMax2dGrad, {2, 3});
  // include_last_offset does not apply to a 2-D input: still one bag per row.
  const Tensor x = ref_indices().view({2, 5});
  EXPECT_TRUE(equal(F::embedding_bag(x, ref_weight(), {.mode = "sum", .include_last_offset = true}),
                    F::embedding_bag(x, ref_weight(), {.mode = "sum"})));
}

// PyTorch gives a bag's gradient to its first largest row, whole, not shared among ties.
TEST(EmbeddingBag, MaxGradientGoesToTheFirstLargestRow) {
  const Tensor w = testing::leaf({1, 5, 1, 2, 0.5, 9}, {3, 2});
  const Tensor y = F::embedding_bag(tensor(std::vector<int64_t>{2, 0, 1}), w,
                                    {.offsets = tensor(std::vector<int64_t>{0}), .mode = "max"});
  expect_values(y, {1, 9}, 0.0);
  y.sum().backward();
  expect_values(w.grad(), {1, 0, 0, 0, 0, 1}, 0.0);
  // As PyTorch's kernels, a NaN is the bag's result where it comes first, and passed over later.
  const Tensor nan_w = tensor(std::vector<double>{1, std::nan(""), 3, 4}, {2, 2});
  const std::vector<double> got =
      F::embedding_bag(tensor(std::vector<int64_t>{0, 1, 1, 0}, {2, 2}), nan_w, {.mode = "max"}).to_vector<double>();
  EXPECT_EQ(got[0], 3);
  EXPECT_TRUE(std::isnan(got[1]));
  EXPECT_EQ(got[2], 3);
  EXPECT_EQ(got[3], 4);
}

TEST(EmbeddingBag, Gradchecks) {
  const Tensor x = ref_indices();
  const Tensor offsets = ref_offsets();
  for (const char* mode : {"sum", "mean", "max"}) {
    expect_gradcheck(
        [&](const std::vector<Tensor>& in) {
          return F::embedding_bag(x, in[0], {.offsets = offsets, .mode = mode, .padding_idx = 6});
        },
        {testing::grad_input({7, 3})});
  }
  expect_gradcheck(
      [&](const std::vector<Tensor>& in) {
        return F::embedding_bag(x, in[0], {.offsets = offsets, .mode = "sum", .per_sample_weights = in[1]});
      },
      {testing::grad_input({7, 3}), testing::grad_input({10})});
}

TEST(EmbeddingBag, ModuleInitialisationFromPretrainedAndRepr) {
  manual_seed(3);
  nn::EmbeddingBag bag(10, 4, {.mode = "max", .padding_idx = -2});
  EXPECT_EQ(bag.weight.sizes(), (Dims{10, 4}));
  EXPECT_TRUE(bag.weight.requires_grad());
  expect_values(bag.weight[8], {0, 0, 0, 0}, 0.0);  // the padding row
  EXPECT_EQ(bag.options.padding_idx, 8);
  EXPECT_EQ(bag.extra_repr(), "10, 4, mode='max', padding_idx=8");
  EXPECT_EQ(nn::EmbeddingBag(5, 3).extra_repr(), "5, 3, mode='mean'");
  // N(0, 1) like PyTorch's: over 40 000 draws the mean is within 0.02 and the variance within 0.03
  nn::EmbeddingBag big(10000, 4);
  EXPECT_NEAR(big.weight.mean().item<double>(), 0.0, 0.02);
  EXPECT_NEAR(big.weight.var().item<double>(), 1.0, 0.03);

  const Tensor table = ref_weight();
  const auto frozen = nn::EmbeddingBag::from_pretrained(table, true, {.mode = "sum"});
  EXPECT_FALSE(frozen->weight.requires_grad());
  EXPECT_TRUE(equal(frozen->weight, table));
  expect_values((*frozen)(ref_indices(), ref_offsets()), ref::kSum, 1e-14);
  const auto trained = nn::EmbeddingBag::from_pretrained(table, false, {.mode = "sum"});
  EXPECT_TRUE(trained->weight.requires_grad());
  const Tensor psw = ref_per_sample_weights();
  expect_values(trained->forward(ref_indices(), ref_offsets(), psw), ref::kSumWeighted, 1e-14);
  // a 2-D input through the one-tensor forward (as in a Sequential)
  expect_values((*nn::EmbeddingBag::from_pretrained(table, true, {.mode = "max"}))(ref_indices().view({2, 5})),
                ref::kMax2d, 1e-14);
  EXPECT_EMBER_ERROR(nn::EmbeddingBag(4, 2, {.mode = "min"}), "mode has to be one of sum, mean or max, got 'min'");
  EXPECT_EMBER_ERROR(nn::EmbeddingBag(4, 2, {.padding_idx = 4}), "Padding_idx must be within num_embeddings");
  EXPECT_EMBER_ERROR(nn::EmbeddingBag::from_pretrained(ones({4})),
                     "Embeddings parameter is expected to be 2-dimensional");
}

TEST(EmbeddingBag, BadArgumentsArePyTorchsErrors) {
  const Tensor w = ref_weight(), x = ref_indices(), off = ref_offsets();
  const auto ints = [](std::vector<int64_t> v) { return tensor(v); };
  EXPECT_EMBER_ERROR(F::embedding_bag(x, w, {.offsets = ints({1, 2})}),
                     "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. "
                     "However, got 1");
  EXPECT_EMBER_ERROR(F::embedding_bag(x, w, {.offsets = ints({0, 3, 2})}),
                     "offsets must be non-decreasing, but offsets[2] = 2 follows offsets[1] = 3");
  EXPECT_EMBER_ERROR(F::embedding_bag(x, w, {.offsets = ints({0, 11})}),
                     "offsets[-1] can not be greater than input's length 10 but got offsets[-1] of 11");
  EXPECT_EMBER_ERROR(
      F::embedding_bag(x, w, {.offsets = off, .mode = "mean", .per_sample_weights = ones({10}, kFloat64)}),
      "per_sample_weights is only supported for mode='sum' (got mode='mean')");
  EXPECT_EMBER_ERROR(F::embedding_bag(x, w, {.offsets = off, .mode = "sum", .per_sample_weights = ones({9}, kFloat64)}),
                     "If per_sample_weights ([9]) is not None, then it must have the same shape as the input ([10])");
  EXPECT_EMBER_ERROR(F::embedding_bag(x, w, {.offsets = off, .mode = "sum", .per_sample_weights = ones({10})}),
                     "to have the same type as tensor for argument #1 'per_sample_weights'");
  EXPECT_EMBER_ERROR(F::embedding_bag(x.view({2, 5}), w, {.offsets = off}),
                     "if input is 2D, then offsets has to be None");
  EXPECT_EMBER_ERROR(F::embedding_bag(x, w), "offsets has to be a 1D Tensor but got None");
  EXPECT_EMBER_ERROR(F::embedding_bag(x, w, {.offsets = off.view({2, 2})}), "offsets has to be a 1D Tensor");
  EXPECT_EMBER_ERROR(F::embedding_bag(x, w, {.offsets = off, .mode = "foo"}),
                     "mode has to be one of sum, mean or max, got 'foo'");
  EXPECT_EMBER_ERROR(F::embedding_bag(x.view({1, 2, 5}), w),
                     "input has to be 1D or 2D Tensor, but got Tensor of dimension 3");
  EXPECT_EMBER_ERROR(F::embedding_bag(x.to(kFloat32), w, {.offsets = off}),
                     "'indices' to have one of the following scalar types: Long, Int; but got torch.FloatTensor");
  EXPECT_EMBER_ERROR(F::embedding_bag(ints({1, 9}), w, {.offsets = ints({0, 1})}),
                     "embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be 9");
  EXPECT_EMBER_ERROR(F::embedding_bag(ints({1, -1}), w, {.offsets = ints({0, 1})}),
                     "embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be -1");
  EXPECT_EMBER_ERROR(F::embedding_bag(x, w.view({21}), {.offsets = off}), "'weight' must be 2-D (got 1-D)");
  EXPECT_EMBER_ERROR(F::embedding_bag(x, ones({7, 3}, kInt64), {.offsets = off}), "expected a floating 'weight'");
  EXPECT_EMBER_ERROR(F::embedding_bag(x, w, {.offsets = off, .padding_idx = 7}),
                     "padding_idx must be within the number of embeddings, -7 through 6, but got 7");
  EXPECT_EMBER_ERROR(F::embedding_bag(x, w, {.offsets = ints({}), .include_last_offset = true}),
                     "include_last_offset: number of offsets should be at least 1");
  // no indices: empty bags give zeros, no bags an empty result
  expect_values(F::embedding_bag(ints({}), w, {.offsets = ints({0, 0})}), {0, 0, 0, 0, 0, 0}, 0.0);
  EXPECT_EQ(F::embedding_bag(ints({}), w, {.offsets = ints({})}).sizes(), (Dims{0, 3}));
}

// 16-bit tables sum in float32 and round once, as PyTorch's output_fp32: 1000 rows of 1 in one
// bag sum to 1000 (bf16 holds it exactly; adding in bf16 stopped at 256) and their mean is 1.
TEST(EmbeddingBagFunctional, SixteenBitTablesSumInFloat32) {
  for (const DType dtype : {kBFloat16, kFloat16}) {
    const Tensor weight = ones({2, 3}, dtype);
    const Tensor input = zeros({1, 1000}, kInt64);
    const Tensor sum = F::embedding_bag(input, weight, {.mode = "sum"});
    EXPECT_EQ(sum.dtype(), dtype);
    expect_values(sum, {1000., 1000., 1000.}, 0.0);
    expect_values(F::embedding_bag(input, weight, {.mode = "mean"}), {1., 1., 1.}, 0.0);
    const Tensor per_sample = full({1, 1000}, 0.5, dtype);
    expect_values(F::embedding_bag(input, weight, {.mode = "sum", .per_sample_weights = per_sample}),
                  {500., 500., 500.}, 0.0);
  }
}

}  // namespace
}  // namespace ember
