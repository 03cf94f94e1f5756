// nn::functional losses: log_softmax/softmax, nll_loss, cross_entropy (with label
// smoothing and every reduction) and mse_loss against hand-computed float64 values,
// gradcheck of each, recording rules and error messages.
#include <cmath>
#include <gtest/gtest.h>

#include "nn/functional/loss.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::expect_values;
using ember::testing::leaf;
using Inputs = std::vector<Tensor>;

// log_softmax([1, 2, 3]) and its exp, computed by hand (lse = 3.4076059644...).
const std::vector<double> kLogSm123{-2.4076059644443806, -1.4076059644443806, -0.4076059644443806};
const std::vector<double> kSm123{0.09003057317038043, 0.24472847105479759, 0.6652409557748217};
const double kLog3 = 1.0986122886681098;

Tensor targets(const std::vector<int64_t>& v) { return tensor(v, kInt64); }

void expect_gradcheck(const autograd::GradcheckFn& fn, const Inputs& in) {
  auto r = autograd::gradcheck_report(fn, in);
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(LossSoftmax, LogSoftmaxValuesAndStability) {
  expect_values(F::log_softmax(tensor(std::vector<double>{1, 2, 3}), 0), kLogSm123, 1e-12);
  expect_values(F::log_softmax(tensor(std::vector<double>{1001, 1002, 1003}), -1), kLogSm123, 1e-12);
  expect_values(F::softmax(tensor(std::vector<double>{1, 2, 3}), 0), kSm123, 1e-12);
  // along dim 0 of [[1, 2], [3, 4]]: each column is log_softmax([a, a + 2])
  Tensor x = tensor(std::vector<double>{1, 2, 3, 4}, {2, 2});
  expect_values(F::log_softmax(x, 0), {-2.1269280110429727, -2.1269280110429727, -0.1269280110429727,
                                       -0.1269280110429727}, 1e-12);
  // float32 and a non-contiguous input agree with the contiguous float64 result
  Tensor xt = tensor(std::vector<float>{1, 2, 3, 4}, {2, 2}).t();  // [[1, 3], [2, 4]]
  expect_values(F::log_softmax(xt, 1), {-2.1269280110429727, -0.1269280110429727, -2.1269280110429727,
                                        -0.1269280110429727}, 1e-6);
  EXPECT_EQ(F::softmax(xt, 1).dtype(), kFloat32);
}

TEST(LossSoftmax, RecordsOnlyWhenNeeded) {
  Tensor x = leaf({1, 2, 3, 4}, {2, 2});
  EXPECT_EQ(F::log_softmax(x, 1).grad_fn_name(), "LogSoftmaxBackward");
  EXPECT_EQ(F::softmax(x, 1).grad_fn_name(), "SoftmaxBackward");
  NoGradGuard g;
  EXPECT_EQ(F::log_softmax(x, 1).grad_fn(), nullptr);
}

TEST(LossCrossEntropy, ValuesForEachReduction) {
  Tensor logits = tensor(std::vector<double>{1, 2, 3, 0, 0, 0}, {2, 3});
  Tensor t = targets({2, 0});
  const double row0 = -kLogSm123[2], row1 = kLog3;
  expect_values(F::cross_entropy(logits, t), {(row0 + row1) / 2}, 1e-12);
  expect_values(F::cross_entropy(logits, t, F::Reduction::Sum), {row0 + row1}, 1e-12);
  expect_values(F::cross_entropy(logits, t, "none"), {row0, row1}, 1e-12);
  EXPECT_EQ(F::cross_entropy(logits, t).dim(), 0);
  EXPECT_EQ(F::cross_entropy(logits, t, "none").sizes(), Dims({2}));
}

TEST(LossCrossEntropy, LabelSmoothing) {
  Tensor logits = tensor(std::vector<double>{1, 2, 3, 0, 0, 0}, {2, 3});
  // loss_i = -(1 - 0.1) logp[t_i] - 0.1/3 * sum_j logp_j
  const double sum_logp0 = kLogSm123[0] + kLogSm123[1] + kLogSm123[2];
  const double row0 = -0.9 * kLogSm123[2] - 0.1 / 3 * sum_logp0;
  const double row1 = kLog3;  // uniform logits: smoothing changes nothing
  expect_values(F::cross_entropy(logits, targets({2, 0}), "none", 0.1), {row0, row1}, 1e-12);
  expect_values(F::cross_entropy(logits, targets({2, 0}), F::Reduction::Mean, 0.1), {(row0 + row1) / 2}, 1e-12);
}

TEST(LossCrossEntropy, FusedGradientIsSoftmaxMinusOneHot) {
  Tensor logits = leaf({1, 2, 3, 0, 0, 0}, {2, 3});
  Tensor loss = F::cross_entropy(logits, targets({2, 0}));
  EXPECT_EQ(loss.grad_fn_name(), "CrossEntropyLossBackward");
  loss.backward();
  const double third = 1.0 / 3;
  expect_values(logits.grad(), {kSm123[0] / 2, kSm123[1] / 2, (kSm123[2] - 1) / 2, (third - 1) / 2, third / 2,
                                third / 2}, 1e-12);
}

TEST(LossCrossEntropy, MatchesNllOfLogSoftmaxOnBigBatches) {
  manual_seed(7);
  for (DType dt : {kFloat32, kFloat64}) {
    Tensor logits = randn({4096, 10}, dt) * 3.0;
    Tensor t = randint(0, 10, {4096});
    for (const char* r : {"mean", "sum", "none"}) {
      Tensor fused = F::cross_entropy(logits, t, r);
      Tensor composed = F::nll_loss(F::log_softmax(logits, 1), t, r);
      EXPECT_TRUE(allclose(fused, composed, 1e-4, 1e-5)) << r << " " << dtype_name(dt);
    }
  }
}

TEST(LossCrossEntropy, SavesNothingWithoutRecording) {
  Tensor logits = tensor(std::vector<double>{1, 2, 3, 4}, {2, 2});
  EXPECT_EQ(F::cross_entropy(logits, targets({0, 1})).grad_fn(), nullptr);
  Tensor trainable = leaf({1, 2, 3, 4}, {2, 2});
  NoGradGuard g;
  const auto before = autograd::saved_tensor_stats().count;
  EXPECT_EQ(F::cross_entropy(trainable, targets({0, 1})).grad_fn(), nullptr);
  EXPECT_EQ(autograd::saved_tensor_stats().count, before);
}

TEST(LossNll, ValuesAndGradient) {
  Tensor lp = leaf({-1, -2, -3, -0.5, -1.5, -2.5}, {2, 3});
  Tensor t = targets({1, 2});
  expect_values(F::nll_loss(lp, t, "none"), {2.0, 2.5});
  expect_values(F::nll_loss(lp, t, "sum"), {4.5});
  Tensor loss = F::nll_loss(lp, t);
  expect_values(loss, {2.25});
  EXPECT_EQ(loss.grad_fn_name(), "NllLossBackward");
  loss.backward();
  expect_values(lp.grad(), {0, -0.5, 0, 0, 0, -0.5});
}

TEST(LossNll, SingleSampleWithScalarTarget) {
  Tensor lp = tensor(std::vector<double>{-1, -2, -3});
  expect_values(F::nll_loss(lp, scalar_tensor(2, kInt64)), {3.0});
  expect_values(F::cross_entropy(tensor(std::vector<double>{1, 2, 3}), scalar_tensor(2, kInt64)), {-kLogSm123[2]},
                1e-12);
}

TEST(LossMse, ValuesAndGradient) {
  Tensor a = leaf({1, 2, 3}, {3});
  Tensor b = tensor(std::vector<double>{1.5, 2, 5});
  expect_values(F::mse_loss(a, b, "none"), {0.25, 0, 4});
  expect_values(F::mse_loss(a, b, F::Reduction::Sum), {4.25});
  Tensor loss = F::mse_loss(a, b);
  expect_values(loss, {4.25 / 3});
  EXPECT_EQ(loss.grad_fn_name(), "MseLossBackward");
  loss.backward();
  expect_values(a.grad(), {-1.0 / 3, 0, -4.0 / 3});
}

TEST(LossGradcheck, EveryLoss) {
  manual_seed(3);
  auto in = [](Dims shape) { return randn(shape, kFloat64).requires_grad_(true); };
  Tensor t = targets({0, 3, 1});
  expect_gradcheck([](const Inputs& x) { return F::log_softmax(x[0], 1); }, {in({3, 4})});
  expect_gradcheck([](const Inputs& x) { return F::log_softmax(x[0], 0); }, {in({3, 4})});
  expect_gradcheck([](const Inputs& x) { return F::softmax(x[0], -1); }, {in({3, 4})});
  expect_gradcheck([](const Inputs& x) { return F::log_softmax(x[0], 1); }, {in({2, 3, 2})});
  for (F::Reduction r : {F::Reduction::Mean, F::Reduction::Sum, F::Reduction::None}) {
    for (double smoothing : {0.0, 0.2}) {
      expect_gradcheck([&](const Inputs& x) { return F::cross_entropy(x[0], t, r, smoothing); }, {in({3, 4})});
    }
    expect_gradcheck([&](const Inputs& x) { return F::nll_loss(x[0], t, r); }, {in({3, 4})});
    expect_gradcheck([&](const Inputs& x) { return F::mse_loss(x[0], x[1], r); }, {in({3, 4}), in({4})});
  }
  // the composite path: gradients flow through log_softmax into nll_loss
  expect_gradcheck([&](const Inputs& x) { return F::nll_loss(F::log_softmax(x[0], 1), t); }, {in({3, 4})});
}

TEST(LossErrors, Messages) {
  Tensor logits = tensor(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EMBER_ERROR(F::cross_entropy(logits, targets({0, 10})), "Target 10 is out of bounds.");
  EXPECT_EMBER_ERROR(F::nll_loss(logits, targets({-1, 0})), "Target -1 is out of bounds.");
  EXPECT_EMBER_ERROR(F::nll_loss(logits, tensor(std::vector<float>{0, 1})), "expected scalar type Long but found Float");
  EXPECT_EMBER_ERROR(F::cross_entropy(logits, targets({0, 1, 2})),
                     "Expected input batch_size (2) to match target batch_size (3).");
  EXPECT_EMBER_ERROR(F::cross_entropy(logits, targets({0, 1}), "avg"), "avg is not a valid value for reduction");
  EXPECT_EMBER_ERROR(F::cross_entropy(logits, targets({0, 1}), "mean", 1.5),
                     "label_smoothing must be between 0.0 and 1.0");
  EXPECT_EMBER_ERROR(F::cross_entropy(tensor(std::vector<int64_t>{1, 2}, {1, 2}), targets({0})),
                     "expected a floating-point tensor");
  EXPECT_EMBER_ERROR(F::log_softmax(logits, 2), "Dimension out of range");
}


// PyTorch 1.13's values for the same logits, targets and weight (F.cross_entropy /
// F.nll_loss with weight=, ignore_index=-100, label_smoothing=; gradients of the sum).
TEST(ClassLossOptions, WeightIgnoreIndexAndSmoothingMatchPyTorch) {
  const std::vector<double> x_values{0.5, -1.0, 2.0, 0.1, 1.5, 0.3, -0.2, 0.0, -0.7, 0.9, 0.4, 1.1};
  const Tensor w = tensor(std::vector<double>{1.0, 2.0, 0.5, 3.0}, {4}, dtype(kFloat64));
  const Tensor with_ignored = tensor(std::vector<int64_t>{2, -100, 3}, {3});
  auto expect_pytorch = [&](const F::ClassLossOptions& options, const std::vector<double>& loss_values,
                            const std::vector<double>& grad_values) {
    const Tensor x = leaf(x_values, {3, 4});
    const Tensor loss = F::cross_entropy(x, with_ignored, options);
    expect_values(loss, loss_values, 1e-12);
    loss.sum().backward();
    expect_values(x.grad(), grad_values, 1e-12);
  };
  expect_pytorch({.ignore_index = -100}, {0.6304562146365629},
                 {0.07842965907291799, 0.017500022389326946, -0.1485026541425628, 0.052572972680317895, 0, 0, 0, 0,
                  0.03331812713389988, 0.16502576401432476, 0.10009318551718976, -0.2984370766654144});
  expect_pytorch({.weight = w, .ignore_index = -100}, {0.8290635550173715},
                 {0.02240847402083371, 0.005000006396950556, -0.042429329755017946, 0.015020849337233683, 0, 0, 0, 0,
                  0.05711678937239979, 0.2829013097388424, 0.17158831802946817, -0.5116064171407104});
  expect_pytorch({.weight = w, .ignore_index = -100, .reduction = F::Reduction::None, .label_smoothing = 0.2},
                 {0.9154943051249873, 0.0, 2.6031801884374195},
                 {0.0637230056557311, -0.07462496753547593, 0.08467115149328394, -0.07376918961353907, 0, 0, 0, 0,
                  0.13158379287975436, 0.79939041387807, 0.5205078610686842, -1.4514820678265088});
  expect_pytorch({.weight = w, .ignore_index = -100, .label_smoothing = 0.2}, {1.005335569589259},
                 {0.018206573044494603, -0.021321419295850266, 0.02419175756950971, -0.02107691131815401, 0, 0, 0, 0,
                  0.037595369394215525, 0.22839726110801997, 0.14871653173390978, -0.4147091622361453});
  expect_pytorch({.ignore_index = -100, .reduction = F::Reduction::Sum, .label_smoothing = 0.2}, {1.7159124292731258},
                 {0.10685931814583598, -0.01499995522134611, -0.1470053082851257, 0.05514594536063579, 0, 0, 0, 0,
                  0.016636254267799758, 0.2800515280286495, 0.15018637103437954, -0.4468741533308289});
  // A weight without ignored rows, mean: sum of w[t_i] * loss_i over sum of w[t_i].
  const Tensor x = leaf(x_values, {3, 4});
  expect_values(F::cross_entropy(x, tensor(std::vector<int64_t>{2, 0, 3}, {3}), {.weight = w}), {0.7636587804639708},
                1e-12);
  // nll_loss on log-probabilities takes the same options.
  expect_values(F::nll_loss(F::log_softmax(x, 1), with_ignored, {.weight = w, .ignore_index = -100}),
                {0.8290635550173715}, 1e-12);
  // Every row ignored: the mean is 0 / 0, NaN, as in PyTorch.
  EXPECT_TRUE(std::isnan(
      F::cross_entropy(x, tensor(std::vector<int64_t>{-100, -100, -100}, {3}), {.ignore_index = -100}).item<double>()));
}

// The options run in the fused kernels: PyTorch's default ignore_index (-100), an
// ignore_index inside the class range, nll_loss's gradient with a weight, gradchecks,
// and the zero gradient of a batch whose every row is ignored.
TEST(ClassLossOptions, FusedKernelsTakeEveryOptionAsPyTorch) {
  const std::vector<double> x_values{0.5, -1.0, 2.0, 0.1, 1.5, 0.3, -0.2, 0.0, -0.7, 0.9, 0.4, 1.1};
  const Tensor w = tensor(std::vector<double>{1.0, 2.0, 0.5, 3.0}, {4}, dtype(kFloat64));
  const Tensor with_ignored = tensor(std::vector<int64_t>{2, -100, 3}, {3});
  {  // ClassLossOptions{} has PyTorch's ignore_index=-100
    const Tensor x = leaf(x_values, {3, 4});
    expect_values(F::cross_entropy(x, with_ignored, {.weight = w}), {0.8290635550173715}, 1e-12);
  }
  {  // ignore_index = 0, a class: rows with target 0 add nothing
    const Tensor x = leaf(x_values, {3, 4});
    const Tensor loss = F::cross_entropy(x, tensor(std::vector<int64_t>{2, 0, 3}, {3}),
                                         {.weight = w, .ignore_index = 0, .label_smoothing = 0.1});
    expect_values(loss, {0.9171995623033152}, 1e-12);
    loss.backward();
    expect_values(x.grad(),
                  {0.020307523532664157, -0.008160706449449856, -0.009118786092754115, -0.0030280309904601637, 0, 0,
                   0, 0, 0.04735607938330767, 0.2556492854234313, 0.16015242488168902, -0.46315778968842797},
                  1e-12);
  }
  {  // nll_loss with a weight: -w[t] / sum of w[t] kept at each target
    const Tensor x = leaf(x_values, {3, 4});
    const Tensor log_probs = F::log_softmax(x, 1).detach().requires_grad_();
    const Tensor loss = F::nll_loss(log_probs, with_ignored, {.weight = w});
    EXPECT_EQ(loss.grad_fn_name(), "NllLossBackward");
    expect_values(loss, {0.8290635550173715}, 1e-12);
    loss.backward();
    expect_values(log_probs.grad(), {0, 0, -0.14285714285714285, 0, 0, 0, 0, 0, 0, 0, 0, -0.8571428571428571}, 1e-15);
  }
  {  // every row ignored: NaN loss, zero gradient (PyTorch's)
    const Tensor x = leaf(x_values, {3, 4});
    const Tensor loss = F::cross_entropy(x, tensor(std::vector<int64_t>{-100, -100, -100}, {3}), F::ClassLossOptions{});
    EXPECT_TRUE(std::isnan(loss.item<double>()));
    loss.backward();
    expect_values(x.grad(), std::vector<double>(12, 0.0), 0.0);
  }
  const Tensor mixed = tensor(std::vector<int64_t>{2, -100, 3, 1, 1}, {5});
  manual_seed(5);
  auto in = [] { return randn({5, 4}, kFloat64).requires_grad_(true); };
  for (const F::Reduction reduction : {F::Reduction::Mean, F::Reduction::Sum, F::Reduction::None}) {
    expect_gradcheck(
        [&](const Inputs& x) {
          return F::cross_entropy(x[0], mixed, {.weight = w, .reduction = reduction, .label_smoothing = 0.15});
        },
        {in()});
    expect_gradcheck([&](const Inputs& x) { return F::nll_loss(x[0], mixed, {.weight = w, .reduction = reduction}); },
                     {in()});
  }
}

// Every kept row weighs 0: PyTorch's mean is 0 / 0 (its smoothing term over a zero
// weight sum too), NaN, with NaN gradients; and a bfloat16 weight under autocast is cast
// to float32 with the input.
TEST(ClassLossOptions, ZeroWeightSumIsNaNAndAutocastCastsTheWeight) {
  const Tensor x = leaf({0.1, 0.2, 0.3, 0.4, 1, -1, 0.5, 0}, {2, 4});
  const Tensor w = tensor(std::vector<double>{0, 1, 1, 1}, {4}, dtype(kFloat64));
  const Tensor loss =
      F::cross_entropy(x, tensor(std::vector<int64_t>{0, 0}, {2}), {.weight = w, .label_smoothing = 0.2});
  EXPECT_TRUE(std::isnan(loss.item<double>()));
  loss.backward();
  for (double g : x.grad().to_vector<double>()) EXPECT_TRUE(std::isnan(g));
  AutocastGuard autocast(Device::cpu(), kBFloat16);
  const Tensor logits = tensor(std::vector<double>{0.5, -1.0, 2.0, 0.1}, {1, 4}, dtype(kBFloat16));
  const Tensor bf16_weight = tensor(std::vector<double>{1.0, 2.0, 0.5, 3.0}, {4}, dtype(kBFloat16));
  const Tensor out = F::cross_entropy(logits, tensor(std::vector<int64_t>{3}, {1}), {.weight = bf16_weight});
  EXPECT_EQ(out.dtype(), kFloat32);
  EXPECT_NEAR(out.item<double>(), 2.2523186206817627, 1e-6);  // PyTorch: -log softmax(x)[3], x rounded to bf16
}

// PyTorch 1.13's K-dimensional form: input [2, 3, 4] (C = 3), targets [2, 4] with one
// ignored position; values and gradients of the sum of the outputs.
TEST(ClassLossOptions, KDimensionalInputAsPyTorch) {
  std::vector<double> v;
  for (int i = 0; i < 24; ++i) v.push_back(std::sin(0.37 * i));
  const Tensor w = tensor(std::vector<double>{1.0, 2.0, 0.5}, {3}, dtype(kFloat64));
  const Tensor t = tensor(std::vector<int64_t>{0, 2, 1, -100, 1, 1, 0, 2}, {2, 4});
  auto expect_pytorch = [&](const F::ClassLossOptions& o, const std::vector<double>& loss_values,
                            const std::vector<double>& grad_values) {
    const Tensor x = leaf(v, {2, 3, 4});
    const Tensor loss = F::cross_entropy(x, t, o);
    expect_values(loss, loss_values, 1e-12);
    loss.sum().backward();
    expect_values(x.grad(), grad_values, 1e-12);
  };
  expect_pytorch({}, {1.470070394763491},
                 {-0.11373257626953553, 0.042028204505088235, 0.05878840698160626, 0.0, 0.0788433423283476,
                  0.07655433114133474, -0.0764222617853949, 0.0, 0.03488923394118795, -0.11858253564642297,
                  0.017633854803788634, 0.0, 0.01540722125039134, 0.012925948360967549, -0.12975129753150258,
                  0.01558731964189943, -0.11456133440457708, -0.10764851163563088, 0.04623173785305992,
                  0.060039474226434915, 0.09915411315418574, 0.09472256327466333, 0.08351955967844264,
                  -0.07562679386833435});
  expect_pytorch({.weight = w, .label_smoothing = 0.1}, {1.3946174326527072},
                 {-0.08067372234646607, 0.014819838281872225, 0.08393456966702416, 0.0, 0.05493723550778598,
                  0.02633320520673643, -0.10837022358748685, 0.0, 0.025736486838680107, -0.041153043488608654,
                  0.024435653920462687, 0.0, 0.01926446871586117, 0.015565534130701629, -0.09334037786287334,
                  0.00316626310142975, -0.16522569295497141, -0.1549204664197831, 0.029149911228252945,
                  0.01905443493683613, 0.14596122423911026, 0.13935493228908147, 0.0641904666346204,
                  -0.02222069803826588});
  {
    const Tensor x = leaf(v, {2, 3, 4});
    const Tensor none = F::cross_entropy(x, t, {.reduction = F::Reduction::None});
    EXPECT_EQ(none.sizes(), (Dims{2, 4}));
    expect_values(none, {1.590263099263879, 1.7724142966951812, 0.7656228940296878, 0.0, 1.6191314474639387,
                         1.4005538722240531, 2.388786791176789, 0.7537203624909072},
                  1e-12);
    // nll_loss on log-probabilities, weighted: PyTorch's 1.423637071941008
    expect_values(F::nll_loss(F::log_softmax(x, 1), t, {.weight = w}), {1.423637071941008}, 1e-12);
  }
  const Tensor x = leaf(v, {2, 3, 4});
  EXPECT_EMBER_ERROR(F::cross_entropy(x, tensor(std::vector<int64_t>{0, 1, 2}, {1, 3}), F::ClassLossOptions{}),
                     "Expected input batch_size (2) to match target batch_size (1).");
  EXPECT_EMBER_ERROR(F::cross_entropy(x, tensor(std::vector<int64_t>{0, 1, 2, 0, 1, 2}, {2, 3}), F::ClassLossOptions{}),
                     "Expected target size [2, 4], got [2, 3]");
}

// The sequence tutorials' common mistakes get PyTorch's messages (LossNLL.cpp: the batch sizes
// first, then the rank; nll_loss2d's for 4-D input); uint8 class indices (a mask read as an
// image) give the int64 loss, as PyTorch's nll_loss takes Byte targets.
TEST(ClassLossOptions, TargetShapesAndDtypesAsPyTorch) {
  manual_seed(0);
  const Tensor logits = randn({18, 20});
  EXPECT_EMBER_ERROR(F::cross_entropy(logits, zeros({18, 1}, dtype(kInt64))),
                     "0D or 1D target tensor expected, multi-target not supported");
  EXPECT_EMBER_ERROR(F::nll_loss(logits, zeros({6, 3}, dtype(kInt64))),
                     "Expected input batch_size (18) to match target batch_size (6).");
  EXPECT_EMBER_ERROR(F::cross_entropy(randn({1, 2, 2, 4}), zeros({1, 8}, dtype(kInt64))),
                     "only batches of spatial targets supported (3D tensors) but got targets of dimension: 2");
  EXPECT_EMBER_ERROR(F::cross_entropy(randn({1, 2, 2, 4}), zeros({1, 2, 3}, dtype(kInt64))),
                     "input and target batch or spatial sizes don't match: target [1, 2, 3], input [1, 2, 2, 4]");

  const Tensor targets = tensor(std::vector<int64_t>{3, 0, 19, 7, 7, 1}, {6});
  const Tensor rows = randn({6, 20});
  EXPECT_TRUE(equal(F::cross_entropy(rows, targets.to(kUInt8)), F::cross_entropy(rows, targets)));
  EXPECT_TRUE(equal(F::nll_loss(F::log_softmax(rows, 1), targets.to(kUInt8), {.ignore_index = 7}),
                    F::nll_loss(F::log_softmax(rows, 1), targets, {.ignore_index = 7})));
  const Tensor image = randn({2, 3, 4, 5});
  std::vector<int64_t> labels(40);
  for (int64_t i = 0; i < 40; ++i) labels[static_cast<size_t>(i)] = i % 3;
  const Tensor mask = tensor(labels, Dims{2, 4, 5});
  EXPECT_TRUE(equal(F::cross_entropy(image, mask.to(kUInt8)), F::cross_entropy(image, mask)));
  // Soft targets must be floating, uint8 included.
  EXPECT_EMBER_ERROR(F::cross_entropy(rows, zeros({6, 20}, dtype(kUInt8))),
                     "Expected floating point type for target with class probabilities, got Byte");
  // PyTorch's deprecated names: reduction "elementwise_mean" is "mean"; NLLLoss2d is NLLLoss.
  EXPECT_TRUE(equal(F::cross_entropy(rows, targets, "elementwise_mean"), F::cross_entropy(rows, targets, "mean")));
  nn::NLLLoss2d loss2d;
  EXPECT_EQ(loss2d.repr(), "NLLLoss2d()");
  EXPECT_TRUE(equal(loss2d(F::log_softmax(image, 1), mask), F::nll_loss(F::log_softmax(image, 1), mask)));
  // kl_div refuses integers (PyTorch's Loss.cpp kl_div).
  EXPECT_EMBER_ERROR(F::kl_div(tensor(std::vector<int64_t>{-1, -2}), tensor(std::vector<float>{0.5f, 0.5f})),
                     "kl_div: Integral inputs not supported.");
  EXPECT_EMBER_ERROR(F::kl_div(tensor(std::vector<float>{-1, -2}), tensor(std::vector<int64_t>{0, 1})),
                     "kl_div: Integral inputs not supported.");
}

// PyTorch 1.13's cross_entropy with class probabilities (soft targets, e.g. mixup).
TEST(ClassLossOptions, ProbabilityTargetsAsPyTorch) {
  std::vector<double> logits, raw;
  for (int i = 0; i < 12; ++i) {
    logits.push_back(std::sin(0.3 * i));
    raw.push_back(std::cos(0.7 * i));
  }
  const Tensor p = F::softmax(tensor(raw, {4, 3}, dtype(kFloat64)), 1);
  const Tensor w = tensor(std::vector<double>{1.0, 2.0, 0.5}, {3}, dtype(kFloat64));
  auto expect_pytorch = [&](const F::ClassLossOptions& o, const std::vector<double>& loss_values,
                            const std::vector<double>& grad_values) {
    const Tensor y = leaf(logits, {4, 3});
    const Tensor loss = F::cross_entropy(y, p, o);
    expect_values(loss, loss_values, 1e-12);
    loss.sum().backward();
    expect_values(y.grad(), grad_values, 1e-12);
  };
  expect_pytorch({}, {1.1335065053922635},
                 {-0.051348496982972745, -0.00686733476109451, 0.05821583174406726, -0.03537604226457686,
                  0.015004934285950233, 0.020371107978626624, 0.056413112127807086, 0.009349665031891274,
                  -0.06576277715969836, -0.004763289388908493, -0.007070388346063605, 0.011833677734972077});
  expect_pytorch({.weight = w}, {1.3118135578615384},
                 {-0.03568176193158035, -0.0745690697127507, 0.11025083164433103, -0.025089965037792056,
                  -0.04339467434582553, 0.06848463938361764, 0.05924386789272821, -0.06363253412690531,
                  0.0043886662341770825, 0.0230391786984403, -0.07461039603302098, 0.05157121733458071});
  expect_pytorch({.reduction = F::Reduction::None, .label_smoothing = 0.1},
                 {1.1890136250258907, 1.1192382722673815, 1.159658210261847, 1.0587591407038264},
                 {-0.19381339769764264, -0.025300636777482233, 0.21911403447512492, -0.13126813757595518,
                  0.05482038175736287, 0.07644775581859231, 0.20767174585542683, 0.03427191429493376,
                  -0.24194366015036062, -0.007155558268046203, -0.026246272574034057, 0.033401830842080205});
  expect_pytorch({.weight = w, .reduction = F::Reduction::Sum, .label_smoothing = 0.2}, {5.231293995462571},
                 {-0.12397441370747445, -0.29552578579062244, 0.41950019949809686, -0.07831034299793997,
                  -0.19254573736366593, 0.27085608036160586, 0.2113887534902578, -0.2577490510080272,
                  0.04636029751776935, 0.10815181118751026, -0.2961588634270346, 0.1880070522395244});
  const Tensor y = leaf(logits, {4, 3});
  EXPECT_EMBER_ERROR(F::cross_entropy(y, p, {.ignore_index = 1}), "ignore_index is not supported for floating point target");
  EXPECT_EMBER_ERROR(F::cross_entropy(y, p.to(kInt64), F::ClassLossOptions{}),
                     "Expected floating point type for target with class probabilities, got Long");
  expect_gradcheck([&](const Inputs& in) { return F::cross_entropy(in[0], p, {.weight = w, .label_smoothing = 0.3}); },
                   {leaf(logits, {4, 3})});
}

TEST(ClassLossOptions, BadOptionsAreClearErrors) {
  const Tensor x = zeros({3, 4});
  const Tensor t = tensor(std::vector<int64_t>{2, -100, 3}, {3});
  // the plain overloads ignore -100, as F.cross_entropy / F.nll_loss: the mean of the rows kept
  const Tensor steps = arange(12, kFloat32);
  const Tensor logits = (steps * steps * 0.05).reshape({3, 4});
  const Tensor kept_rows = tensor(std::vector<int64_t>{0, 2}, {2});
  const Tensor kept_targets = tensor(std::vector<int64_t>{2, 3}, {2});
  const double expected = F::cross_entropy(logits.index_select(0, kept_rows), kept_targets).item<double>();
  EXPECT_NEAR(F::cross_entropy(logits, t).item<double>(), expected, 1e-6);
  EXPECT_NEAR(F::nll_loss(F::log_softmax(logits, 1), t).item<double>(), expected, 1e-6);
  EXPECT_EMBER_ERROR(F::cross_entropy(x, t, {.ignore_index = std::nullopt}), "Target -100 is out of bounds.");
  EXPECT_EMBER_ERROR(F::cross_entropy(x, t, {.ignore_index = -1}), "Target -100 is out of bounds.");
  EXPECT_EMBER_ERROR(F::cross_entropy(x, tensor(std::vector<int64_t>{2, 4, 3}, {3}), {.ignore_index = -100}),
                     "Target 4 is out of bounds.");
  EXPECT_EMBER_ERROR(F::cross_entropy(x, t, {.weight = ones({3}), .ignore_index = -100}),
                     "weight tensor should be defined either for all 4 classes or no classes");
  EXPECT_EMBER_ERROR(F::cross_entropy(x, t, {.weight = ones({4}, dtype(kFloat64)), .ignore_index = -100}),
                     "expected a weight of float32");
  EXPECT_EMBER_ERROR(F::nll_loss(x, t, {.ignore_index = -100, .label_smoothing = 0.1}),
                     "label_smoothing is an option of cross_entropy only");
}

}  // namespace
}  // namespace ember
