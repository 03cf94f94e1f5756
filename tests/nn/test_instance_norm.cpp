// InstanceNorm (nn/functional/instance_norm.cpp, nn/instancenorm.*): values, gradients and
// running statistics against PyTorch 1.13 for each composition (Note [Instance norm composed]),
// eval mode, unbatched, channels-last and empty inputs, float64 gradcheck/gradgradcheck,
// checkpoints, PyTorch's error phrases, the modules' defaults, state_dict names and repr.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/gradcheck.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using testing::expect_values;

std::vector<double> sines(int64_t n, double scale = 1.0, double shift = 0.0) {
  std::vector<double> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(static_cast<double>(i)) * scale + shift;
  return v;
}

std::vector<double> cosines(int64_t n, double scale = 1.0, double shift = 0.0) {
  std::vector<double> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::cos(static_cast<double>(i)) * scale + shift;
  return v;
}

Tensor f64(const std::vector<double>& v, const Dims& shape, bool requires_grad = false) {
  return tensor(v, shape, TensorOptions(kFloat64).requires_grad(requires_grad));
}

// The common inputs of the functional tests (PyTorch 1.13, /usr/bin/python3):
//   x = torch.arange(24, dtype=torch.float64).reshape(2, 3, 4).sin().requires_grad_()
//   w = torch.tensor([1.5, -0.5, 2.0], dtype=torch.float64, requires_grad=True)
//   b = torch.tensor([0.1, 0.2, -0.3], dtype=torch.float64, requires_grad=True)
//   r = torch.arange(24, dtype=torch.float64).reshape(2, 3, 4).cos()
struct Inputs {
  Tensor x = f64(sines(24), {2, 3, 4}, true);
  Tensor w = f64({1.5, -0.5, 2.0}, {3}, true), b = f64({0.1, 0.2, -0.3}, {3}, true);
  Tensor r = f64(cosines(24), {2, 3, 4});
};

// y = F.instance_norm(x, weight=w, bias=b); (y * r).sum().backward()
const std::vector<double> kY{-1.646512804,  1.460731437,  1.711189652,  -1.125408285, 0.5386936956, 0.7008136983,
                             0.1557860173,  -0.5952934112, 2.32496565,  0.8466763527, -1.601961157, -2.769680846,
                             -2.326166663,  0.2032248665, 1.711332585,  0.8116092115, -0.003406686167, 0.7807586999,
                             0.5357730161,  -0.5131250298, 1.625925123, 1.412773637,  -0.9495540346, -3.289144726};
const std::vector<double> kGradX{3.2329522,     2.132932948,  -1.350724207,  -4.015160942, 0.5978382067, -0.2477667259,
                                 -0.4750412547, 0.1249697739, 0.9832864031,  -1.059142323, -1.0098949,   1.08575082,
                                 -0.1354303704, 1.722251396,  0.6920503636,  -2.278871389, 1.342359617,  0.138347836,
                                 -0.8229618023, -0.6577456502, 1.605456531, -0.9872650416, -1.388609301, 0.7704178125};
const std::vector<double> kGradW{-1.828389328, 2.339424304, 0.8724236103};
const std::vector<double> kGradB{1.262513018, 1.760289614, -3.563717172};

// y is PyTorch's kY, and the backward of (y * r).sum() gives its gradients.
void expect_pytorch_values_and_gradients(const Tensor& y, const Inputs& in) {
  expect_values(y, kY, 1e-8);
  (y * in.r).sum().backward();
  expect_values(in.x.grad(), kGradX, 1e-8);
  expect_values(in.w.grad(), kGradW, 1e-8);
  expect_values(in.b.grad(), kGradB, 1e-8);
}

TEST(InstanceNorm, FunctionalMatchesPyTorch) {
  const Inputs in;
  expect_pytorch_values_and_gradients(F::instance_norm(in.x, Tensor(), Tensor(), in.w, in.b), in);
}

