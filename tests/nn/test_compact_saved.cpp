// Compact saved activations (Note [Compact saved activations] in core/bitmask.h): ReLU,
// dropout and max pooling keep bits or window-local indices, and their gradients are
// bit-identical to the uncompressed formulas on the same inputs (odd sizes, NaN, ties,
// float32, float64, bfloat16 and float16, channels-last); what the small CNN saves in train mode.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include <ember/ember.h>

#include "core/bitmask.h"
#include "core/native.h"
#include "nn/pooling.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

// Values with NaNs, signed zeros, infinities and many ties (a small integer range).
Tensor awkward_values(const Dims& shape, DType dtype, uint32_t seed) {
  auto v = testing::random_values(shape_numel(shape), seed);
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = std::round(v[i] * 2.0);  // ties: most values are -3..3
    if (i % 11 == 3) v[i] = nan;
    if (i % 13 == 5) v[i] = -0.0;
    if (i % 17 == 7) v[i] = (i % 2 ? inf : -inf);
  }
  return tensor(v, shape, TensorOptions(kFloat64)).to(dtype);
}

// Bitwise equality of two tensors' values (NaN payloads and signed zeros included).
void expect_bit_identical(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.sizes(), b.sizes());
  ASSERT_EQ(a.dtype(), b.dtype());
  const Tensor ac = a.contiguous(), bc = b.contiguous();
  EXPECT_EQ(std::memcmp(ac.data_ptr(), bc.data_ptr(), static_cast<size_t>(a.numel()) * itemsize(a.dtype())), 0);
}

int64_t saved_now() { return autograd::saved_tensor_stats().current_bytes; }

class CompactSaved : public ::testing::TestWithParam<DType> {};

TEST_P(CompactSaved, ReluKeepsBitsAndItsGradientIsThresholdBackward) {
  for (const Dims& shape : {Dims{3, 5, 7}, Dims{1}, Dims{9}, Dims{2, 3, 5, 4}}) {
    const Tensor x = awkward_values(shape, GetParam(), 1).requires_grad_(true);
    const Tensor g = awkward_values(shape, GetParam(), 2);
    const int64_t before = saved_now();
    Tensor y = relu(x);
    EXPECT_EQ(saved_now() - before, bitmask_bytes(x.numel())) << "one bit per element, not the output";
    y.backward(g);
    expect_bit_identical(y, native::relu(x.detach()));
    expect_bit_identical(x.grad(), native::relu_grad(g, native::relu(x.detach())));
  }
}

TEST_P(CompactSaved, LeakyReluKeepsBitsAndItsGradientIsTheInputKeepingFormulas) {
  for (const double slope : {0.01, 0.2, 0.0}) {
    // {3, 7, 61}: several of the 16-bit backward's 512-value blocks and a partial last byte.
    for (const Dims& shape : {Dims{3, 5, 7}, Dims{1}, Dims{9}, Dims{2, 3, 5, 4}, Dims{3, 7, 61}}) {
      const Tensor x = awkward_values(shape, GetParam(), 3).requires_grad_(true);
      const Tensor g = awkward_values(shape, GetParam(), 4);
      const int64_t before = saved_now();
      Tensor y = F::leaky_relu(x, slope);
      EXPECT_EQ(saved_now() - before, bitmask_bytes(x.numel())) << "one bit per element, not the input";
      y.backward(g);
      expect_bit_identical(y, native::leaky_relu(x.detach(), slope));
      expect_bit_identical(x.grad(), native::leaky_relu_grad(g, x.detach(), slope));
    }
  }
  // Channels-last: the bits follow x's layout, the gradient comes back in it.
  const Tensor x = awkward_values({2, 3, 5, 3}, GetParam(), 5).contiguous(MemoryFormat::ChannelsLast).requires_grad_(true);
  const Tensor g = awkward_values({2, 3, 5, 3}, GetParam(), 6);
  F::leaky_relu(x, 0.1).backward(g);
  expect_bit_identical(x.grad(), native::leaky_relu_grad(g, x.detach(), 0.1));
}

