// nn::TransformerDecoderLayer, nn::TransformerDecoder and nn::Transformer against PyTorch 1.13
// (float64, parameters set as the Python's set_params): values, gradients, parameter names,
// masks, gradcheck, modes and errors.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nn/volumetric_values.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::cos_weights;
using ember::testing::expect_report;
using ember::testing::names_of;
using ember::testing::set_params;
using ember::testing::wave_at;

Tensor bool_mask(const std::vector<int>& values, const Dims& shape) {
  return tensor(std::vector<double>(values.begin(), values.end())).reshape(shape).to(kBool);
}

TEST(TransformerDecoderLayer, PostNormValuesAndGradientsMatchPyTorch) {
  // nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0); tgt = ar(4,2,8,.1),
  // memory = ar(5,2,8,.2); causal tgt_mask; memory_key_padding_mask hides keys 2 and 4 of item 0.
  nn::TransformerDecoderLayer layer(8, 2, {.dim_feedforward = 16, .dropout = 0.0});
  set_params(layer);
  EXPECT_EQ(
      names_of(layer),
      (std::vector<std::string>{
          "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
          "multihead_attn.in_proj_weight", "multihead_attn.in_proj_bias", "multihead_attn.out_proj.weight",
          "multihead_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
          "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias", "norm3.weight", "norm3.bias"}));
  const Tensor tgt = wave_at({4, 2, 8}, 0.1).requires_grad_(true),
               memory = wave_at({5, 2, 8}, 0.2).requires_grad_(true);
  const Tensor out = layer(tgt, memory,
                           {.tgt_mask = nn::Transformer::generate_square_subsequent_mask(4, TensorOptions(kFloat64)),
                            .memory_key_padding_mask = bool_mask({0, 0, 1, 0, 1, 0, 0, 0, 0, 0}, {2, 5})});
  expect_report(out, {{4, 2, 8},
                      -1.9360892038821182,
                      0.9858988357987819,
                      {{0, 0.36848893487950646}, {32, 0.34630942242352936}, {63, 0.23975479426075724}}});
  (out * cos_weights(out)).sum().backward();
  expect_report(tgt.grad(), {{4, 2, 8},
                             0.025699148944878396,
                             -0.04036608310155332,
                             {{0, 0.031364152858152}, {32, 0.022590839399877497}, {63, 0.00805231164099351}}});
  expect_report(memory.grad(),
                {{5, 2, 8},
                 0.014111913632554488,
                 0.002128184018018603,
                 {{0, 0.00018512516156696777}, {40, -0.0018592637635564827}, {79, 0.0036410812758472756}}});
  expect_report(layer.multihead_attn->in_proj_weight.grad(),
                {{24, 8},
                 0.6309458935055394,
                 0.04378804213271695,
                 {{0, 0.0010659774205170232}, {96, -0.0005420414758619157}, {191, 0.04764434396997035}}});
}

TEST(TransformerDecoder, PreNormGeluBatchFirstStackMatchesPyTorch) {
  // Two copies of TransformerDecoderLayer(8, 2, 16, 0.0, gelu, batch_first, norm_first) and a
  // final LayerNorm(8); tgt = ar(2,3,8,.3), memory = ar(2,4,8,.4); tgt_key_padding_mask hides
  // item 0's step 2; memory_mask = ar(3,4,.5,.3) (float, added).
  nn::TransformerDecoderLayer layer(
      8, 2, {.dim_feedforward = 16, .dropout = 0.0, .activation = "gelu", .batch_first = true, .norm_first = true});
  nn::TransformerDecoder decoder(layer, 2, std::make_shared<nn::LayerNorm>(8));
  set_params(decoder);
  EXPECT_EQ(names_of(decoder).size(), 38u);
  EXPECT_EQ(names_of(decoder).back(), "norm.bias");
  const Tensor out = decoder(
      wave_at({2, 3, 8}, 0.3), wave_at({2, 4, 8}, 0.4),
      {.memory_mask = wave_at({3, 4}, 0.5, 0.3), .tgt_key_padding_mask = bool_mask({0, 0, 1, 0, 0, 0}, {2, 3})});
  expect_report(out, {{2, 3, 8},
                      10.861240925667534,
                      0.04326305566019256,
                      {{0, -0.029040457838944597}, {24, -0.09064562378558529}, {47, -0.29906606325688284}}});
}

