// libtorch overloads that PyTorch code ports lean on: *_like with options, eye(n, m),
// logspace, randint(high, size), broadcast_to / broadcast_tensors, where(condition), the
// stable-first sort / argsort, to(options) / to(other), norm over dims, the free split /
// chunk / unbind, diagflat, the list forms of atleast_*d, and set_num_threads.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_exact;
using ember::testing::expect_values;

TEST(LibtorchOverloads, LikeFactoriesTakeOptions) {
  const Tensor x = ones({2, 3}, kFloat64);
  const Tensor z = zeros_like(x, kInt64);
  EXPECT_EQ(z.dtype(), kInt64);
  EXPECT_EQ(z.sizes(), (Dims{2, 3}));
  EXPECT_EQ(z.device(), x.device());
  EXPECT_EQ(ones_like(x, TensorOptions().requires_grad(true)).dtype(), kFloat64);  // unset dtype: x's
  EXPECT_TRUE(ones_like(x, TensorOptions().requires_grad(true)).requires_grad());
  expect_exact(full_like(x, 7, kInt64).reshape({-1}), {7, 7, 7, 7, 7, 7});
  EXPECT_EQ(empty_like(x, kFloat32).dtype(), kFloat32);
  EXPECT_EQ(rand_like(x, kFloat32).dtype(), kFloat32);
  EXPECT_EQ(randn_like(x, TensorOptions()).dtype(), kFloat64);
  manual_seed(3);
  const Tensor r = randint_like(x, 5);
  EXPECT_EQ(r.dtype(), kFloat64);  // PyTorch's randint_like keeps the dtype
  EXPECT_GE(r.min().item<double>(), 0);
  EXPECT_LT(r.max().item<double>(), 5);
  const Tensor between = randint_like(x, 10, 12, kInt64);
  EXPECT_GE(between.min().item<int64_t>(), 10);
  EXPECT_LE(between.max().item<int64_t>(), 11);
  const Tensor dice = randint(6, {100});
  EXPECT_EQ(dice.dtype(), kInt64);
  EXPECT_GE(dice.min().item<int64_t>(), 0);
  EXPECT_LE(dice.max().item<int64_t>(), 5);
}

TEST(LibtorchOverloads, EyeOfTwoSizesAndLogspace) {
  expect_exact(eye(2, 3).reshape({-1}), {1, 0, 0, 0, 1, 0});
  expect_exact(eye(3, 2).reshape({-1}), {1, 0, 0, 1, 0, 0});
  EXPECT_EQ(eye(2, 0).sizes(), (Dims{2, 0}));
  EXPECT_EMBER_ERROR(eye(2, -1), "m must be greater or equal to 0, got -1");
  expect_values(logspace(-1, 2, 4, 10.0, kFloat64), {0.1, 1, 10, 100}, 1e-13);
  expect_values(logspace(0, 3, 4, 2.0), {1, 2, 4, 8}, 0);
  EXPECT_EQ(logspace(0, 1, 0).numel(), 0);
}

TEST(LibtorchOverloads, BroadcastingAndWhereOfOneCondition) {
  const Tensor row = tensor(std::vector<float>{1, 2, 3}, {3});
  const Tensor wide = broadcast_to(row, {2, 3});
  EXPECT_EQ(wide.sizes(), (Dims{2, 3}));
  EXPECT_TRUE(wide.is_alias_of(row));
  EXPECT_EQ(row.broadcast_to({4, -1}).sizes(), (Dims{4, 3}));
  const auto both = broadcast_tensors({row, ones({2, 1})});
  EXPECT_EQ(both[0].sizes(), (Dims{2, 3}));
  EXPECT_EQ(both[1].sizes(), (Dims{2, 3}));
  const Tensor cond = tensor(std::vector<float>{0, 1, 1, 0}, {2, 2}).gt(Scalar(0));
  const auto indices = where(cond);
  ASSERT_EQ(indices.size(), 2u);
  EXPECT_EQ(indices[0].to_vector<int64_t>(), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(indices[1].to_vector<int64_t>(), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(where(full({}, true, kBool))[0].to_vector<int64_t>(), (std::vector<int64_t>{0}));
}

TEST(LibtorchOverloads, StableFirstSortAndConversions) {
  const Tensor x = tensor(std::vector<float>{3, 1, 2, 1, 0, 5}, {2, 3});
  // sort(x, true): a stable sort along the last dim (a bool is never read as dim 1)
  EXPECT_EQ(argsort(x, true).to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 0, 1, 0, 2}));
  EXPECT_EQ(x.argsort(true, 0, true).to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 1, 1, 1, 0}));
  expect_exact(std::get<0>(sort(x, true, -1, true)), {3, 2, 1, 5, 1, 0});
  expect_exact(std::get<0>(x.sort(true)), {1, 2, 3, 0, 1, 5});
  EXPECT_EQ(x.to(TensorOptions(kFloat64)).dtype(), kFloat64);
  EXPECT_EQ(x.to(ones({1}, kInt64)).dtype(), kInt64);
  expect_values(x.norm(2, {1}), {std::sqrt(14.0), std::sqrt(26.0)}, 1e-6);
  EXPECT_EQ(x.norm(1, {0}, true).sizes(), (Dims{1, 3}));
}

TEST(LibtorchOverloads, FreeSplitsDiagflatAndAtleastLists) {
  const Tensor x = arange(6).reshape({2, 3});
  EXPECT_EQ(chunk(x, 3, 1).size(), 3u);
  EXPECT_EQ(split(x, 2, 1)[1].sizes(), (Dims{2, 1}));
  const auto pieces = split(x, std::vector<int64_t>{1, 2}, 1);
  EXPECT_EQ(pieces[1].sizes(), (Dims{2, 2}));
  EXPECT_TRUE(pieces[1].is_alias_of(x));
  EXPECT_EQ(x.split(std::vector<int64_t>{2, 1}, 1)[0].sizes(), (Dims{2, 2}));
  EXPECT_EQ(split_with_sizes(x, {1, 1}, 0).size(), 2u);
  EXPECT_EQ(unbind(x, 1).size(), 3u);
  expect_exact(diagflat(tensor(std::vector<float>{1, 2}, {2})).reshape({-1}), {1, 0, 0, 2});
  EXPECT_EQ(diagflat(ones({2, 2}), 1).sizes(), (Dims{5, 5}));
  const auto lifted = atleast_2d(std::vector<Tensor>{full({}, 1.0), ones({3})});
  EXPECT_EQ(lifted[0].sizes(), (Dims{1, 1}));
  EXPECT_EQ(lifted[1].sizes(), (Dims{1, 3}));
  EXPECT_EQ(atleast_3d(std::vector<Tensor>{ones({2, 2})})[0].sizes(), (Dims{2, 2, 1}));
  EXPECT_EQ(atleast_1d(std::vector<Tensor>{full({}, 1.0)})[0].sizes(), (Dims{1}));
}

TEST(LibtorchOverloads, SetNumThreads) {
  const int before = get_num_threads();
  set_num_threads(1);
  EXPECT_EQ(get_num_threads(), 1);
  const Tensor x = arange(0.0, 100000.0, 1.0, kFloat64);
  EXPECT_EQ(x.sum().item<double>(), 99999.0 * 100000.0 / 2);  // the loops run on one thread
  set_num_threads(before);
  EXPECT_EQ(get_num_threads(), before);
  EXPECT_EMBER_ERROR(set_num_threads(0), "set_num_threads expects a positive integer, but got 0");
}

}  // namespace
}  // namespace ember