TEST_P(CompactSaved, InPlaceReluAndChannelsLast) {
  const Dims shape{2, 3, 5, 3};
  const Tensor x = awkward_values(shape, GetParam(), 3).requires_grad_(true);
  const Tensor g = awkward_values(shape, GetParam(), 4);
  Tensor y = mul(x.contiguous(MemoryFormat::ChannelsLast), 1.0);  // non-leaf, NHWC
  ASSERT_TRUE(y.is_contiguous(MemoryFormat::ChannelsLast));
  y.relu_();
  y.backward(g);
  const Tensor expected = native::relu_grad(g, native::relu(x.detach()));
  expect_bit_identical(x.grad(), expected);

  const Tensor x2 = x.detach().clone().requires_grad_(true);
  Tensor y2 = relu(x2.contiguous(MemoryFormat::ChannelsLast));
  EXPECT_TRUE(y2.is_contiguous(MemoryFormat::ChannelsLast));
  y2.backward(g.contiguous(MemoryFormat::ChannelsLast));
  expect_bit_identical(x2.grad(), expected);
}

TEST_P(CompactSaved, ReluOfAStridedViewAndABroadcastGradient) {
  const Tensor x = awkward_values({6, 7}, GetParam(), 5).requires_grad_(true);
  Tensor y = relu(x.transpose(0, 1));
  y.sum().backward();  // the gradient reaching ReluBackward is an expanded scalar
  const Tensor ones = ember::ones({6, 7}, TensorOptions(GetParam()));
  expect_bit_identical(x.grad(), native::relu_grad(ones, native::relu(x.detach())));
}

// The uncompressed dropout: the same uniform draws made into 1 / (1 - p) or 0 masks.
template <typename T>
Tensor reference_dropout_mask(const Dims& mask_shape, double p, uint64_t seed) {
  manual_seed(seed);
  Tensor u = rand(mask_shape, TensorOptions(dtype_of_v<T>));
  auto v = u.to_vector<T>();
  const T threshold = static_cast<T>(p), scale = T(1) / static_cast<T>(1.0 - p);
  for (T& e : v) e = static_cast<T>(e >= threshold) * scale;
  return tensor(v, mask_shape, TensorOptions(dtype_of_v<T>));
}

template <typename T>
void check_dropout(bool channels) {
  const Dims shape{3, 5, 7, 3};
  const double p = 0.3;
  const Dims mask_shape = channels ? Dims{3, 5, 1, 1} : shape;
  const Tensor x = awkward_values(shape, dtype_of_v<T>, 6).requires_grad_(true);
  const Tensor g = awkward_values(shape, dtype_of_v<T>, 7);
  manual_seed(123);
  const int64_t before = saved_now();
  Tensor y = channels ? F::dropout2d(x, p, true) : F::dropout(x, p, true);
  EXPECT_EQ(saved_now() - before, bitmask_bytes(shape_numel(mask_shape)));
  y.backward(g);
  const Tensor mask = reference_dropout_mask<T>(mask_shape, p, 123).expand(shape);
  expect_bit_identical(y, native::mul(x.detach(), mask));
  expect_bit_identical(x.grad(), native::mul(g, mask));
}

TEST_P(CompactSaved, DropoutKeepsBitsAndItsGradientIsTheScaledMask) {
  if (is_reduced_float(GetParam())) GTEST_SKIP() << "16-bit dropout is tests/nn/test_bfloat16_layers.cpp's";
  if (GetParam() == kFloat32) {
    check_dropout<float>(false);
    check_dropout<float>(true);
  } else {
    check_dropout<double>(false);
    check_dropout<double>(true);
  }
}

