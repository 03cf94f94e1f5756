// multilabel_margin_loss / nn::MultiLabelMarginLoss and triplet_margin_with_distance_loss /
// nn::TripletMarginWithDistanceLoss against PyTorch 1.13 (values, reductions, gradients,
// duplicates and ignored entries, a custom distance, swap), float64 gradchecks and errors.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::error_of;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

// clang-format off
// /usr/bin/python3 (torch 1.13):
//   x = (torch.sin(torch.arange(20, dtype=torch.float64) * 1.3) * 2).reshape(4, 5)
//   t = torch.tensor([[3, 0, -1, 1, 4], [1, 2, 3, 4, 0], [-1, 2, 2, 0, 0], [2, 2, 1, -1, 3]])
//   F.multilabel_margin_loss(x, t, reduction=...)
//   (F.multilabel_margin_loss(x, t, reduction="none") * torch.tensor([0.5, -1.0, 2.0, 0.25])).sum().backward()
// clang-format on
Tensor scores() { return (sin(arange(20, dtype(kFloat64)) * 1.3) * 2).reshape({4, 5}); }
Tensor class_lists() {
  return tensor(std::vector<int64_t>{3, 0, -1, 1, 4, 1, 2, 3, 4, 0, -1, 2, 2, 0, 0, 2, 2, 1, -1, 3}, {4, 5});
}

TEST(MultiLabelMarginLoss, ValuesAndGradientAsPyTorch) {
  const Tensor x = scores().requires_grad_(true), t = class_lists();
  // Row 0 lists {3, 0} (the 1 and 4 after -1 are ignored), row 1 every class (no term),
  // row 2 nothing, row 3 class 2 twice and class 1 (duplicates count twice).
  expect_values(F::multilabel_margin_loss(x, t, "none"), {2.655185174523633, 0.0, 0.0, 1.193459569852568}, 1e-14);
  expect_values(F::multilabel_margin_loss(x, t), {0.96216118609405}, 1e-14);
  expect_values(nn::MultiLabelMarginLoss("sum")(x, t), {3.848644744376201}, 1e-14);
  (F::multilabel_margin_loss(x, t, "none") * tensor({0.5, -1.0, 2.0, 0.25}, dtype(kFloat64))).sum().backward();
  expect_values(x.grad(), {-0.2, 0.2, 0.2, -0.3, 0.1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.15, -0.05, -0.2, 0.0, 0.1},
                1e-15);

  // One sample: a 0-dim loss for every reduction (PyTorch 1.13: 2.655185174523633, and
  // gradient [-0.4, 0.4, 0.4, -0.6, 0.2]).
  const Tensor x1 = scores()[0].detach().requires_grad_(true);
  const Tensor l1 = F::multilabel_margin_loss(x1, class_lists()[0], "none");
  EXPECT_EQ(l1.dim(), 0);
  l1.backward();
  expect_values(l1, {2.655185174523633}, 1e-14);
  expect_values(x1.grad(), {-0.4, 0.4, 0.4, -0.6, 0.2}, 1e-15);
  // A 0-dim input is one class: listed, nothing to compare against.
  expect_values(F::multilabel_margin_loss(full({}, 0.5, dtype(kFloat64)), full({}, int64_t{0}, dtype(kInt64))), {0.0},
                0);
  // An empty batch: "none" is empty.
  EXPECT_EQ(F::multilabel_margin_loss(zeros({0, 3}), zeros({0, 3}, dtype(kInt64)), "none").sizes(), (Dims{0}));

  expect_gradcheck(
      [&](const std::vector<Tensor>& in) { return F::multilabel_margin_loss(in[0], class_lists(), "sum"); },
      {scores().requires_grad_(true)});
}

TEST(MultiLabelMarginLoss, PyTorchsErrors) {
  const Tensor x = scores();
  EXPECT_EQ(error_of([&] {
              F::multilabel_margin_loss(x, tensor(std::vector<int64_t>{3, 0, 1}, {1, 3}));
            }),
            "inconsistent target size: [1, 3] for input of size: [4, 5]");
  EXPECT_EQ(error_of([&] { F::multilabel_margin_loss(x, class_lists() + 1); }), "argument #2 'target' is out of range");
  EXPECT_EQ(error_of([&] { F::multilabel_margin_loss(x, class_lists() - 1); }), "argument #2 'target' is out of range");
  EXPECT_EQ(error_of([&] { F::multilabel_margin_loss(x, class_lists().to(kFloat64)); }),
            "expected scalar type Long but found Double");
  EXPECT_EQ(error_of([&] {
              F::multilabel_margin_loss(zeros({2, 0}), zeros({2, 0}, dtype(kInt64)));
            }),
            "Expected non-empty vector or matrix with optional 0-dim batch size, but got: [2, 0]");
}

// a, p, n as in the script: cos(arange(15) * 0.7), sin(arange(15) * 0.9), cos(arange(15) * 1.7 + 0.3), [5, 3]
std::vector<Tensor> triplets() {
  const Tensor k = arange(15, dtype(kFloat64));
  return {cos(k * 0.7).reshape({5, 3}).requires_grad_(true), sin(k * 0.9).reshape({5, 3}).requires_grad_(true),
          cos(k * 1.7 + 0.3).reshape({5, 3}).requires_grad_(true)};
}

