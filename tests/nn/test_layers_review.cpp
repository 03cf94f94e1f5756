// What reviews of PyTorch's nn.init / nn.utils, AMP, RNN and attention documentation found:
// reset_parameters() on the layers (and through Module::apply), fusion that leaves the
// default generator alone, BCE under CPU autocast, explicit softmax dtypes under autocast,
// PyTorch's per-device autocast dtype defaults, and the layers' messages.
#include <cmath>
#include <memory>
#include <sstream>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::expect_values;

Tensor f64(const std::vector<double>& v, const Dims& shape) { return tensor(v, shape, dtype(kFloat64)); }

// Every element within the constructor's bound and some near it (the layers below have 48
// or more elements, seeded), and the draws new ones.
void expect_redrawn(const Tensor& before, const Tensor& after, double bound) {
  ASSERT_EQ(before.sizes(), after.sizes());
  EXPECT_FALSE(before.equal(after));
  EXPECT_LE(after.abs().max().item<double>(), bound);
  EXPECT_GT(after.abs().max().item<double>(), 0.8 * bound);
}

TEST(ResetParameters, LayersDrawAgainInPlace) {
  manual_seed(1);
  nn::Linear linear(16, 4);
  const Tensor w = linear.weight.clone(), b = linear.bias.clone();
  const TensorImpl* identity = &linear.weight.impl();
  linear.reset_parameters();
  EXPECT_EQ(&linear.weight.impl(), identity);  // in place: an optimizer keeps training it
  EXPECT_TRUE(linear.weight.requires_grad());
  expect_redrawn(w, linear.weight, 0.25);
  EXPECT_FALSE(b.equal(linear.bias));
  EXPECT_LE(linear.bias.abs().max().item<double>(), 0.25);

  nn::Conv2d conv(2, 3, 3, nn::Conv2dOptions{.groups = 1});  // fan_in 2 * 9
  const Tensor cw = conv.weight.clone();
  conv.reset_parameters();
  expect_redrawn(cw, conv.weight, 1.0 / std::sqrt(18.0));

  nn::ConvTranspose2d deconv(4, 6, 2, nn::ConvTranspose2dOptions{.groups = 2});  // fan_in (6 / 2) * 4
  const Tensor dw = deconv.weight.clone();
  deconv.reset_parameters();
  expect_redrawn(dw, deconv.weight, 1.0 / std::sqrt(12.0));
  // fan_in (6 / 2) * 4 = 12, bound 0.289: a seeded draw of 48 weights passes the 0.25 of the
  // weight's dim 0 (4 * 4 = 16), which a conv's formula would use
  EXPECT_GT(deconv.weight.abs().max().item<double>(), 0.25);

  nn::LSTM lstm(3, 25, nn::LSTMOptions{.num_layers = 2});
  const Tensor hh = lstm.named_parameters()[5].second.clone();
  lstm.reset_parameters();
  expect_redrawn(hh, lstm.named_parameters()[5].second, 0.2);
  nn::GRUCell cell(3, 100);
  const Tensor cell_w = cell.weight_ih.clone();
  cell.reset_parameters();
  expect_redrawn(cell_w, cell.weight_ih, 0.1);

  nn::PReLU prelu(3, 0.1);
  {
    const NoGradGuard no_grad;
    prelu.weight.fill_(2.0);
  }
  prelu.reset_parameters();
  expect_values(prelu.weight, {0.1, 0.1, 0.1}, 1e-7);
}

// A lazy layer, once sized, redraws through its regular module, in place.
TEST(ResetParameters, LazyLayersOnceInitialized) {
  manual_seed(5);
  nn::LazyLinear lazy(8);
  lazy.reset_parameters();  // before the first forward: nothing to draw
  (void)lazy(randn({2, 16}));
  const Tensor before = lazy.named_parameters()[0].second.clone();
  const TensorImpl* identity = &lazy.named_parameters()[0].second.impl();
  lazy.reset_parameters();
  EXPECT_EQ(&lazy.named_parameters()[0].second.impl(), identity);
  expect_redrawn(before, lazy.named_parameters()[0].second, 0.25);
}

