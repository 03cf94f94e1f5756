// torch.histogram (core/ops/histogram.cpp) and searchsorted's side argument: PyTorch's
// documented examples, its bin rule at the edges, weights, density, and its errors.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <limits>
#include <utility>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_exact;
using ember::testing::expect_values;

Tensor f32(const std::vector<float>& v) { return tensor(v, {static_cast<int64_t>(v.size())}); }

// torch.histogram's docstring: bins=4, range=(0., 3.), weight=[1., 2., 4.]
TEST(Histogram, PyTorchsDocumentedExamples) {
  const Tensor x = f32({1, 2, 1}), w = f32({1, 2, 4});
  const auto [hist, edges] = histogram(x, 4, std::pair{0.0, 3.0}, w);
  expect_exact(hist, {0, 5, 2, 0});
  expect_exact(edges, {0, 0.75, 1.5, 2.25, 3});
  EXPECT_EQ(hist.dtype(), kFloat32);
  const auto [density, _] = histogram(x, 4, std::pair{0.0, 3.0}, w, /*density=*/true);
  expect_values(density, {0, 0.952381, 0.380952, 0}, 1e-6);
}

TEST(Histogram, EdgesFromTheDataAndTheBinRule) {
  // [1, 4] in 4 bins: edges 1, 1.75, 2.5, 3.25, 4; 2.5 opens bin 2, 4 closes the last bin
  const auto [hist, edges] = f32({1, 2, 1, 2.5, 4}).histogram(4);
  expect_exact(edges, {1, 1.75, 2.5, 3.25, 4});
  expect_exact(hist, {2, 1, 1, 1});
  // outside the range and NaN are left out; one value gets [v - 0.5, v + 0.5]
  const float nan = std::numeric_limits<float>::quiet_NaN();
  expect_exact(std::get<0>(histogram(f32({-1, 0.5, nan, 7}), 2, std::pair{0.0, 1.0})), {0, 1});
  expect_exact(std::get<1>(histogram(f32({2, 2}), 2)), {1.5, 2, 2.5});
  expect_exact(std::get<1>(histogram(zeros({0}), 2)), {0, 0.5, 1});  // numpy's [0, 1] for no data
  // given edges: binary search, uneven widths
  const auto [given, given_edges] = histogram(f32({0, 1, 1.5, 9, 10}), f32({0, 1, 2, 10}));
  expect_exact(given, {1, 2, 2});
  expect_exact(given_edges, {0, 1, 2, 10});
  // float64 stays float64; a 2-D input is flattened
  const Tensor x64 = tensor(std::vector<double>{0.25, 0.75, 0.5, 1}, {2, 2});
  EXPECT_EQ(std::get<0>(x64.histogram(2)).dtype(), kFloat64);
  expect_exact(std::get<0>(x64.histogram(2)), {2, 2});  // edges 0.25, 0.625, 1
}

TEST(Histogram, PyTorchsErrors) {
  const Tensor x = f32({1, 2});
  EXPECT_EMBER_ERROR(histogram(x, 0), "bins must be > 0, but got 0");
  EXPECT_EMBER_ERROR(histogram(x, 2, std::pair{2.0, 1.0}), "min should not exceed max");
  EXPECT_EMBER_ERROR(histogram(x, 2, std::pair{0.0, std::numeric_limits<double>::infinity()}), "is not finite");
  EXPECT_EMBER_ERROR(histogram(f32({1, std::numeric_limits<float>::infinity()}), 2), "is not finite");
  EXPECT_EMBER_ERROR(histogram(tensor(std::vector<int64_t>{1, 2}), 2), "not implemented for 'Long'");
  EXPECT_EMBER_ERROR(histogram(x, 2, std::nullopt, f32({1})), "should have the same shape");
  EXPECT_EMBER_ERROR(histogram(x, 2, std::nullopt, tensor(std::vector<double>{1, 1})), "should have the same dtype");
  EXPECT_EMBER_ERROR(histogram(x, tensor(std::vector<double>{0, 1})), "bins tensors should have the same dtype");
  EXPECT_EMBER_ERROR(histogram(x, zeros({2, 2})), "bins tensor should have one dimension");
}

// torch.searchsorted's docstring: side="right" is right=True; the two must not contradict.
TEST(Histogram, SearchsortedSide) {
  const Tensor b = f32({1, 3, 5, 7, 9}), v = f32({3, 6, 9});
  EXPECT_EQ(searchsorted(b, v, false, false, "left").to_vector<int64_t>(), (std::vector<int64_t>{1, 3, 4}));
  EXPECT_EQ(searchsorted(b, v, false, false, "right").to_vector<int64_t>(), (std::vector<int64_t>{2, 3, 5}));
  EXPECT_EQ(searchsorted(b, v, false, true, "right").to_vector<int64_t>(), (std::vector<int64_t>{2, 3, 5}));
  EXPECT_EQ(searchsorted(b, Scalar(3), false, false, "right").item<int64_t>(), 2);
  EXPECT_EMBER_ERROR(searchsorted(b, v, false, true, "left"), "side and right can't be set to opposites");
  EXPECT_EMBER_ERROR(searchsorted(b, v, false, false, "middle"), "side can only be 'left' or 'right' but got middle");
}

TEST(Histogram, UniqueMethod) {
  const auto [values, inverse, counts] = tensor(std::vector<int64_t>{3, 1, 3, 2}).unique(true, true, true);
  EXPECT_EQ(values.to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(inverse.to_vector<int64_t>(), (std::vector<int64_t>{2, 0, 2, 1}));
  EXPECT_EQ(counts.to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 2}));
}

}  // namespace
}  // namespace ember
