// LayerNorm and GroupNorm (nn/functional/norm.cpp, core/cpu/norm.cpp): values and gradients
// against PyTorch 1.13, float64 gradcheck/gradgradcheck over ranks, groups and affine, a
// large-mean float32 input, non-contiguous and empty inputs, bf16, PyTorch's error phrases,
// what is saved under grad and under no_grad, and the modules' repr and mode independence.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using Inputs = std::vector<Tensor>;
using testing::error_of;
using testing::expect_values;

Tensor f64(const std::vector<double>& v, const Dims& shape, bool requires_grad = true) {
  return tensor(v, shape, TensorOptions(kFloat64).requires_grad(requires_grad));
}

// PyTorch 1.13 (/usr/bin/python3), values rounded to 10 digits:
//   x = torch.tensor([[0.5, -1.0, 2.0, 0.25], [3.0, 1.5, -0.5, -2.0], [0.0, 0.1, 0.2, 0.3]],
//                    dtype=torch.float64, requires_grad=True)
//   w = torch.tensor([1.5, -0.5, 2.0, 1.0], ...); b = torch.tensor([0.1, 0.2, -0.3, 0.0], ...)
//   r = torch.tensor([[1.0, -2.0, 0.5, 3.0], [0.0, 1.0, -1.0, 2.0], [0.5, 0.5, -0.25, 1.0]], ...)
//   y = F.layer_norm(x, (4,), w, b); (y * r).sum().backward()
TEST(LayerGroupNorm, LayerNormMatchesPyTorch) {
  const Tensor x = f64({0.5, -1.0, 2.0, 0.25, 3.0, 1.5, -0.5, -2.0, 0.0, 0.1, 0.2, 0.3}, {3, 4});
  const Tensor w = f64({1.5, -0.5, 2.0, 1.0}, {4}), b = f64({0.1, 0.2, -0.3, 0.0}, {4});
  const Tensor r = f64({1.0, -2.0, 0.5, 3.0, 0.0, 1.0, -1.0, 2.0, 0.5, 0.5, -0.25, 1.0}, {3, 4}, false);
  const Tensor y = F::layer_norm(x, {4}, w, b);
  expect_values(y, {0.1879311705, 0.8741389737, 2.6310390163, -0.175862341, 2.0695937762, -0.0626125035,
                    -1.350450014, -1.3130625175, -1.9116566779, 0.4235174087, 0.5940696346, 1.341104452},
                1e-9);
  (y * r).sum().backward();
  expect_values(x.grad(), {-0.1128097881, -0.6881385727, -0.4754134887, 1.2763618494, 0.3825983765, -0.0701812774,
                           -1.1115749883, 0.7991578893, 5.1403643862, -4.2470094355, -6.9288609975, 6.0355060468},
                1e-9);
  expect_values(w.grad(), {-0.6119314457, 2.9982634933, 1.1462260567, -1.8126076059}, 1e-9);
  expect_values(b.grad(), {1.5, -0.5, -0.75, 6.0}, 1e-12);
}

// Each of weight and bias given or not (the CPU kernel has a loop for each), rows of an
// odd length (its summing lanes leave a tail), float32 and float64: the formula in double.
TEST(LayerGroupNorm, LayerNormWithOrWithoutWeightAndBiasIsTheFormula) {
  manual_seed(4);
  const int64_t rows = 5, K = 37;
  for (DType type : {kFloat64, kFloat32}) {
    const Tensor x = (randn({rows, K}, type) * 3.0 + 1.5), w = randn({K}, type), b = randn({K}, type);
    const std::vector<double> xv = x.to_vector<double>(), wv = w.to_vector<double>(), bv = b.to_vector<double>();
    for (bool with_weight : {false, true}) {
      for (bool with_bias : {false, true}) {
        SCOPED_TRACE(std::string(dtype_name(type)) + (with_weight ? " weight" : "") + (with_bias ? " bias" : ""));
        std::vector<double> want;
        for (int64_t r = 0; r < rows; ++r) {
          double mean = 0, var = 0;
          for (int64_t k = 0; k < K; ++k) mean += xv[static_cast<size_t>(r * K + k)] / K;
          for (int64_t k = 0; k < K; ++k) var += std::pow(xv[static_cast<size_t>(r * K + k)] - mean, 2) / K;
          for (int64_t k = 0; k < K; ++k) {
            const double xhat = (xv[static_cast<size_t>(r * K + k)] - mean) / std::sqrt(var + 1e-5);
            want.push_back(xhat * (with_weight ? wv[static_cast<size_t>(k)] : 1.0) +
                           (with_bias ? bv[static_cast<size_t>(k)] : 0.0));
          }
        }
        const Tensor y = F::layer_norm(x, {K}, with_weight ? w : Tensor(), with_bias ? b : Tensor());
        expect_values(y, want, type == kFloat64 ? 1e-12 : 1e-5);
      }
    }
  }
}