// The uncompressed max-pool backward: flat argmax indices by window_max, gradients
// scattered in output order.
Tensor reference_max_pool_grad(const Tensor& x, const Tensor& g, const PoolGeometry& geo) {
  auto xv = x.to_vector<double>();
  auto gv = g.to_vector<double>();
  std::vector<double> gx(xv.size(), 0.0);
  for (int64_t p = 0; p < geo.planes; ++p)
    for (int64_t oh = 0; oh < geo.OH; ++oh)
      for (int64_t ow = 0; ow < geo.OW; ++ow) {
        int64_t arg;
        window_max(xv.data() + p * geo.H * geo.W, geo.W, pool_window(geo, oh, ow),
                   -std::numeric_limits<double>::infinity(), arg);
        gx[static_cast<size_t>(p * geo.H * geo.W + arg)] += gv[static_cast<size_t>((p * geo.OH + oh) * geo.OW + ow)];
      }
  return tensor(gx, x.sizes(), TensorOptions(kFloat64)).to(x.dtype());
}

struct PoolCase {
  int64_t H, W, k, s, pad;
};

TEST_P(CompactSaved, MaxPoolKeepsWindowIndicesAndRoutesGradientsAsBefore) {
  for (const PoolCase c : {PoolCase{28, 28, 2, 2, 0}, PoolCase{7, 9, 2, 2, 0}, PoolCase{9, 7, 3, 2, 1},
                           PoolCase{5, 6, 3, 1, 1}, PoolCase{11, 10, 4, 3, 2}}) {
    const Dims shape{2, 3, c.H, c.W};
    const Tensor x = awkward_values(shape, GetParam(), 8).requires_grad_(true);
    const int64_t before = saved_now();
    Tensor y = F::max_pool2d(x, c.k, c.s, c.pad);
    EXPECT_EQ(saved_now() - before, y.numel()) << "one uint8 per output; the input is not kept";
    const Tensor g = awkward_values(y.sizes(), GetParam(), 9);
    y.backward(g);
    PoolGeometry geo{};
    geo.planes = 6, geo.H = c.H, geo.W = c.W, geo.OH = y.size(2), geo.OW = y.size(3);
    geo.KH = geo.KW = c.k, geo.SH = geo.SW = c.s, geo.PH = geo.PW = c.pad;
    expect_bit_identical(x.grad(), reference_max_pool_grad(x.detach(), g, geo));
  }
}

TEST_P(CompactSaved, WideMaxPoolWindowsKeepInt64Indices) {
  const Tensor x = awkward_values({1, 2, 17, 17}, GetParam(), 10).requires_grad_(true);
  const int64_t before = saved_now();
  Tensor y = F::max_pool2d(x, 17, 1, 0);  // 289 positions: more than a uint8 holds
  EXPECT_EQ(saved_now() - before, y.numel() * 8);
  const Tensor g = awkward_values(y.sizes(), GetParam(), 11);
  y.backward(g);
  PoolGeometry geo{};
  geo.planes = 2, geo.H = geo.W = 17, geo.OH = geo.OW = 1, geo.KH = geo.KW = 17, geo.SH = geo.SW = 1;
  expect_bit_identical(x.grad(), reference_max_pool_grad(x.detach(), g, geo));
}

// bfloat16 and float16 masks come from the values' bits (Note [16-bit masks from bits] in
// core/cpu/bitmask_simd.h); they must equal the per-element formulas' too.
INSTANTIATE_TEST_SUITE_P(Dtypes, CompactSaved, ::testing::Values(kFloat32, kFloat64, kBFloat16, kFloat16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(CompactSavedGradcheck, ReluDropoutMaxPool) {
  manual_seed(0);
  const Tensor x = testing::grad_input({2, 2, 5, 5});
  testing::expect_gradcheck([](const std::vector<Tensor>& in) { return F::max_pool2d(relu(in[0]), 2).sum(); }, {x});
  testing::expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        manual_seed(7);  // the same mask on every evaluation
        return mul(F::dropout(in[0], 0.4, true), in[0]).sum();
      },
      {x});
}