// Module::apply re-initialises a whole model; modules without a reset do nothing.
TEST(ResetParameters, ApplyReachesEveryLayer) {
  manual_seed(2);
  auto net = std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(4, 8), std::make_shared<nn::ReLU>(),
                                              std::make_shared<nn::Linear>(8, 2));
  const auto before = net->parameters();
  std::vector<Tensor> copies;
  for (const Tensor& p : before) copies.push_back(p.clone());
  net->apply([](nn::Module& m) { m.reset_parameters(); });
  const auto after = net->parameters();
  for (size_t i = 0; i < after.size(); ++i) EXPECT_FALSE(after[i].equal(copies[i])) << "parameter " << i;
}

// PyTorch's fusion deep-copies the layer and draws nothing: the stream after it is as before.
TEST(FusionDrawsNothing, TheDefaultStreamIsUntouched) {
  auto conv = std::make_shared<nn::Conv2d>(3, 4, 3);
  auto bn = std::make_shared<nn::BatchNorm2d>(4);
  conv->eval();
  bn->eval();
  auto linear = std::make_shared<nn::Linear>(5, 4);
  auto bn1 = std::make_shared<nn::BatchNorm1d>(4);
  linear->eval();
  bn1->eval();
  manual_seed(9);
  const Tensor expected = rand({4});
  manual_seed(9);
  (void)nn::utils::fuse_conv_bn_eval(*conv, *bn);
  (void)nn::utils::fuse_linear_bn_eval(*linear, *bn1);
  EXPECT_TRUE(rand({4}).equal(expected));
}

// torch.nn.utils.skip_init: the layer's parameters are made without a draw.
TEST(SkipInit, DrawsNothing) {
  manual_seed(3);
  const Tensor expected = rand({3});
  manual_seed(3);
  const auto linear = nn::utils::skip_init<nn::Linear>(4, 2);
  EXPECT_EQ(linear->weight.sizes(), Dims({2, 4}));
  EXPECT_TRUE(linear->weight.requires_grad());
  Tensor w = linear->weight;
  nn::init::xavier_uniform_(w);  // outside the guard: drawn as usual
  EXPECT_FALSE(rand({3}).equal(expected));
  manual_seed(3);
  {
    const nn::init::SkipInitGuard skip;
    nn::init::kaiming_uniform_(w);  // inside: left as it is, nothing drawn
    (void)std::make_shared<nn::Conv2d>(2, 2, 3);
  }
  EXPECT_TRUE(rand({3}).equal(expected));
  EXPECT_FALSE(nn::init::detail::skipping_init());
  manual_seed(3);
  const auto embedding = nn::utils::skip_init<nn::Embedding>(10, 4);
  EXPECT_EQ(embedding->weight.sizes(), Dims({10, 4}));
  EXPECT_TRUE(rand({3}).equal(expected));
}

// PyTorch bans binary_cross_entropy from CUDA autocast only; under CPU autocast it runs in
// float32 (the 16-bit input is widened).
TEST(AutocastReview, BceRunsInFloat32OnTheCpu) {
  const Tensor p = tensor({0.25f, 0.75f}, dtype(kFloat32)).to(kBFloat16);
  const Tensor y = tensor({0.0f, 1.0f}, dtype(kFloat32));
  const AutocastGuard guard(Device::cpu(), kBFloat16);
  const Tensor loss = F::binary_cross_entropy(p, y);
  EXPECT_EQ(loss.dtype(), kFloat32);
  expect_values(loss, {-std::log(0.75)}, 1e-6);
  EXPECT_EQ(nn::BCELoss()(p, y).dtype(), kFloat32);
}

// An explicit dtype is kept under autocast (PyTorch's fp32_set_opt_dtype); without one the
// ops run in float32.
TEST(AutocastReview, ExplicitSoftmaxDtypeIsKept) {
  const Tensor x = tensor({1.0f, 2.0f, 3.0f}, dtype(kFloat32));
  const AutocastGuard guard(Device::cpu(), kBFloat16);
  EXPECT_EQ(F::softmax(x, 0, kBFloat16).dtype(), kBFloat16);
  EXPECT_EQ(F::log_softmax(x, 0, kBFloat16).dtype(), kBFloat16);
  EXPECT_EQ(F::softmin(x, 0, kBFloat16).dtype(), kBFloat16);
  EXPECT_EQ(F::softmax(x.to(kBFloat16), 0).dtype(), kFloat32);
  expect_values(F::softmin(x, 0, kFloat64), {0.6652409557748219, 0.24472847105479764, 0.09003057317038046}, 1e-15);
}