// PyTorch 1.13:
//   x = torch.arange(24, dtype=torch.float64).reshape(2, 4, 3).sin().requires_grad_()
//   w = torch.tensor([1.0, 2.0, -1.0, 0.5], ...); b = torch.tensor([0.0, 0.5, 1.0, -1.0], ...)
//   r = torch.arange(24, dtype=torch.float64).reshape(2, 4, 3).cos()
//   y = F.group_norm(x, 2, w, b); (y * r).sum().backward()
TEST(LayerGroupNorm, GroupNormMatchesPyTorch) {
  std::vector<double> sines(24), cosines(24);
  for (size_t i = 0; i < 24; ++i) sines[i] = std::sin(static_cast<double>(i)), cosines[i] = std::cos(static_cast<double>(i));
  const Tensor x = f64(sines, {2, 4, 3});
  const Tensor w = f64({1.0, 2.0, -1.0, 0.5}, {4}), b = f64({0.0, 0.5, 1.0, -1.0}, {4});
  const Tensor r = f64(cosines, {2, 4, 3}, false);
  const Tensor y = F::group_norm(x, 2, w, b);
  expect_values(y, {-0.0412341742, 1.1405449892,  1.2358018399,  0.813915337,   -1.708206338,  -2.2759343088,
                    1.4547265717,  0.1181835124,  -0.3562163427, -0.7338440227, -1.4162013909, -1.7416077158,
                    -0.8431332185, 0.5418377068,  1.3676036343,  2.2499183572,  -0.4663212395, -2.4162133629,
                    2.1663910465,  0.8527608441,  -0.2599362083, -0.4256542139, -1.0421084736, -1.6526294714},
                1e-9);
  (y * r).sum().backward();
  expect_values(x.grad(), {1.7818655538, 1.0239745984,  -0.3283327066, -2.4221170919, -1.3575518402, 1.3021614865,
                           -0.7818268453, -0.5104929855, 0.7650488433,  -0.0786368258, -0.0036489802, 0.6095567933,
                           1.8018701105,  1.7717429757,  0.5832184976,  -1.7706989906, -2.2240489785, -0.1620836146,
                           -0.1574639749, -0.6956063863, 0.1008289764,  0.3015643401,  0.0274924481,  0.4231845966},
                1e-9);
  expect_values(w.grad(), {0.0279397827, 0.3718142202, -0.0795951257, 0.3574024085}, 1e-9);
  expect_values(b.grad(), {3.0121934277, -3.3524846632, 3.6256758954, -3.8262991999}, 1e-9);
}

void expect_checks(const autograd::GradcheckFn& fn, const Inputs& in, const std::string& what) {
  const auto r = autograd::gradcheck_report(fn, in);
  EXPECT_TRUE(r.ok) << what << ": " << r.message;
  const auto rr = autograd::gradgradcheck_report(fn, in);
  EXPECT_TRUE(rr.ok) << what << " (gradgradcheck): " << rr.message;
}

TEST(LayerGroupNorm, LayerNormGradcheckAndGradgradcheck) {
  struct Case {
    Dims x, normalized;
  };
  for (const Case& c : {Case{{5, 4}, {4}}, Case{{2, 3, 4}, {3, 4}}, Case{{2, 2, 3, 2}, {2, 3, 2}}, Case{{3}, {3}}}) {
    for (bool affine : {false, true}) {
      Inputs in{testing::grad_input(c.x)};
      if (affine) in.push_back(testing::grad_input(c.normalized, 0.5, 1.5)), in.push_back(testing::grad_input(c.normalized));
      expect_checks([&](const Inputs& v) {
        return F::layer_norm(v[0], c.normalized, affine ? v[1] : Tensor(), affine ? v[2] : Tensor());
      }, in, "layer_norm " + c.x.str() + " over " + c.normalized.str() + (affine ? " affine" : ""));
    }
  }
}

