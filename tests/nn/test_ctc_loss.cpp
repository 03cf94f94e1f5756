// nn::functional::ctc_loss and nn::CTCLoss against PyTorch 1.13 (ctc_loss_torch_values.h):
// each reduction's losses and gradients (to log_probs, PyTorch's, and to logits through
// log_softmax), padded and concatenated targets, another blank, zero_infinity, one sample,
// empty inputs and targets, a float64 gradcheck through log_softmax, and the errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "ctc_loss_torch_values.h"
#include "nn/ctc_loss.h"
#include "nn/functional/activation_more.h"
#include "nn/functional/basic.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
namespace ref = ember::testing::torch_ctc;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using F::Reduction;

Tensor ref_logits() {
  std::vector<double> v;
  for (int t = 0; t < 6; ++t)
    for (int n = 0; n < 3; ++n)
      for (int c = 0; c < 5; ++c) v.push_back(std::sin(0.9 * t + 0.4 * n + 1.3 * c) * 2);
  return tensor(v, {6, 3, 5}, TensorOptions(kFloat64));
}
Tensor ints(std::vector<int64_t> v, const Dims& shape) { return tensor(v, shape); }
Tensor ints(std::vector<int64_t> v) { return tensor(v); }
Tensor ref_targets() { return ints({1, 2, 2, 3, 1, 0, 4, 0, 0}, {3, 3}); }
Tensor ref_input_lengths() { return ints({6, 5, 3}); }
Tensor ref_target_lengths() { return ints({3, 2, 1}); }
Tensor log_probs() { return F::log_softmax(ref_logits(), 2).detach().requires_grad_(true); }

TEST(CtcLoss, EachReductionMatchesPyTorch) {
  const Tensor lp = log_probs();
  const Tensor none = F::ctc_loss(lp, ref_targets(), ref_input_lengths(), ref_target_lengths(), 0, Reduction::None);
  ASSERT_EQ(none.sizes(), (Dims{3}));
  expect_values(none, ref::kNone, 1e-13);
  (none * tensor(std::vector<double>{0.5, -1.0, 2.0})).sum().backward();
  expect_values(lp.grad(), ref::kNoneGrad, 1e-13);

  const Tensor lp_mean = log_probs();
  const Tensor mean = F::ctc_loss(lp_mean, ref_targets(), ref_input_lengths(), ref_target_lengths());
  EXPECT_EQ(mean.dim(), 0);
  expect_values(mean, ref::kMean, 1e-13);
  mean.backward();
  expect_values(lp_mean.grad(), ref::kMeanGrad, 1e-13);

  // through log_softmax the gradient is the true one of the logits
  const Tensor logits = ref_logits().requires_grad_(true);
  const Tensor sum = F::ctc_loss(F::log_softmax(logits, 2), ref_targets(), ref_input_lengths(), ref_target_lengths(), 0,
                                 Reduction::Sum);
  expect_values(sum, ref::kSum, 1e-13);
  sum.backward();
  expect_values(logits.grad(), ref::kSumLogitsGrad, 1e-13);
  // frames past a sample's input length get no gradient
  expect_values(logits.grad().narrow(0, 5, 1).select(1, 1), {0, 0, 0, 0, 0}, 0.0);
}

TEST(CtcLoss, ConcatenatedTargetsOneSampleAndTheModule) {
  const Tensor lp = log_probs();
  const Tensor padded = F::ctc_loss(lp, ref_targets(), ref_input_lengths(), ref_target_lengths(), 0, Reduction::None);
  EXPECT_TRUE(
      equal(F::ctc_loss(lp, ints({1, 2, 2, 3, 1, 4}), ref_input_lengths(), ref_target_lengths(), 0, Reduction::None),
            padded));
  // one sample: [T, C], targets [S], 0-dim or [1] lengths; "none" gives a 0-dim loss
  const Tensor one = F::ctc_loss(lp.select(1, 1), ints({3, 1}), tensor(std::vector<int64_t>{5}, Dims{}),
                                 tensor(std::vector<int64_t>{2}, Dims{}), 0, Reduction::None);
  EXPECT_EQ(one.dim(), 0);
  EXPECT_NEAR(one.item<double>(), ref::kNone[1], 1e-13);
  EXPECT_NEAR(F::ctc_loss(lp.select(1, 0), ints({1, 2, 2}), ints({6}), ints({3}), 0, Reduction::Sum).item<double>(),
              ref::kNone[0], 1e-13);
  EXPECT_NEAR(
      F::ctc_loss(lp.select(1, 0), ints({1, 2, 2}, {1, 3}), ints({6}), ints({3}), 0, Reduction::Sum).item<double>(),
      ref::kNone[0], 1e-13);  // [1, S] targets too

  nn::CTCLoss loss(0, "sum");
  EXPECT_EQ(loss.repr(), "CTCLoss()");
  EXPECT_NEAR(loss(lp, ref_targets(), ref_input_lengths(), ref_target_lengths()).item<double>(), ref::kSum[0], 1e-13);
  EXPECT_EMBER_ERROR(loss.forward(lp), "CTCLoss.forward() missing 3 required positional arguments");
  EXPECT_EMBER_ERROR(nn::CTCLoss(0, "avg"), "avg");
}