// The small CNN of `ember train`/`ember mem` in train mode at batch 256 saves at most
// half of the 112,066,560 bytes PyTorch keeps for it (bench/pytorch_mem.py).
TEST(CompactSavedSmallCnn, TrainModeSavesAtMostHalfOfPyTorch) {
  manual_seed(0);
  auto net = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv2d>(1, 32, 3, nn::Conv2dOptions{.stride = 1, .padding = 1}),
      std::make_shared<nn::BatchNorm2d>(32), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Conv2d>(32, 64, 3, nn::Conv2dOptions{.stride = 1, .padding = 1}),
      std::make_shared<nn::BatchNorm2d>(64), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Dropout>(0.25),
      std::make_shared<nn::Linear>(64 * 7 * 7, 128), std::make_shared<nn::ReLU>(), std::make_shared<nn::Dropout>(0.5),
      std::make_shared<nn::Linear>(128, 10)});
  const Tensor x = randn({256, 1, 28, 28});
  const int64_t before = saved_now();
  Tensor loss = F::cross_entropy((*net)(x), randint(0, 10, {256}, TensorOptions(kInt64)));
  const int64_t saved = saved_now() - before;
  EXPECT_LE(saved, 112066560 / 2);
  EXPECT_GT(saved, 112066560 / 4);  // BatchNorm's and the convolutions' inputs are still kept
  loss.backward();
  EXPECT_EQ(saved_now(), before);
}

// Note [In-place activations while recording] (nn/activation.cpp): inside a Sequential a
// ReLU overwrites batch norm's (or a linear layer's) output, which nothing saved, with the
// recorded relu_: the loss, every gradient and the saved bytes are those of the
// module-by-module run, with one activation fewer at the forward's peak.
struct StepResult {
  Tensor loss;
  std::vector<Tensor> grads;
  int64_t forward_peak = 0, saved = 0;
};

StepResult train_step(const std::shared_ptr<nn::Sequential>& net, const Tensor& x, bool module_by_module) {
  net->zero_grad(true);
  memory::reset_peak(Device::cpu());
  const int64_t base = memory::allocated(Device::cpu()), saved_base = saved_now();
  Tensor h = x;
  if (module_by_module) {
    for (size_t i = 0; i < net->size(); ++i) h = (*(*net)[i])(h);  // each module's result stays held: out of place
  } else {
    h = (*net)(x);
  }
  StepResult r;
  r.forward_peak = memory::max_allocated(Device::cpu()) - base;
  r.saved = saved_now() - saved_base;
  r.loss = F::cross_entropy(h, tensor(std::vector<int64_t>{1, 0, 2, 2, 1, 0}, {6}));
  h = Tensor();
  r.loss.backward();
  for (const Tensor& p : net->parameters()) r.grads.push_back(p.grad());
  return r;
}

TEST(InPlaceActivations, ReluInASequentialOverwritesWhatNothingSaved) {
  manual_seed(3);
  auto net = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      // A 1x1 convolution (no im2col buffer), so the forward's peak is at the ReLU.
      std::make_shared<nn::Conv2d>(2, 16, 1), std::make_shared<nn::BatchNorm2d>(16), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::MaxPool2d>(2), std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(16 * 16 * 16, 5), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(5, 3)});
  const Tensor x = randn({6, 2, 32, 32});
  for (const bool channels_last : {false, true}) {
    const Tensor input = channels_last ? x.contiguous(MemoryFormat::ChannelsLast) : x;
    const StepResult separate = train_step(net, input, true), fused = train_step(net, input, false);
    expect_bit_identical(fused.loss, separate.loss);
    ASSERT_EQ(fused.grads.size(), separate.grads.size());
    for (size_t i = 0; i < fused.grads.size(); ++i) expect_bit_identical(fused.grads[i], separate.grads[i]);
    EXPECT_EQ(fused.saved, separate.saved);
    // The batch norm output, 6 x 16 x 32 x 32 floats, is not held beside the ReLU's (the
    // peak moves to the pooling, whose output is a quarter of that). Channels-last on the
    // CPU peaks in the layers' NCHW copies instead (Note [Channels-last layers]).
    const int64_t activation = 6 * 16 * 32 * 32 * 4;
    EXPECT_LE(fused.forward_peak, separate.forward_peak - (channels_last ? 0 : activation / 2)) << channels_last;
  }
}