TEST(LayerGroupNorm, GroupNormGradcheckAndGradgradcheck) {
  for (const Dims& shape : {Dims{2, 6, 3}, Dims{2, 6, 2, 2}, Dims{3, 6}}) {
    for (int64_t groups : {1, 2, 3, 6}) {  // one group, between, and one channel per group
      for (bool affine : {false, true}) {
        Inputs in{testing::grad_input(shape)};
        if (affine) in.push_back(testing::grad_input({6}, 0.5, 1.5)), in.push_back(testing::grad_input({6}));
        if (shape.size() == 2 && groups == 6) continue;  // one value per row: no variance to differentiate
        expect_checks([&](const Inputs& v) {
          return F::group_norm(v[0], groups, affine ? v[1] : Tensor(), affine ? v[2] : Tensor());
        }, in, "group_norm " + shape.str() + " groups " + std::to_string(groups) + (affine ? " affine" : ""));
      }
    }
  }
}

// The create_graph formula (composed ops) gives the fused kernels' first-order gradients:
// gradgradcheck alone checks only that formula's own derivative.
TEST(LayerGroupNorm, CreateGraphGradientsEqualTheKernels) {
  using Fn = std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>;
  const std::vector<std::pair<Dims, Fn>> cases{
      {{4, 3, 5}, [](auto& x, auto& w, auto& b) { return F::layer_norm(x, {5}, w, b); }},
      {{4, 6, 5}, [](auto& x, auto& w, auto& b) { return F::group_norm(x.transpose(1, 2), 5, w, b); }},
      {{3, 6, 2, 2}, [](auto& x, auto& w, auto& b) { return F::group_norm(x, 3, w.reshape({6}), b.reshape({6})); }}};
  for (const auto& [shape, f] : cases) {
    const int64_t params = shape.size() == 4 ? 6 : shape[2];
    const Tensor x = testing::grad_input(shape), w = testing::grad_input({params}, 0.5, 1.5),
                 b = testing::grad_input({params});
    const Tensor g = randn(f(x, w, b).sizes(), kFloat64);
    const auto fused = autograd::grad({f(x, w, b)}, {x, w, b}, {g});
    const auto composed = autograd::grad({f(x, w, b)}, {x, w, b}, {g}, std::nullopt, /*create_graph=*/true);
    for (size_t i = 0; i < 3; ++i)
      EXPECT_LT(testing::max_abs_diff(composed[i].detach(), fused[i]), 1e-12) << shape << " input " << i;
  }
}

// y = (x - mean) / sqrt(var + eps) over rows of k values, in double.
std::vector<double> direct_rows(const std::vector<double>& x, int64_t k, double eps = 1e-5) {
  std::vector<double> y(x.size());
  for (size_t r = 0; r < x.size() / static_cast<size_t>(k); ++r) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < k; ++i) mean += x[r * k + i];
    mean /= static_cast<double>(k);
    for (int64_t i = 0; i < k; ++i) var += (x[r * k + i] - mean) * (x[r * k + i] - mean);
    const double rstd = 1.0 / std::sqrt(var / static_cast<double>(k) + eps);
    for (int64_t i = 0; i < k; ++i) y[r * k + i] = (x[r * k + i] - mean) * rstd;
  }
  return y;
}

// Note [Group norm's backward by planes] with more images than one tile of kRowTile (64):
// the fused kernel's gradients against the same norm composed of ops, in float64.
TEST(LayerGroupNorm, ManyImagesMatchTheComposedNorm) {
  manual_seed(13);
  const Tensor x = randn({130, 6, 3, 5}, kFloat64).requires_grad_(true);
  const Tensor w = randn({6}, kFloat64).requires_grad_(true), b = randn({6}, kFloat64).requires_grad_(true);
  const Tensor r = randn({130, 6, 3, 5}, kFloat64);
  const auto grads_of = [&](const Tensor& y) { return autograd::grad({(y * r).sum()}, {x, w, b}); };
  const auto fused = grads_of(F::group_norm(x, 3, w, b, 1e-5));
  const Tensor rows = x.reshape({130, 3, 30});
  const Tensor mean = rows.mean(Dims{2}, true), var = rows.var(Dims{2}, 0.0, true);
  const Tensor composed_y = ((rows - mean) / (var + 1e-5).sqrt()).reshape({130, 6, 3, 5}) * w.reshape({6, 1, 1}) +
                            b.reshape({6, 1, 1});
  const auto composed = grads_of(composed_y);
  for (size_t i = 0; i < 3; ++i) EXPECT_LT(testing::max_abs_diff(fused[i], composed[i]), 1e-10) << i;
}