TEST(Transformer, ModelValuesGradientsAndNamesMatchPyTorch) {
  // nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
  // dim_feedforward=16, dropout=0.0, batch_first=True); src = ar(2,5,8,.6), tgt = ar(2,3,8,.7);
  // causal tgt_mask; src and memory key padding masks hide item 0's last two steps.
  nn::Transformer model({.d_model = 8,
                         .nhead = 2,
                         .num_encoder_layers = 2,
                         .num_decoder_layers = 1,
                         .dim_feedforward = 16,
                         .dropout = 0.0,
                         .batch_first = true});
  set_params(model);
  const std::vector<std::string> names = names_of(model);
  ASSERT_EQ(names.size(), 46u);
  EXPECT_EQ(names.front(), "encoder.layers.0.self_attn.in_proj_weight");
  EXPECT_EQ(names[names.size() - 3], "decoder.layers.0.norm3.bias");
  EXPECT_EQ(names.back(), "decoder.norm.bias");
  const Tensor src = wave_at({2, 5, 8}, 0.6).requires_grad_(true);
  const Tensor padding = bool_mask({0, 0, 0, 1, 1, 0, 0, 0, 0, 0}, {2, 5});
  const Tensor out = model(src, wave_at({2, 3, 8}, 0.7),
                           {.tgt_mask = nn::Transformer::generate_square_subsequent_mask(3, TensorOptions(kFloat64)),
                            .src_key_padding_mask = padding,
                            .memory_key_padding_mask = padding});
  expect_report(out, {{2, 3, 8},
                      -4.47416391696385,
                      -0.12409521910695923,
                      {{0, -0.5337105774480937}, {24, -0.5574449874821285}, {47, 0.15822254346788867}}});
  (out * cos_weights(out)).sum().backward();
  expect_report(src.grad(),
                {{2, 5, 8},
                 -1.4594526967243377e-05,
                 1.2322564811730004e-05,
                 {{0, 1.1032444933435014e-05}, {40, 4.6063683133968385e-06}, {79, 1.4716802353597247e-06}}},
                1e-15);
}

TEST(Transformer, InitializationGradcheckModesAndBadInput) {
  manual_seed(41);
  nn::Transformer model({.d_model = 8,
                         .nhead = 2,
                         .num_encoder_layers = 1,
                         .num_decoder_layers = 1,
                         .dim_feedforward = 12,
                         .dropout = 0.2});
  // PyTorch's _reset_parameters: every weight of 2+ dims xavier_uniform_ (bound sqrt(6 / (fan_in +
  // fan_out))), biases and norms as their layers left them.
  for (const auto& [name, p] : model.named_parameters()) {
    SCOPED_TRACE(name);
    if (p.dim() < 2) continue;
    const double bound = std::sqrt(6.0 / static_cast<double>(p.size(0) + p.size(1)));
    EXPECT_LE(p.abs().max().item<float>(), bound + 1e-6);
    EXPECT_GT(p.abs().max().item<float>(), 0.5 * bound);
  }
  EXPECT_EQ(model.encoder->layers->get<nn::TransformerEncoderLayer>(0)->norm1->weight.sum().item<float>(), 8.0f);
  // Dropout only in training: eval gives the same output twice, training does not.
  const Tensor src = randn({5, 3, 8}), tgt = randn({4, 3, 8});
  model.eval();
  EXPECT_EQ(testing::max_abs_diff(model(src, tgt), model(src, tgt)), 0.0);
  model.train();
  EXPECT_GT(testing::max_abs_diff(model(src, tgt), model(src, tgt)), 1e-4);
  {
    NoGradGuard no_grad;
    const int64_t before = autograd::saved_tensor_stats().current_bytes;
    EXPECT_FALSE(model(src, tgt).requires_grad());
    EXPECT_EQ(autograd::saved_tensor_stats().current_bytes, before);
  }
  // Unbatched input, and gradcheck through tgt and memory of a decoder layer in float64.
  model.eval();
  EXPECT_EQ(model(src.select(1, 0), tgt.select(1, 0)).sizes(), (Dims{4, 8}));
  EXPECT_LT(testing::max_abs_diff(model(src.select(1, 0), tgt.select(1, 0)), model(src, tgt).select(1, 0)), 1e-5);
  nn::TransformerDecoderLayer layer(4, 2, {.dim_feedforward = 6, .dropout = 0.0, .norm_first = true});
  layer.to(kFloat64);
  ember::testing::expect_gradcheck(
      [&](const std::vector<Tensor>& t) {
        return layer(t[0], t[1], {.tgt_mask = nn::generate_square_subsequent_mask(3, TensorOptions(kFloat64))});
      },
      {ember::testing::grad_input({3, 2, 4}), ember::testing::grad_input({5, 2, 4})});
  EXPECT_EMBER_ERROR(model(src, randn({4, 2, 8})), "the batch number of src and tgt must be equal");
  EXPECT_EMBER_ERROR(model(src, randn({4, 3, 6})), "the feature number of src and tgt must be equal to d_model");
  EXPECT_EMBER_ERROR(model(src), "Transformer: forward() missing 1 required positional argument: 'tgt'");
  EXPECT_EMBER_ERROR(layer(randn({3, 2, 4}, kFloat64)),
                     "TransformerDecoderLayer: forward() missing 1 required positional argument: 'memory'");
  EXPECT_EMBER_ERROR(nn::TransformerDecoderLayer(8, 2, {.activation = "tanh"}),
                     "activation should be relu/gelu, not tanh");
  EXPECT_EMBER_ERROR(nn::TransformerDecoder(layer, 0), "TransformerDecoder: num_layers must be positive, but got 0");
}