// PyTorch: "User provided device_type of 'cuda', but CUDA is not available. Disabling".
TEST(AutocastReview, CudaGuardWithoutCudaIsDisabled) {
  if (cuda::is_available()) GTEST_SKIP() << "a CUDA device is present";
  const AutocastGuard guard(Device::cuda(0), kFloat16);
  EXPECT_FALSE(autocast::is_enabled(DeviceType::CUDA));
}

// index_copy is on PyTorch's CPU promote list.
TEST(AutocastReview, IndexCopyPromotesOnTheCpu) {
  const Tensor self = zeros({3, 2}, dtype(kBFloat16));
  const Tensor source = ones({1, 2}, dtype(kFloat32));
  const AutocastGuard guard(Device::cpu(), kBFloat16);
  const Tensor out = self.index_copy(0, tensor(std::vector<int64_t>{1}, dtype(kInt64)), source);
  EXPECT_EQ(out.dtype(), kFloat32);
  expect_values(out, {0, 0, 1, 1, 0, 0}, 0);
}

// torch.autocast(cache_enabled=False) and torch.clear_autocast_cache.
TEST(AutocastReview, CacheEnabledAndClear) {
  const Tensor w = ones({2, 2}).requires_grad_(true);  // a float32 leaf: a parameter
  const AutocastGuard guard(Device::cpu(), kBFloat16);
  EXPECT_TRUE(autocast::is_cache_enabled());
  (void)matmul(w, w);
  EXPECT_EQ(autocast::cached_casts(), 1u);
  autocast::clear_cache();
  EXPECT_EQ(autocast::cached_casts(), 0u);
  {
    const AutocastGuard uncached(Device::cpu(), kBFloat16, true, /*cache_enabled=*/false);
    EXPECT_FALSE(autocast::is_cache_enabled());
    EXPECT_EQ(matmul(w, w).dtype(), kBFloat16);
    EXPECT_EQ(autocast::cached_casts(), 0u);
  }
  EXPECT_TRUE(autocast::is_cache_enabled());
}

TEST(AutocastReview, PyTorchsDefaultDtypePerDeviceType) {
  EXPECT_EQ(autocast::get_dtype(DeviceType::CPU), kBFloat16);
  EXPECT_EQ(autocast::get_dtype(DeviceType::CUDA), kFloat16);
}

// A subclass of the layer would be copied as the base class: refused, not silently changed.
struct ScaledEncoderLayer : nn::TransformerEncoderLayer {
  ScaledEncoderLayer() : nn::TransformerEncoderLayer(8, 2) {}
  Tensor forward(const Tensor& x) override { return x * 0.0; }
};
TEST(TransformerReview, SubclassedLayersAreRefused) {
  ScaledEncoderLayer layer;
  EXPECT_EMBER_ERROR(nn::TransformerEncoder(layer, 2), "a subclass of the layer");
  nn::TransformerEncoderLayer plain(8, 2);
  EXPECT_EQ(nn::TransformerEncoder(plain, 2).layers->size(), 2u);
}

// The layers and stacks name their own arguments in mask-type errors, as PyTorch's.
TEST(TransformerReview, MaskTypeErrorsNameTheCallersArgument) {
  nn::TransformerEncoderLayer layer(8, 2);
  const Tensor src = randn({3, 2, 8});
  EXPECT_EMBER_ERROR(layer(src, Tensor(), zeros({2, 3}, dtype(kInt64))),
                     "only bool and floating types of src_key_padding_mask are supported");
  EXPECT_EMBER_ERROR(layer(src, zeros({3, 3}, dtype(kInt64))),
                     "only bool and floating types of src_mask are supported");
  nn::TransformerEncoder encoder(layer, 1);
  EXPECT_EMBER_ERROR(encoder(src, zeros({3, 3}, dtype(kInt64))), "only bool and floating types of mask are supported");
  nn::MultiheadAttention mha(8, 2);
  EXPECT_EMBER_ERROR(mha(src, src, src, {.key_padding_mask = zeros({2, 3}, dtype(kInt64))}),
                     "only bool and floating types of key_padding_mask are supported");
}

// PyTorch's _in_projection: each separate projection weight against its input's width.
TEST(AttentionReview, SeparateProjectionWidthMessage) {
  nn::MultiheadAttention mha(8, 2, {.kdim = 5, .vdim = 6});
  const Tensor q = randn({4, 2, 8}), k = randn({3, 2, 6}), v = randn({3, 2, 6});
  EXPECT_EMBER_ERROR(mha.forward(q, k, v), "expecting key weights shape of (8, 6), but got torch.Size([8, 5])");
  EXPECT_EQ(std::get<0>(mha.forward(q, randn({3, 2, 5}), v)).sizes(), Dims({4, 2, 8}));
}