TEST(CtcLoss, ZeroInfinityAndAnotherBlank) {
  const Tensor lp = log_probs();
  // sample 0 needs 4 frames for [1, 2, 2] (a blank between the 2s) and has 2: impossible
  const Tensor targets = ints({1, 2, 2, 3, 1, 0, 0, 0, 0}, {3, 3});
  const Tensor z = F::ctc_loss(lp, targets, ints({2, 5, 3}), ints({3, 2, 2}), 4, Reduction::None, true);
  expect_values(z, ref::kZeroInf, 1e-13);
  z.sum().backward();
  expect_values(lp.grad(), ref::kZeroInfGrad, 1e-13);
  const Tensor inf = F::ctc_loss(lp.detach(), targets, ints({2, 5, 3}), ints({3, 2, 2}), 4, Reduction::None);
  EXPECT_EQ(inf[0].item<double>(), std::numeric_limits<double>::infinity());
  EXPECT_NEAR(inf[1].item<double>(), ref::kZeroInf[1], 1e-13);
}

// PyTorch 1.13 returns garbage for an empty input; the only alignment of an empty target to
// an empty input has probability 1, and a nonempty target has none.
TEST(CtcLoss, EmptyInputsAndTargets) {
  const Tensor lp = log_probs();
  const Tensor losses = F::ctc_loss(lp, ref_targets(), ints({0, 0, 3}), ints({0, 2, 0}), 0, Reduction::None);
  EXPECT_EQ(losses[0].item<double>(), 0.0);
  EXPECT_EQ(losses[1].item<double>(), std::numeric_limits<double>::infinity());
  // an empty target over 3 frames: all blanks
  const Tensor blanks = lp.detach().select(1, 2).select(1, 0).narrow(0, 0, 3).sum();
  EXPECT_NEAR(losses[2].item<double>(), -blanks.item<double>(), 1e-13);
  // no frames at all
  EXPECT_EQ(
      F::ctc_loss(zeros({0, 2, 5}, kFloat64), ints({}), ints({0, 0}), ints({0, 0}), 0, Reduction::Sum).item<double>(),
      0.0);
}

// A confident float32 model: the other class's log-probability is -120, below float32's
// exp range next to the frame's best; PyTorch 1.13's gradients, to log_probs and to logits.
TEST(CtcLoss, ConfidentFloat32GradientDoesNotUnderflow) {
  const Tensor logits = tensor(std::vector<float>{0, 120, 0, 120, 0, 120, 0, 120}, {4, 1, 2}).requires_grad_(true);
  const Tensor lp = F::log_softmax(logits, 2);
  lp.retain_grad();
  const Tensor loss = F::ctc_loss(lp, ints({1, 1}, {1, 2}), ints({4}), ints({2}), 0, Reduction::Sum);
  EXPECT_NEAR(loss.item<double>(), 119.30685424804688, 1e-4);
  loss.backward();
  expect_values(lp.grad(),
                {0, 0, -0.5000007152557373, 0.4999992847442627, -0.5000007152557373, 0.4999992847442627, 0, 0}, 1e-6);
  expect_values(logits.grad(),
                {0, 0, -0.5000007152557373, 0.5000007152557373, -0.5000007152557373, 0.5000007152557373, 0, 0}, 1e-6);
}

TEST(CtcLoss, GradcheckThroughLogSoftmax) {
  const Tensor targets = ints({1, 2, 2, 3, 3, 0}, {2, 3});
  for (const Reduction reduction : {Reduction::Mean, Reduction::None}) {
    expect_gradcheck(
        [&](const std::vector<Tensor>& in) {
          return F::ctc_loss(F::log_softmax(in[0], 2), targets, ints({7, 5}), ints({3, 2}), 0, reduction);
        },
        {testing::grad_input({7, 2, 4})});
  }
}