TEST(LayerGroupNorm, LargeMeanFloat32KeepsItsDigits) {
  // Rows around 1e4 with unit spread: a float32 one-pass E[x²] - E[x]² would lose every digit.
  const Tensor x = (tensor(testing::random_values(16 * 256, 11), {16, 256}) + 1e4).to(kFloat32);
  const std::vector<double> want = direct_rows(x.to_vector<double>(), 256);
  expect_values(F::layer_norm(x, {256}), want, 2e-5);
  expect_values(F::group_norm(x.reshape({16, 8, 32}), 1), want, 2e-5);  // one group: rows of 256
  // Gradients against the same float32 values in float64.
  const Tensor g = tensor(testing::random_values(16 * 256, 12), {16, 256}).to(kFloat32);
  const Tensor x32 = x.detach().requires_grad_(true), x64 = x.to(kFloat64).requires_grad_(true);
  F::layer_norm(x32, {256}).backward(g);
  F::layer_norm(x64, {256}).backward(g.to(kFloat64));
  EXPECT_LT(testing::max_abs_diff(x32.grad().to(kFloat64), x64.grad()), 5e-3);
}

TEST(LayerGroupNorm, NonContiguousInputAndGradient) {
  const Tensor base = randn({4, 6, 5}, kFloat64);
  const Tensor xt = base.transpose(1, 2);  // [4, 5, 6], not contiguous
  ASSERT_FALSE(xt.is_contiguous());
  const Tensor w = randn({6}, kFloat64), b = randn({6}, kFloat64);
  expect_values(F::layer_norm(xt, {6}, w, b), F::layer_norm(xt.contiguous(), {6}, w, b).to_vector<double>(), 1e-12);
  const Tensor xg = base.transpose(0, 2).contiguous().transpose(0, 2);  // [4, 6, 5], strides reversed
  ASSERT_FALSE(xg.is_contiguous());
  expect_values(F::group_norm(xg, 3, w, b), F::group_norm(base, 3, w, b).to_vector<double>(), 1e-12);
  // A non-contiguous incoming gradient (expand of a scalar: sum's backward).
  const Tensor x = xt.detach().requires_grad_(true);
  F::layer_norm(x, {6}, w, b).sum().backward();
  const Tensor x2 = xt.contiguous().requires_grad_(true);
  F::layer_norm(x2, {6}, w, b).backward(ones({4, 5, 6}, kFloat64));
  expect_values(x.grad(), x2.grad().to_vector<double>(), 1e-12);
}

TEST(LayerGroupNorm, ZeroSizeBatch) {
  const Tensor w = testing::grad_input({4}), b = testing::grad_input({4});
  const Tensor x = zeros({0, 4}, kFloat64).requires_grad_(true);
  const Tensor y = F::layer_norm(x, {4}, w, b);
  EXPECT_EQ(y.sizes(), (Dims{0, 4}));
  y.sum().backward();
  EXPECT_EQ(x.grad().sizes(), (Dims{0, 4}));
  expect_values(w.grad(), {0, 0, 0, 0});
  expect_values(b.grad(), {0, 0, 0, 0});
  const Tensor xg = zeros({0, 4, 3}, kFloat64).requires_grad_(true);
  const Tensor yg = F::group_norm(xg, 2, w, b);
  EXPECT_EQ(yg.sizes(), (Dims{0, 4, 3}));
  yg.sum().backward();
  expect_values(w.grad(), {0, 0, 0, 0});
  // Empty rows and no channels (PyTorch returns them too).
  EXPECT_EQ(F::layer_norm(zeros({3, 0}), {0}).sizes(), (Dims{3, 0}));
  EXPECT_EQ(F::group_norm(zeros({2, 0, 3}), 1).sizes(), (Dims{2, 0, 3}));
  EXPECT_EQ(F::group_norm(zeros({2, 4, 0}), 2, ones({4})).sizes(), (Dims{2, 4, 0}));
}