// With running statistics the training step goes through batch_norm on [1, N * C, L]: the
// same values and gradients, and the running statistics updated as PyTorch's:
//   rm = torch.tensor([0.1, -0.2, 0.3], dtype=torch.float64); rv = torch.tensor([0.5, 2.0, 1.5], ...)
//   F.instance_norm(x, rm, rv, w, b, momentum=0.2)
TEST(InstanceNorm, RunningStatisticsUpdateMatchesPyTorch) {
  const Inputs in;
  const Tensor rm = f64({0.1, -0.2, 0.3}, {3}), rv = f64({0.5, 2.0, 1.5}, {3});
  const Tensor y = F::instance_norm(in.x, rm, rv, in.w, in.b, true, 0.2);
  expect_values(rm, {0.1654094434, -0.2397141629, 0.2587998648}, 1e-9);
  expect_values(rv, {0.4649203588, 1.676397948, 1.349637171}, 1e-9);
  expect_pytorch_values_and_gradients(y, in);
}

// After that update:
//   y = F.instance_norm(x, rm, rv, w, b, use_input_stats=False); (y * r).sum().backward()
//   y[0], x.grad[0], w.grad, b.grad
TEST(InstanceNorm, RunningStatisticsNormalizeWithoutInputStats) {
  const Inputs in;
  const Tensor rm = f64({0.1654094434, -0.2397141629, 0.2587998648}, {3});
  const Tensor rv = f64({0.4649203588, 1.676397948, 1.349637171}, {3});
  const Tensor y = F::instance_norm(in.x, rm, rv, in.w, in.b, false);
  expect_values(y.select(0, 0), {-0.2638795144, 1.587248493, 1.736457948, 0.04656636439, 0.3996847446, 0.4777384027,
                                 0.2153315217, -0.146280222, 0.9576934501, -0.03605418876, -1.682097184, -2.467071198},
                1e-8);
  expect_values(rm, {0.1654094434, -0.2397141629, 0.2587998648}, 0.0);  // nothing updated
  expect_values(rv, {0.4649203588, 1.676397948, 1.349637171}, 0.0);
  (y * in.r).sum().backward();
  expect_values(in.x.grad().select(0, 0),
                {2.199871465, 1.188595625, -0.9154695508, -2.177856243, 0.2524184966, -0.1095422339, -0.3707903398,
                 -0.2911355172, -0.2504857162, -1.568557135, -1.444504358, 0.007619064417},
                1e-8);
  expect_values(in.w.grad(), {-1.030074755, 0.8219285882, 1.057834636}, 1e-8);
  expect_values(in.b.grad(), kGradB, 1e-8);
}

// PyTorch 1.13:
//   m = nn.InstanceNorm2d(3, affine=True, track_running_stats=True)
//   with torch.no_grad(): m.weight.copy_(torch.tensor([1.0, 2.0, -1.0])); m.bias.copy_(torch.tensor([0.0, 0.5, 1.0]))
//   x1 = torch.arange(36, dtype=torch.float32).reshape(2, 3, 2, 3).sin() * 2 + 1
//   x2 = torch.arange(36, dtype=torch.float32).reshape(2, 3, 2, 3).cos() * 3 - 0.5
//   m(x1); y2 = m(x2)   # running_mean, running_var, num_batches_tracked, y2[0, 0]
//   m.eval(); y3 = m(x1)   # y3[1]
TEST(InstanceNorm, ModuleTwoTrainingStepsThenEvalMatchPyTorch) {
  nn::InstanceNorm2d m(3, {.affine = true, .track_running_stats = true});
  {
    NoGradGuard no_grad;
    m.weight.copy_(tensor({1.0f, 2.0f, -1.0f}));
    m.bias.copy_(tensor({0.0f, 0.5f, 1.0f}));
  }
  const Tensor x1 = tensor(sines(36, 2.0, 1.0), {2, 3, 2, 3}).to(kFloat32);
  const Tensor x2 = tensor(cosines(36, 3.0, -0.5), {2, 3, 2, 3}).to(kFloat32);
  m(x1);
  const Tensor y2 = m(x2);
  expect_values(m.running_mean, {0.04056275636, 0.04490707442, 0.04886049405}, 1e-6);
  expect_values(m.running_var, {1.570763588, 1.575345755, 1.576440692}, 1e-6);
  EXPECT_EQ(m.num_batches_tracked.item<int64_t>(), 0);  // InstanceNorm never counts (as PyTorch)
  expect_values(y2.select(0, 0).select(0, 0).reshape({6}),
                {1.483799815, 0.8274953365, -0.5380151272, -1.357287288, -0.8770862222, 0.4610934258}, 1e-5);
  m.eval();
  const Tensor y3 = m(x1);
  expect_values(y3.select(0, 1), {-0.4328851998, 1.004696846, 2.222386122, 2.100644588, 0.751400888, -0.584856391,
                                  -0.864102006, 1.600106716, 4.452110767, 5.069791317, 2.88525486, -0.09304508567,
                                  1.816302896, 0.8860561848, -0.6359074116, -1.350301504, -0.6003157496, 0.9245168567},
                1e-5);
  expect_values(m.running_mean, {0.04056275636, 0.04490707442, 0.04886049405}, 1e-6);  // eval updates nothing
}