// Calls with more arguments go through Module::operator() (Note [Calls with more arguments]):
// hooks on the attention inside a layer, on the layers inside a stack, and on the stacks fire
// (they saw nothing before), and the output and weights are those of a direct forward.
TEST(Transformer, HooksSeeCallsWithMoreArguments) {
  manual_seed(21);
  nn::Transformer model({.d_model = 8, .nhead = 2, .num_encoder_layers = 2, .num_decoder_layers = 1,
                         .dim_feedforward = 16, .dropout = 0.0});
  std::map<std::string, int> fired;
  const auto count = [&fired](const std::string& name) {
    return [&fired, name](nn::Module&, const Tensor&, const Tensor&) { ++fired[name]; };
  };
  model.encoder->layers->get<nn::TransformerEncoderLayer>(1)->self_attn->register_forward_hook(count("enc1.self_attn"));
  model.encoder->layers->get<nn::TransformerEncoderLayer>(0)->register_forward_hook(count("enc0"));
  model.decoder->layers->get<nn::TransformerDecoderLayer>(0)->multihead_attn->register_forward_hook(count("cross"));
  model.decoder->register_forward_hook(count("decoder"));
  model.register_forward_hook(count("model"));
  const Tensor src = randn({5, 2, 8}), tgt = randn({3, 2, 8});
  const Tensor out = model(src, tgt);
  EXPECT_EQ(fired, (std::map<std::string, int>{{"cross", 1}, {"decoder", 1}, {"enc0", 1}, {"enc1.self_attn", 1}, {"model", 1}}));
  EXPECT_TRUE(equal(out, model.forward(src, tgt)));
  // a forward hook's replacement output is the call's, as PyTorch's
  nn::MultiheadAttention mha(8, 2);
  mha.register_forward_hook([](nn::Module&, const Tensor&, const Tensor& y) -> std::optional<Tensor> { return y * 0.0; });
  const auto [zeroed, weights] = mha(src, src, src);
  EXPECT_EQ(zeroed.abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(weights.sizes(), (Dims{2, 5, 5}));
  const auto [direct, direct_weights] = mha.forward(src, src, src);
  EXPECT_TRUE(equal(weights, direct_weights));
  // a layer called with masks gets them in its forward
  nn::TransformerEncoderLayer layer(8, 2, {.dim_feedforward = 16, .dropout = 0.0});
  const Tensor causal = nn::generate_square_subsequent_mask(5);
  EXPECT_TRUE(equal(layer(src, causal), layer.forward(src, causal)));
  EXPECT_FALSE(equal(layer(src, causal), layer(src)));
  EXPECT_EMBER_ERROR((*model.decoder)(tgt), "missing 1 required positional argument: 'memory'");
  // a pre-hook that runs forward itself does not take the call's masks (pre-hooks run a call deeper)
  Tensor from_hook;
  layer.register_forward_pre_hook([&](nn::Module& m, const Tensor& x) { from_hook = m.forward(x); });
  EXPECT_TRUE(equal(layer(src, causal), layer.forward(src, causal)));
  EXPECT_TRUE(equal(from_hook, layer.forward(src)));
}

}  // namespace
}  // namespace ember