TEST(LayerGroupNorm, BFloat16ComputesInFloat) {
  const Tensor x = (randn({6, 40}) * 3.0 + 100.0).to(kBFloat16);
  const Tensor w = (rand({40}) + 0.5).to(kBFloat16), b = randn({40}).to(kBFloat16);
  const Tensor y = F::layer_norm(x, {40}, w, b);
  EXPECT_EQ(y.dtype(), kBFloat16);
  const Tensor want = F::layer_norm(x.to(kFloat32), {40}, w.to(kFloat32), b.to(kFloat32));
  EXPECT_LT(testing::max_abs_diff(y.to(kFloat32), want), 0.05);
  const Tensor xg = x.detach().requires_grad_(true), xf = x.to(kFloat32).requires_grad_(true);
  const Tensor g = randn({6, 40});
  F::group_norm(xg.reshape({6, 8, 5}), 4).backward(g.reshape({6, 8, 5}).to(kBFloat16));
  F::group_norm(xf.reshape({6, 8, 5}), 4).backward(g.reshape({6, 8, 5}));
  EXPECT_EQ(xg.grad().dtype(), kBFloat16);
  EXPECT_LT(testing::max_abs_diff(xg.grad().to(kFloat32), xf.grad()), 0.05);
}

TEST(LayerGroupNorm, AutocastRunsInFloat32) {
  // As PyTorch's autocast lists: layer_norm and group_norm widen bf16 inputs to float32.
  const Tensor x = randn({4, 6, 5}).to(kBFloat16);
  AutocastGuard autocast(Device::cpu(), kBFloat16);
  EXPECT_EQ(F::layer_norm(x, {5}).dtype(), kFloat32);
  EXPECT_EQ(F::group_norm(x, 3, ones({6})).dtype(), kFloat32);
}

TEST(LayerGroupNorm, ErrorsArePyTorchs) {
  const Tensor x = randn({2, 3, 4});
  EXPECT_EQ(error_of([&] { F::layer_norm(x, {3}); }),
            "Given normalized_shape=[3], expected input with shape [*, 3], but got input of size[2, 3, 4]");
  EXPECT_EQ(error_of([&] { F::layer_norm(x, {5, 4}); }),
            "Given normalized_shape=[5, 4], expected input with shape [*, 5, 4], but got input of size[2, 3, 4]");
  EXPECT_EQ(error_of([&] { F::layer_norm(x, Dims{}); }),
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got "
            "normalized_shape = []");
  EXPECT_EQ(error_of([&] { F::layer_norm(x, {4}, randn({3})); }),
            "Expected weight to be of same shape as normalized_shape, but got weight of shape [3] and "
            "normalized_shape = [4]");
  EXPECT_EQ(error_of([&] { F::layer_norm(x, {4}, Tensor(), randn({3})); }),
            "Expected bias to be of same shape as normalized_shape, but got bias of shape [3] and normalized_shape = [4]");
  const Tensor xg = randn({2, 6, 5});
  EXPECT_EQ(error_of([&] { F::group_norm(xg, 4); }),
            "Expected number of channels in input to be divisible by num_groups, but got input of shape [2, 6, 5] and "
            "num_groups=4");
  EXPECT_EQ(error_of([&] { F::group_norm(xg, 3, randn({5})); }),
            "Expected weight to be a vector of size equal to the number of channels in input, but got weight of shape "
            "[5] and input of shape [2, 6, 5]");
  // PyTorch 1.13 prints the (undefined) weight's shape [0] here; ember names the bias's.
  EXPECT_EQ(error_of([&] { F::group_norm(xg, 3, Tensor(), randn({5})); }),
            "Expected bias to be a vector of size equal to the number of channels in input, but got bias of shape [5] "
            "and input of shape [2, 6, 5]");
  // PyTorch 2.x's phrases (1.13 fails in Python: IndexError, ZeroDivisionError).
  EXPECT_EQ(error_of([&] { F::group_norm(randn({3}), 1); }), "Expected at least 2 dimensions for input tensor but received 1");
  EXPECT_EQ(error_of([&] { F::group_norm(xg, 0); }), "Expected num groups to be greater than 0, got 0");
  EXPECT_EQ(error_of([] { nn::GroupNorm(4, 6); }), "num_channels must be divisible by num_groups");
  EXPECT_EMBER_ERROR(F::layer_norm(zeros({2, 4}, kInt64), {4}), "layer_norm: expected a floating-point input");
  EXPECT_EQ(error_of([&] { nn::GroupNorm(2, 6)(randn({2, 4, 3})); }),
            "Expected weight to be a vector of size equal to the number of channels in input, but got weight of shape "
            "[6] and input of shape [2, 4, 3]");
}