// PyTorch 1.13:
//   m = nn.InstanceNorm3d(2, momentum=0.3, track_running_stats=True).double()
//   x = torch.arange(32, dtype=torch.float64).reshape(2, 2, 2, 2, 2).sin()
//   y = m(x); y0 = m(x[0] * 2)   # y[1, 1], y0[1] (unbatched), running_mean, running_var
//   m.eval(); m(x[1])[0]
TEST(InstanceNorm, InstanceNorm3dBatchedAndUnbatchedMatchPyTorch) {
  nn::InstanceNorm3d m(2, {.momentum = 0.3, .track_running_stats = true});
  m.to(kFloat64);
  const Tensor x = f64(sines(32), {2, 2, 2, 2, 2});
  const Tensor y = m(x), y0 = m(x.select(0, 0) * 2.0);
  EXPECT_EQ(y0.sizes(), (Dims{2, 2, 2, 2}));
  expect_values(y.select(0, 1).select(0, 1), {-1.10869547, 0.008120741185, 1.300691644, 1.580633511, 0.5905690807,
                                              -0.7592409753, -1.227787517, -0.3842910143},
                1e-8);
  expect_values(y0.select(0, 1), {1.144254934, 0.335415603, -1.004345382, -1.643257951, -0.9939088329, 0.3466933865,
                                  1.14600521, 0.6691430325},
                1e-8);
  expect_values(m.running_mean, {0.0362517517, 0.1072974761}, 1e-9);
  expect_values(m.running_var, {1.201879361, 1.307126276}, 1e-9);
  m.eval();
  expect_values(m(x.select(0, 1)).select(0, 0), {-0.2956790615, -0.910008884, -0.7180825195, 0.1036438176,
                                                 0.7996787225, 0.7300909137, -0.04114089843, -0.8049497425},
                1e-8);
}

TEST(InstanceNorm, EvalWithoutRunningStatisticsUsesTheInstance) {
  nn::InstanceNorm1d m(3);
  const Tensor x = f64(sines(24), {2, 3, 4});
  EXPECT_FALSE(m.depends_on_training_flag());
  const Tensor trained = m(x);
  m.eval();
  EXPECT_EQ(testing::max_abs_diff(m(x), trained), 0.0);
  expect_values(trained, F::instance_norm(x).to_vector<double>(), 0.0);
  nn::InstanceNorm1d tracking(3, {.track_running_stats = true});
  EXPECT_TRUE(tracking.depends_on_training_flag());
}

TEST(InstanceNorm, UnbatchedInputIsABatchOfOne) {
  const Tensor x = f64(sines(12, 1.5, 0.5), {3, 4});
  nn::InstanceNorm1d a(3, {.affine = true, .track_running_stats = true}), b(3, {.affine = true, .track_running_stats = true});
  const Tensor unbatched = a(x), batched = b(x.unsqueeze(0));
  EXPECT_EQ(unbatched.sizes(), (Dims{3, 4}));
  EXPECT_EQ(testing::max_abs_diff(unbatched, batched.squeeze(0)), 0.0);
  EXPECT_EQ(testing::max_abs_diff(a.running_mean, b.running_mean), 0.0);
  EXPECT_EQ(testing::max_abs_diff(a.running_var, b.running_var), 0.0);
  nn::InstanceNorm2d m2(2);
  EXPECT_EQ(m2(f64(sines(18), {2, 3, 3})).sizes(), (Dims{2, 3, 3}));
}