TEST(RnnReview, PyTorchsMessages) {
  nn::RNN rnn(4, 3);
  EXPECT_EMBER_ERROR(rnn(randn({2, 7, 2, 4})), "RNN: Expected input to be 2D or 3D, got 4D tensor instead");
  nn::GRU gru(4, 3);
  EXPECT_EMBER_ERROR(gru(randn({2, 7, 2, 4})), "GRU: Expected input to be 2D or 3D, got 4D instead");
  EXPECT_EMBER_ERROR(nn::RNN(4, 3, nn::RNNOptions{.nonlinearity = "sigmoid"}),
                     "Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'.");
  EXPECT_EMBER_ERROR(nn::utils::rnn::pack_padded_sequence(randn({3, 2, 4}), zeros({2, 1}, dtype(kInt64))),
                     "'lengths' argument should be a 1D CPU int64 tensor, but got 2D cpu Long tensor");
}

// torch.func.functional_call: the given tensors for one call, the module's own back after.
TEST(FunctionalCall, ReplacesForOneCall) {
  manual_seed(4);
  nn::Linear linear(2, 1);
  linear.to(kFloat64);
  const Tensor own_weight = linear.weight;
  const Tensor w = f64({1.0, 2.0}, {1, 2}).requires_grad_(true);
  const Tensor b = f64({0.5}, {1});
  const Tensor x = f64({3.0, 4.0}, {1, 2});
  const Tensor y = nn::utils::functional_call(linear, {{"weight", w}, {"bias", b}}, x);
  expect_values(y, {11.5}, 0);
  EXPECT_TRUE(linear.weight.is_same(own_weight));  // put back
  y.sum().backward();
  expect_values(w.grad(), {3, 4}, 0);
  // Not strict: a partial dict keeps the rest, an unknown name is ignored; strict refuses both.
  const Tensor only_bias = nn::utils::functional_call(linear, {{"bias", b}, {"nothing", b}}, x);
  expect_values(only_bias, {(linear.weight * x).sum().item<double>() + 0.5}, 1e-12);
  EXPECT_EMBER_ERROR(
      nn::utils::functional_call(linear, {{"weight", w}, {"nothing", b}}, x, true, true),
      "Error(s) in reparametrizing for Linear:\n\tUnexpected key(s): 'nothing'.\n\tMissing key(s): 'bias'.");
}

// A tensor two modules share is tied: one given value reaches both names (tie_weights).
TEST(FunctionalCall, TiedWeights) {
  auto first = std::make_shared<nn::Linear>(2, 2, false);
  auto second = std::make_shared<nn::Linear>(2, 2, false);
  first->to(kFloat64);
  second->weight = first->weight;  // PyTorch's weight tying: one tensor, two names
  nn::Sequential seq(first, second);
  const Tensor twice = eye(2, dtype(kFloat64)) * 2.0;
  const Tensor x = f64({1.0, 3.0}, {1, 2});
  expect_values(nn::utils::functional_call(seq, {{"0.weight", twice}}, x), {4, 12}, 0);
  const Tensor untied = nn::utils::functional_call(seq, {{"0.weight", twice}}, x, /*tie_weights=*/false);
  expect_values(untied, matmul(x * 2.0, first->weight.t()).to_vector<double>(), 1e-12);
  EXPECT_EMBER_ERROR(nn::utils::functional_call(seq, {{"0.weight", twice}, {"1.weight", twice * 3.0}}, x),
                     "functional_call got multiple values for keys ['0.weight', '1.weight'], which are tied. Consider "
                     "using tie_weights=False");
  // strict counts the tied names a given one covers, as PyTorch expands before its check
  expect_values(nn::utils::functional_call(seq, {{"0.weight", twice}}, x, true, /*strict=*/true), {4, 12}, 0);
  EXPECT_EMBER_ERROR(nn::utils::functional_call(seq, {{"0.weight", twice}}, x, /*tie_weights=*/false, true),
                     "Missing key(s): '1.weight'.");
  // a path through a module the model lacks is an error even when not strict
  EXPECT_THROW(nn::utils::functional_call(seq, {{"5.weight", twice}}, x), Error);
  EXPECT_TRUE(second->weight.is_same(first->weight));  // both put back
}