TEST(TripletMarginWithDistanceLoss, AddsInPyTorchsOrder) {
  // clamp_min(margin + d(a, p) - d(a, n), 0) in float32: (d(a, p) - d(a, n)) + margin rounds
  // to 1.0459439754486084 here, a last bit off
  const auto l1 = [](const Tensor& a, const Tensor& b) { return (a - b).abs().sum(1); };
  const Tensor loss = F::triplet_margin_with_distance_loss(zeros({1, 1}), full({1, 1}, 0.49543508887290955),
                                                           full({1, 1}, 0.44949105381965637), l1, 1.0, false, "sum");
  EXPECT_EQ(loss.item<double>(), 1.045944094657898);
}

TEST(TripletMarginWithDistanceLoss, DefaultDistanceAsPyTorch) {
  const auto in = triplets();
  // F.triplet_margin_with_distance_loss(a, p, n, swap=..., reduction=...)
  expect_values(F::triplet_margin_with_distance_loss(in[0], in[1], in[2], {}, 1.0, false, "none"),
                {0.723315592719167, 0.068369518667019, 0.407733215124572, 0.0, 0.621332966145549}, 1e-14);
  expect_values(F::triplet_margin_with_distance_loss(in[0], in[1], in[2]), {0.364150258531262}, 1e-14);
  expect_values(F::triplet_margin_with_distance_loss(in[0], in[1], in[2], {}, 1.0, true, "none"),
                {0.723315592719167, 0.900507289869583, 0.407733215124572, 0.0, 1.21863738600992}, 1e-14);
  nn::TripletMarginWithDistanceLoss swapped({.swap = true, .reduction = "sum"});
  expect_values(swapped(in[0], in[1], in[2]), {3.250193483723243}, 1e-13);
  // The same as triplet_margin_loss with its defaults.
  EXPECT_LT(
      ember::testing::max_abs_diff(F::triplet_margin_with_distance_loss(in[0], in[1], in[2], {}, 1.0, true, "none"),
                                   F::triplet_margin_loss(in[0], in[1], in[2], 1.0, 2.0, 1e-6, true, "none")),
      1e-15);
}

TEST(TripletMarginWithDistanceLoss, CustomDistanceValuesAndGradientsAsPyTorch) {
  // distance_function=lambda u, v: 1.0 - F.cosine_similarity(u, v), margin=0.5, reduction="none";
  // then l.sum().backward()
  const F::DistanceFunction cosine = [](const Tensor& u, const Tensor& v) { return 1.0 - F::cosine_similarity(u, v); };
  auto in = triplets();
  nn::TripletMarginWithDistanceLoss loss({.distance_function = cosine, .margin = 0.5, .reduction = "none"});
  const Tensor l = loss(in[0], in[1], in[2]);
  expect_values(l, {0.307182925069224, 0.0, 0.124659075848511, 0.0, 0.168619507597214}, 1e-14);
  l.sum().backward();
  expect_values(
      in[0].grad(),
      {0.679192146786386, -0.645802500222992, -1.089946837964875, 0, 0, 0, 0.062086452652283, 0.992288922609173,
       -0.19938422656397, 0, 0, 0, 0.290847574299185, -0.316566835351411, 0.160123792111833},
      1e-14);
  expect_values(
      in[2].grad(),
      {0.43305025162595, 0.514684783922599, 0.235260293473359, 0, 0, 0, -0.245815181644352, -0.289264960882925,
       0.651940504360676, 0, 0, 0, -0.254242696396713, -0.342738794992121, -0.750614247797134},
      1e-14);
  in = triplets();
  const Tensor ls = F::triplet_margin_with_distance_loss(in[0], in[1], in[2], cosine, 0.5, true, "none");
  expect_values(ls, {0.307182925069224, 0.352651532427299, 0.124659075848511, 0.0, 0.553748578314239}, 1e-14);
  ls.sum().backward();
  expect_values(in[1].grad(),
                {-0.629836221039684, -0.240204713554352, 0.193211761245245, 0.799128841201807, 1.004412501532434,
                 -0.10530772927046, -0.132850470358656, -0.166634267492785, -0.125821339386311, 0, 0, 0,
                 0.122786550341238, -0.118202642080252, 0.903466683248679},
                1e-14);
  expect_gradcheck(
      [&](const std::vector<Tensor>& t) {
        return F::triplet_margin_with_distance_loss(t[0], t[1], t[2], cosine, 0.5, true, "sum");
      },
      triplets());
}

TEST(TripletMarginWithDistanceLoss, PyTorch2sErrors) {
  const auto in = triplets();
  EXPECT_EQ(error_of([&] { F::triplet_margin_with_distance_loss(in[0], in[1][0], in[2]); }),
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but "
            "got: anchor 2D, positive 1D, and negative 2D inputs");
  EXPECT_EQ(error_of([] { nn::TripletMarginWithDistanceLoss({.margin = 0.0}); }),
            "TripletMarginWithDistanceLoss: expected margin to be greater than 0, got 0 instead");
  EXPECT_NE(error_of([] { nn::TripletMarginWithDistanceLoss({.reduction = "average"}); }), "<no error>");
}

}  // namespace
}  // namespace ember