// The affine weight and bias scale and shift each channel of the normalized instance.
TEST(InstanceNorm, AffineScalesAndShiftsTheNormalizedInstance) {
  nn::InstanceNorm2d m(2, {.affine = true});
  {
    NoGradGuard no_grad;
    m.weight.copy_(tensor({2.0f, -3.0f}));
    m.bias.copy_(tensor({0.5f, 1.0f}));
  }
  const Tensor x = tensor(sines(2 * 2 * 3 * 3, 4.0, 2.0), {2, 2, 3, 3}).to(kFloat32);
  const Tensor plain = F::instance_norm(x);
  const Tensor expected = plain * tensor({2.0f, -3.0f}).view({1, 2, 1, 1}) + tensor({0.5f, 1.0f}).view({1, 2, 1, 1});
  EXPECT_LT(testing::max_abs_diff(m(x), expected), 1e-5);
  m(x).sum().backward();
  EXPECT_TRUE(m.weight.grad().defined());
  expect_values(m.bias.grad(), {18.0, 18.0}, 1e-5);
}

// A channels-last input gives the contiguous input's values on each route; an empty batch
// gives an empty output and leaves the running statistics as they were.
TEST(InstanceNorm, ChannelsLastAndEmptyInputs) {
  const Tensor x = tensor(sines(2 * 3 * 4 * 5, 2.0, 1.0), {2, 3, 4, 5}).to(kFloat32);
  const Tensor nhwc = x.contiguous(MemoryFormat::ChannelsLast);
  for (const bool running : {false, true}) {
    const Tensor rm = running ? zeros({3}) : Tensor(), rv = running ? ones({3}) : Tensor();
    EXPECT_LT(testing::max_abs_diff(F::instance_norm(nhwc, rm, rv), F::instance_norm(x)), 1e-5) << running;
  }
  const Tensor rm = zeros({3}), rv = ones({3});
  EXPECT_EQ(F::instance_norm(zeros({0, 3, 4}), rm, rv).sizes(), (Dims{0, 3, 4}));
  expect_values(rm, {0.0, 0.0, 0.0}, 0.0);
  expect_values(rv, {1.0, 1.0, 1.0}, 0.0);
}

TEST(InstanceNorm, GradcheckAndGradgradcheckEachComposition) {
  for (const Dims& shape : {Dims{2, 3, 4}, Dims{2, 2, 3, 2}, Dims{1, 2, 2, 2, 2}}) {
    SCOPED_TRACE(::testing::PrintToString(shape));
    const int64_t C = shape[1];
    const Tensor x = testing::grad_input(shape, -2.0, 2.0);
    const Tensor w = testing::grad_input({C}, 0.5, 1.5), b = testing::grad_input({C});
    const Tensor rm = zeros({C}, kFloat64), rv = ones({C}, kFloat64);
    const std::vector<std::pair<const char*, autograd::GradcheckFn>> fns{
        {"input stats",
         [](const std::vector<Tensor>& in) { return F::instance_norm(in[0], Tensor(), Tensor(), in[1], in[2]); }},
        {"input stats, running update",
         [&](const std::vector<Tensor>& in) { return F::instance_norm(in[0], rm, rv, in[1], in[2]); }},
        {"running stats",
         [&](const std::vector<Tensor>& in) { return F::instance_norm(in[0], rm, rv, in[1], in[2], false); }},
    };
    for (const auto& [what, fn] : fns) {
      const auto r = autograd::gradcheck_report(fn, {x, w, b});
      EXPECT_TRUE(r.ok) << what << ": " << r.message;
      const auto rr = autograd::gradgradcheck_report(fn, {x, w, b});
      EXPECT_TRUE(rr.ok) << what << " (gradgradcheck): " << rr.message;
    }
  }
}

// A checkpoint's recomputation neither repeats the running update nor rewrites the statistics.
TEST(InstanceNorm, CheckpointUpdatesRunningStatisticsOnce) {
  auto checkpointed = std::make_shared<nn::InstanceNorm1d>(3, nn::InstanceNormOptions{.track_running_stats = true});
  nn::InstanceNorm1d plain(3, {.track_running_stats = true});
  const Tensor x = f64(sines(24, 2.0, 1.0), {2, 3, 4}, true);
  utils::checkpoint([&](const Tensor& t) { return checkpointed->forward(t); }, x).pow(2.0).sum().backward();
  plain(x.detach());
  EXPECT_EQ(testing::max_abs_diff(checkpointed->running_mean, plain.running_mean), 0.0);
  EXPECT_EQ(testing::max_abs_diff(checkpointed->running_var, plain.running_var), 0.0);
}