int64_t saved_now() { return autograd::saved_tensor_stats().current_bytes; }

TEST(LayerGroupNorm, SavesXMeanRstdAndWeightOnlyWhenRecording) {
  // float32 x [8, 16] over (16,): x 512 bytes, mean and rstd [8] 32 each, the weight 64
  // (PyTorch 1.13 keeps the bias as well: 64 more, which no formula reads).
  nn::LayerNorm ln(16);
  const Tensor x = randn({8, 16}).requires_grad_(true);
  int64_t before = saved_now();
  Tensor y = ln(x);
  EXPECT_EQ(saved_now() - before, 512 + 32 + 32 + 64);
  y = Tensor();
  // group_norm: x [4, 6, 5] (480 bytes), mean and rstd [4 * 3] (48 each), the weight [6] (24).
  nn::GroupNorm gn(3, 6);
  const Tensor xg = randn({4, 6, 5}).requires_grad_(true);
  before = saved_now();
  Tensor yg = gn(xg);
  EXPECT_EQ(saved_now() - before, 480 + 48 + 48 + 24);
  yg = Tensor();
  {
    NoGradGuard no_grad;
    before = saved_now();
    const Tensor a = ln(x), b = gn(xg);
    EXPECT_EQ(saved_now() - before, 0);
    EXPECT_EQ(a.grad_fn(), nullptr);
    EXPECT_FALSE(b.requires_grad());
  }
  // Without affine and an x that needs no gradient, nothing records at all.
  nn::LayerNorm plain(16, 1e-5, false);
  before = saved_now();
  EXPECT_EQ(plain(x.detach()).grad_fn(), nullptr);
  EXPECT_EQ(saved_now() - before, 0);
}

TEST(LayerGroupNorm, ModulesReprParametersAndNoTrainingDifference) {
  // torch 1.13: repr(nn.LayerNorm(8)), nn.GroupNorm(2, 6), nn.LayerNorm([2, 3], elementwise_affine=False),
  // nn.LayerNorm(8, eps=1e-3), nn.GroupNorm(2, 6, eps=0.1)
  EXPECT_EQ(nn::LayerNorm(8).repr(), "LayerNorm((8,), eps=1e-05, elementwise_affine=True)");
  EXPECT_EQ(nn::GroupNorm(2, 6).repr(), "GroupNorm(2, 6, eps=1e-05, affine=True)");
  EXPECT_EQ(nn::LayerNorm(Dims{2, 3}, 1e-5, false).repr(), "LayerNorm((2, 3), eps=1e-05, elementwise_affine=False)");
  EXPECT_EQ(nn::LayerNorm(8, 1e-3).repr(), "LayerNorm((8,), eps=0.001, elementwise_affine=True)");
  EXPECT_EQ(nn::GroupNorm(2, 6, 0.1).repr(), "GroupNorm(2, 6, eps=0.1, affine=True)");
  nn::LayerNorm ln(Dims{2, 3});
  EXPECT_EQ(ln.weight.sizes(), (Dims{2, 3}));
  expect_values(ln.weight, {1, 1, 1, 1, 1, 1});
  expect_values(ln.bias, {0, 0, 0, 0, 0, 0});
  EXPECT_EQ(ln.parameters().size(), 2u);
  EXPECT_EQ(nn::LayerNorm(8, 1e-5, true, /*bias=*/false).parameters().size(), 1u);  // PyTorch 2.1's bias=False
  EXPECT_EQ(nn::LayerNorm(8, 1e-5, false).parameters().size(), 0u);
  nn::GroupNorm gn(2, 4, 1e-5, false);
  EXPECT_EQ(gn.parameters().size(), 0u);
  // No running statistics: train() and eval() compute the same thing.
  const Tensor x = randn({3, 4, 5});
  nn::GroupNorm g2(2, 4);
  g2.train();
  const Tensor a = g2(x);
  g2.eval();
  expect_values(g2(x), a.to_vector<double>(), 0);
  EXPECT_FALSE(g2.depends_on_training_flag());
}

}  // namespace
}  // namespace ember