// PyTorch's Module.set_submodule(target, module, strict).
TEST(SetSubmodule, ReplacesAddsAndRefuses) {
  auto net = std::make_shared<nn::Sequential>(std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(2, 2)),
                                              std::make_shared<nn::ReLU>());
  net->set_submodule("0.0", std::make_shared<nn::Linear>(2, 3));
  EXPECT_EQ(net->get_submodule("0.0")->as<nn::Linear>()->out_features, 3);
  EXPECT_EQ(net->named_parameters()[0].second.sizes(), Dims({3, 2}));
  net->set_submodule("1", std::make_shared<nn::Tanh>());
  EXPECT_NE(net->get_submodule("1")->as<nn::Tanh>(), nullptr);
  net->set_submodule("0.1", std::make_shared<nn::ReLU>());  // not strict: added
  EXPECT_NE(net->get_submodule("0.1")->as<nn::ReLU>(), nullptr);
  EXPECT_EMBER_ERROR(net->set_submodule("0.5", std::make_shared<nn::ReLU>(), /*strict=*/true),
                     "Sequential has no attribute `5`");
  EXPECT_EMBER_ERROR(net->set_submodule("", std::make_shared<nn::ReLU>()),
                     "Cannot set the submodule without a target name!");
  EXPECT_EMBER_ERROR(net->set_submodule("7.0", std::make_shared<nn::ReLU>()), "has no attribute `7`");
  EXPECT_EMBER_ERROR(net->set_submodule("0.0.weight", std::make_shared<nn::ReLU>()), "`weight` is not an nn.Module");
}

TEST(PackedSequenceReview, PrintsAndMoves) {
  using nn::utils::rnn::pack_sequence;
  const auto packed = pack_sequence({f64({1, 2, 3}, {3}), f64({4, 5}, {2})});
  std::ostringstream os;
  os << packed;
  EXPECT_EQ(os.str().rfind("PackedSequence(data=tensor([1., 4., 2., 5., 3.], dtype=torch.float64), "
                           "batch_sizes=tensor([2, 2, 1]), sorted_indices=",
                           0),
            0u)
      << os.str();
  EXPECT_TRUE(packed.cpu().data().equal(packed.data()));
}

TEST(ClipGradForeach, IsAcceptedAndChangesNothing) {
  Tensor p = f64({1, 1}, {2}).requires_grad_(true);
  p.mutable_grad() = f64({3, 4}, {2});
  expect_values(nn::utils::clip_grad_norm_(std::vector<Tensor>{p}, 1.0, 2.0, false, /*foreach=*/true), {5}, 1e-15);
  expect_values(p.grad(), {0.6 / (1 + 2e-7), 0.8 / (1 + 2e-7)}, 1e-6);
  nn::utils::clip_grad_value_(std::vector<Tensor>{p}, 0.5, /*foreach=*/false);
  expect_values(p.grad(), {0.5, 0.5}, 1e-15);
}

// PyTorch's fuse_conv_bn_eval(..., transpose=True).
TEST(FusionTransposed, EqualsTheUnfusedPair) {
  manual_seed(6);
  nn::ConvTranspose2d deconv(3, 4, 3, nn::ConvTranspose2dOptions{.stride = 2, .bias = false});
  nn::BatchNorm2d bn(4);
  deconv.to(kFloat64);
  bn.to(kFloat64);
  {
    const NoGradGuard no_grad;
    bn.running_mean.copy_(f64({0.1, -0.2, 0.3, 0.0}, {4}));
    bn.running_var.copy_(f64({1.5, 0.5, 2.0, 1.0}, {4}));
    bn.weight.copy_(f64({1.0, 2.0, -1.0, 0.5}, {4}));
  }
  deconv.eval();
  bn.eval();
  const auto fused = nn::utils::fuse_conv_bn_eval(deconv, bn);
  const Tensor x = randn({2, 3, 5, 5}, dtype(kFloat64));
  EXPECT_LT(ember::testing::max_abs_diff((*fused)(x), bn(deconv(x))), 1e-12);
  nn::ConvTranspose2d grouped(4, 4, 3, nn::ConvTranspose2dOptions{.groups = 2});
  grouped.eval();
  EXPECT_EMBER_ERROR(nn::utils::fuse_conv_bn_eval(grouped, bn), "groups=2 cannot be folded");
}

}  // namespace
}  // namespace ember