TEST(CtcLoss, BadArgumentsAreClearErrors) {
  const Tensor lp = log_probs(), tg = ref_targets(), il = ref_input_lengths(), tl = ref_target_lengths();
  EXPECT_EMBER_ERROR(F::ctc_loss(lp, tg, ints({7, 5, 3}), tl),
                     "Expected input_lengths to have value at most 6, but got value 7");
  EXPECT_EMBER_ERROR(
      F::ctc_loss(lp, tg, il, ints({4, 2, 1})),
      "Expected tensor to have size at least 4 at dimension 1, but got size 3 for argument #2 'targets'");
  EXPECT_EMBER_ERROR(F::ctc_loss(lp, tg, ints({6, 5}), tl), "input_lengths must be of size batch_size");
  EXPECT_EMBER_ERROR(F::ctc_loss(lp, tg, il, ints({3})), "target_lengths must be of size batch_size");
  EXPECT_EMBER_ERROR(F::ctc_loss(lp, tg, il, tl, 5), "blank must be in label range");
  EXPECT_EMBER_ERROR(F::ctc_loss(lp, tg, il, tl, -1), "blank must be in label range");
  EXPECT_EMBER_ERROR(F::ctc_loss(lp, tg, ints({-1, 5, 3}), tl), "Expected input_lengths to have value at least 0, but got value -1");
  EXPECT_EMBER_ERROR(F::ctc_loss(lp, tg, il, ints({-1, 2, 1})), "Expected target_lengths to have value at least 0");
  EXPECT_EMBER_ERROR(F::ctc_loss(lp, tg + 10, il, tl),
                     "target values must be in [0, 5) and not the blank (0), but sample 0 has 11 at position 0");
  EXPECT_EMBER_ERROR(F::ctc_loss(lp, tg, il, tl, 2),
                     "target values must be in [0, 5) and not the blank (2), but sample 0 has 2 at position 1");
  EXPECT_EMBER_ERROR(F::ctc_loss(lp, ints({1, 2, 2, 3}), il, tl),
                     "Expected tensor to have size 6 at dimension 0, but got size 4 for argument #2 'targets'");
  EXPECT_EMBER_ERROR(F::ctc_loss(lp, tg.to(kFloat32), il, tl),
                     "expected targets of an integer dtype (Long), got Float");
  EXPECT_EMBER_ERROR(F::ctc_loss(lp, tg, il.to(kFloat32), tl), "input_lengths must be integral");
  EXPECT_EMBER_ERROR(F::ctc_loss(lp, tg, il, tl.to(kBool)), "target_lengths must be integral");
  // lengths of another integer dtype (uint8 here), as PyTorch takes them: the same loss
  EXPECT_TRUE(allclose(F::ctc_loss(lp, tg, il.to(kUInt8), tl.to(kUInt8)), F::ctc_loss(lp, tg, il, tl)));
  EXPECT_EMBER_ERROR(F::ctc_loss(lp.detach().to(kInt64), tg, il, tl), "\"ctc_loss\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(F::ctc_loss(lp[0][0], tg, il, tl), "expected log_probs [T, N, C]");
  // no second derivative, as PyTorch's
  const Tensor x = log_probs();
  const Tensor loss = F::ctc_loss(x, tg, il, tl);
  const Tensor g = autograd::grad({loss}, {x}, {}, /*retain_graph=*/true, /*create_graph=*/true)[0];
  EXPECT_EMBER_ERROR(g.sum().backward(), "the derivative for '_ctc_loss_backward' is not implemented");
}

TEST(CtcLossFunctional, NegativeLengthsInPyTorchsWords) {
  const Tensor lp = F::log_softmax(zeros({4, 1, 3}), 2);
  const Tensor targets = tensor(std::vector<int64_t>{1}, {1, 1});
  EXPECT_EMBER_ERROR(F::ctc_loss(lp, targets, tensor(std::vector<int64_t>{-1}, {1}), tensor(std::vector<int64_t>{1}, {1})),
                     "Expected input_lengths to have value at least 0, but got value -1");
  EXPECT_EMBER_ERROR(F::ctc_loss(lp, targets, tensor(std::vector<int64_t>{4}, {1}), tensor(std::vector<int64_t>{-2}, {1})),
                     "Expected target_lengths to have value at least 0, but got value -2");
}

}  // namespace
}  // namespace ember