TEST(InPlaceActivations, AnOutputItsProducerSavedIsNotOverwritten) {
  // Sigmoid saves its output for backward: the ReLU after it must not write into it.
  manual_seed(4);
  auto net = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(4, 6), std::make_shared<nn::Sigmoid>(), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(6, 3)});
  const Tensor x = randn({6, 4});
  const StepResult separate = train_step(net, x, true), fused = train_step(net, x, false);
  expect_bit_identical(fused.loss, separate.loss);
  for (size_t i = 0; i < fused.grads.size(); ++i) expect_bit_identical(fused.grads[i], separate.grads[i]);
}

// Note [Gradients overwritten in backward] (core/native.h): ReLU's and batch norm's
// backward write into the gradient they received when nothing else holds it. The
// gradients are those of a run where every intermediate gradient is retained (and so
// never overwritten), the retained ones are intact, and backward's peak is lower.
struct BackwardRun {
  std::vector<Tensor> grads;  // conv weight, conv bias, batch norm weight and bias
  Tensor relu_grad, bn_grad;  // the retained ones (retain = true)
  int64_t backward_peak = 0;
};

BackwardRun conv_bn_relu_backward(const Tensor& x, const Tensor& c, bool retain, MemoryFormat format) {
  manual_seed(12);
  nn::Conv2d conv(3, 16, 1);
  nn::BatchNorm2d bn(16);
  if (format == MemoryFormat::ChannelsLast) conv.to(format);
  const Tensor bn_out = bn(conv(x.contiguous(format)));
  const Tensor y = F::relu(bn_out);
  if (retain) {
    bn_out.retain_grad();
    y.retain_grad();
  }
  const Tensor loss = (y * c).sum();
  memory::reset_peak(Device::cpu());
  const int64_t base = memory::allocated(Device::cpu());
  loss.backward();
  BackwardRun r;
  r.backward_peak = memory::max_allocated(Device::cpu()) - base;
  r.grads = {conv.weight.grad(), conv.bias.grad(), bn.weight.grad(), bn.bias.grad()};
  if (retain) r.relu_grad = y.grad(), r.bn_grad = bn_out.grad();
  return r;
}

TEST(GradientsOverwrittenInBackward, ReluAndBatchNormGiveTheRetainedRunsGradients) {
  manual_seed(5);
  const Tensor x = randn({4, 3, 24, 24}), c = randn({4, 16, 24, 24});
  for (const MemoryFormat format : {MemoryFormat::Contiguous, MemoryFormat::ChannelsLast}) {
    const BackwardRun in_place = conv_bn_relu_backward(x, c, false, format);
    const BackwardRun retained = conv_bn_relu_backward(x, c, true, format);
    for (size_t i = 0; i < in_place.grads.size(); ++i) expect_bit_identical(in_place.grads[i], retained.grads[i]);
    // The retained gradients were not overwritten by the backward that came after them.
    expect_bit_identical(retained.relu_grad, c);
    // (ReLU's backward result, c or 0 everywhere; batch norm's in-place backward would have left other values.)
    EXPECT_TRUE(equal(retained.bn_grad, c * native::to_dtype(native::ne(retained.bn_grad, 0.0), kFloat32)));
    if (format == MemoryFormat::Contiguous) {
      // Two activation-sized gradients (ReLU's and batch norm's input gradients) not allocated.
      EXPECT_LE(in_place.backward_peak, retained.backward_peak - 4 * 16 * 24 * 24 * 4);
    }
  }
}

TEST(GradientsOverwrittenInBackward, AGradientPassedToBackwardIsNotOverwritten) {
  manual_seed(6);
  const Tensor w = randn({5, 7}).requires_grad_(true);
  const Tensor y = F::relu(matmul(randn({3, 5}), w));
  const Tensor g = randn({3, 7}), g_copy = g.clone();
  y.backward(g);
  expect_bit_identical(g, g_copy);
}

}  // namespace
}  // namespace ember