TEST(InstanceNorm, WarnsAsPyTorch2WhenNumFeaturesIsNotUsed) {
  testing::expect_logged_in_fresh_process(  // logged once per process
      [] { EXPECT_EQ(nn::InstanceNorm1d(4)(zeros({2, 3, 4})).sizes(), (Dims{2, 3, 4})); },
      "input's size at dim=1 does not match num_features");
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(nn::InstanceNorm1d(3)(zeros({2, 3, 4})).sizes(), (Dims{2, 3, 4}));
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(InstanceNorm, PyTorchErrorPhrases) {
  const Tensor x = zeros({2, 3, 4});
  EXPECT_EMBER_ERROR(nn::InstanceNorm1d(3)(zeros({2, 3, 1})),
                     "Expected more than 1 spatial element when training, got input size [2, 3, 1]");
  EXPECT_EMBER_ERROR(nn::InstanceNorm1d(3)(zeros({3, 1})),
                     "Expected more than 1 spatial element when training, got input size [1, 3, 1]");
  EXPECT_EMBER_ERROR(nn::InstanceNorm2d(3)(zeros({2, 3, 1, 1})), "Expected more than 1 spatial element");
  EXPECT_EMBER_ERROR(F::instance_norm(zeros({2, 3})), "Expected more than 1 spatial element");
  EXPECT_EMBER_ERROR(nn::InstanceNorm1d(3)(zeros({3})), "expected 2D or 3D input (got 1D input)");
  EXPECT_EMBER_ERROR(nn::InstanceNorm2d(3)(zeros({3, 3})), "expected 3D or 4D input (got 2D input)");
  EXPECT_EMBER_ERROR(nn::InstanceNorm3d(3)(zeros({3, 3, 3})), "expected 4D or 5D input (got 3D input)");
  EXPECT_EMBER_ERROR(F::instance_norm(x, Tensor(), Tensor(), ones({4})), "weight should contain 6 elements not 8");
  EXPECT_EMBER_ERROR(F::instance_norm(x, Tensor(), Tensor(), Tensor(), ones({4})),
                     "bias should contain 6 elements not 8");
  EXPECT_EMBER_ERROR(nn::InstanceNorm1d(4, {.affine = true})(x),
                     "expected input's size at dim=1 to match num_features (4), but got: 3.");
  EXPECT_EMBER_ERROR(nn::InstanceNorm1d(4, {.affine = true})(x[0]),
                     "expected input's size at dim=0 to match num_features (4), but got: 3.");
  EXPECT_EMBER_ERROR(nn::InstanceNorm1d(4, {.track_running_stats = true})(x),
                     "running_mean should contain 6 elements not 8");
  EXPECT_EMBER_ERROR(F::instance_norm(x, zeros({3}), Tensor(), Tensor(), Tensor(), false),
                     "Expected running_mean and running_var to be defined when use_input_stats is false");
  EXPECT_EMBER_ERROR(F::instance_norm(zeros({2, 3, 4}, kInt64)), "instance_norm: expected a floating-point input");
  // Without affine or running statistics num_features is not used (a warning, below).
  EXPECT_EQ(nn::InstanceNorm1d(4)(x).sizes(), x.sizes());
  // Normalizing with running statistics needs no spatial extent.
  EXPECT_EQ(F::instance_norm(zeros({2, 3, 1}), zeros({3}), ones({3}), Tensor(), Tensor(), false).sizes(),
            (Dims{2, 3, 1}));
}

TEST(InstanceNorm, DefaultsStateDictAndRepr) {
  nn::InstanceNorm2d plain(64);
  EXPECT_EQ(plain.repr(), "InstanceNorm2d(64, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)");
  EXPECT_TRUE(plain.parameters().empty());
  EXPECT_TRUE(plain.state_dict().empty());
  nn::InstanceNorm3d full(4, {.eps = 1e-3, .momentum = 0.2, .affine = true, .track_running_stats = true});
  EXPECT_EQ(full.repr(), "InstanceNorm3d(4, eps=0.001, momentum=0.2, affine=True, track_running_stats=True)");
  std::vector<std::string> names;
  for (const auto& [name, t] : full.state_dict()) names.push_back(name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"bias", "num_batches_tracked", "running_mean", "running_var", "weight"}));
  EXPECT_EQ(full.parameters().size(), 2u);
  expect_values(full.running_var, {1.0, 1.0, 1.0, 1.0}, 0.0);
}

}  // namespace
}  // namespace ember
