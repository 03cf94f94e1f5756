// scaled_dot_product_attention, nn::MultiheadAttention and the Transformer encoder: PyTorch
// 1.13's module values (float64), the math backend's formula for the 2.x function (safe
// softmax included), gradcheck and gradgradcheck, masks, dropout, modes, parameters, errors.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "nn/volumetric_values.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::cos_weights;
using ember::testing::expect_gradcheck;
using ember::testing::expect_report;
using ember::testing::Report;
using ember::testing::set_params;
using ember::testing::wave_at;

constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor bool_tensor(const std::vector<bool>& values, const Dims& shape) {
  std::vector<double> numbers(values.begin(), values.end());
  return tensor(numbers).reshape(shape).to(kBool);
}

TEST(ScaledDotProductAttention, MasksScaleCausalAndGroupedHeadsMatchTheMathBackend) {
  // q = ar(2,3,4, .1, 2); k = ar(2,5,4, .2, 2); v = ar(2,5,6, .3); query row 1 sees no key.
  const Tensor mask = bool_tensor({1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1}, {3, 5});
  const Tensor s1 = F::scaled_dot_product_attention(wave_at({2, 3, 4}, 0.1, 2), wave_at({2, 5, 4}, 0.2, 2),
                                                    wave_at({2, 5, 6}, 0.3), mask);
  expect_report(s1, {{2, 3, 6},
                     0.6902708015031271,
                     1.5115292776649127,
                     {{0, 0.29416106613838044}, {18, -0.13310002234749888}, {35, 0.2090802371077729}}});
  EXPECT_EQ(s1.narrow(1, 1, 1).abs().sum().item<double>(), 0.0);  // the row without keys: zeros
  // A float mask broadcast over batch and heads, and an explicit scale.
  const Tensor s2 =
      F::scaled_dot_product_attention(wave_at({2, 2, 3, 4}, 0.4), wave_at({2, 2, 5, 4}, 0.5),
                                      wave_at({2, 2, 5, 3}, 0.6), wave_at({1, 1, 3, 5}, 0.7, 0.8), 0.0, false, 0.3);
  expect_report(s2, {{2, 2, 3, 3},
                     3.595371723637582,
                     -1.5838220318875136,
                     {{0, 0.08262068182751281}, {18, 0.0934946628171934}, {35, -0.2619789724321015}}});
  // is_causal with more keys than queries: key j <= query i (the top-left triangle).
  const Tensor s3 = F::scaled_dot_product_attention(wave_at({1, 4, 4}, 0.8), wave_at({1, 6, 4}, 0.9),
                                                    wave_at({1, 6, 2}, 1.0), Tensor(), 0.0, true);
  expect_report(s3, {{1, 4, 2},
                     5.3351766622046695,
                     0.2983979482561444,
                     {{0, 0.8414709848078965}, {4, 0.6769109022830451}, {7, 0.17165338742411784}}});
  // Four query heads on two key/value heads.
  const Tensor s4 =
      F::scaled_dot_product_attention(wave_at({1, 4, 3, 4}, 1.1), wave_at({1, 2, 5, 4}, 1.2),
                                      wave_at({1, 2, 5, 4}, 1.3), Tensor(), 0.0, false, std::nullopt, true);
  expect_report(s4, {{1, 4, 3, 4},
                     2.442564646380295,
                     1.0170167782546644,
                     {{0, 0.7252238987513249}, {24, -0.4341142698804134}, {47, -0.3837094846728078}}});
}

TEST(ScaledDotProductAttention, GradcheckGradgradcheckAndNoNanFromARowWithoutKeys) {
  const Tensor q = ember::testing::grad_input({2, 3, 4}), k = ember::testing::grad_input({2, 5, 4});
  const Tensor v = ember::testing::grad_input({2, 5, 3}), bias = ember::testing::grad_input({3, 5});
  const auto with_bias = [](const std::vector<Tensor>& in) {
    return F::scaled_dot_product_attention(in[0], in[1], in[2], in[3], 0.0, false, 0.7);
  };
  expect_gradcheck(with_bias, {q, k, v, bias});
  EXPECT_TRUE(autograd::gradgradcheck(with_bias, {q, k, v, bias}));
  const Tensor mask = bool_tensor({1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1}, {3, 5});
  const auto masked = [&mask](const std::vector<Tensor>& in) {
    return F::scaled_dot_product_attention(in[0], in[1], in[2], mask);
  };
  expect_gradcheck(masked, {q, k, v});
  const auto causal = [](const std::vector<Tensor>& in) {
    return F::scaled_dot_product_attention(in[0], in[1], in[2], Tensor(), 0.0, true);
  };
  expect_gradcheck(causal, {q, k, v});
  // The row without keys: its output and every gradient through it are zeros, not NaN.
  const Tensor qa = q.detach().clone().requires_grad_(true), ka = k.detach().clone().requires_grad_(true);
  F::scaled_dot_product_attention(qa, ka, v, mask).sum().backward();
  EXPECT_FALSE(ember::isnan(qa.grad()).any().item<bool>());
  EXPECT_FALSE(ember::isnan(ka.grad()).any().item<bool>());
  EXPECT_EQ(qa.grad().narrow(1, 1, 1).abs().sum().item<double>(), 0.0);
  // A float mask of -inf everywhere on a row: the same zeros.
  const Tensor minus_inf = zeros({3, 5}, TensorOptions(kFloat64)).index_fill(0, tensor(std::vector<int64_t>{2}), -kInf);
  const Tensor out = F::scaled_dot_product_attention(q.detach(), k.detach(), v.detach(), minus_inf);
  EXPECT_EQ(out.narrow(1, 2, 1).abs().sum().item<double>(), 0.0);
  EXPECT_GT(out.narrow(1, 0, 1).abs().sum().item<double>(), 0.0);
}

TEST(ScaledDotProductAttention, DropoutDropsTheWeightsOnTheGlobalStream) {
  const Tensor q = wave_at({2, 4, 8}, 0.1), k = wave_at({2, 6, 8}, 0.2), v = wave_at({2, 6, 5}, 0.3);
  manual_seed(11);
  const Tensor weights = F::softmax(ember::matmul(q * (1 / std::sqrt(8.0)), k.transpose(-2, -1)), -1);
  const Tensor expected = ember::matmul(F::dropout(weights, 0.4, true), v);
  manual_seed(11);
  const Tensor out = F::scaled_dot_product_attention(q, k, v, Tensor(), 0.4);
  EXPECT_LT(testing::max_abs_diff(out, expected), 1e-14);
  EXPECT_GT(testing::max_abs_diff(out, F::scaled_dot_product_attention(q, k, v)), 1e-3);
  EXPECT_EQ(F::scaled_dot_product_attention(q, k, v, Tensor(), 1.0).abs().sum().item<double>(), 0.0);
}

TEST(ScaledDotProductAttention, BadInputIsAClearError) {
  const Tensor q = randn({2, 3, 4}), k = randn({2, 5, 4}), v = randn({2, 5, 6});
  EXPECT_EMBER_ERROR(F::scaled_dot_product_attention(q, k, v, ones({3, 5}, TensorOptions(kBool)), 0.0, true),
                     "Explicit attn_mask should not be set when is_causal=True");
  EXPECT_EMBER_ERROR(F::scaled_dot_product_attention(q, k.to(kFloat64), v),
                     "Expected query, key, and value to have the same dtype, but got query.dtype: Float");
  EXPECT_EMBER_ERROR(F::scaled_dot_product_attention(q, k, v, ones({3, 5}, TensorOptions(kInt64))),
                     "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                     "attn_mask.dtype: Long");
  EXPECT_EMBER_ERROR(F::scaled_dot_product_attention(q, randn({2, 5, 3}), v), "expected key's last dim to be query's");
  EXPECT_EMBER_ERROR(F::scaled_dot_product_attention(q, k, randn({2, 4, 6})),
                     "expected value's dim -2 to be key's sequence length (5)");
  EXPECT_EMBER_ERROR(F::scaled_dot_product_attention(q, k, v, Tensor(), 1.5), "dropout probability has to be");
  EXPECT_EMBER_ERROR(F::scaled_dot_product_attention(randn({1, 3, 2, 4}), randn({1, 2, 5, 4}), randn({1, 2, 5, 4}),
                                                     Tensor(), 0.0, false, std::nullopt, true),
                     "Number of heads in key and value must divide the number of heads in query");
  EXPECT_EMBER_ERROR(F::scaled_dot_product_attention(randn({4}), randn({4}), randn({4})),
                     "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: 1");
  // The mask broadcasts to the scores, not the scores to the mask; a float mask is float32 or the query's dtype.
  EXPECT_EMBER_ERROR(F::scaled_dot_product_attention(q, k, v, zeros({4, 2, 3, 5})),
                     "doesn't match the broadcast shape [4, 2, 3, 5]");
  EXPECT_EMBER_ERROR(F::scaled_dot_product_attention(q, k, v, zeros({3, 5}, TensorOptions(kFloat64))),
                     "attn_mask.dtype: Double and  query.dtype: Float");
  const Tensor q64 = q.to(kFloat64), k64 = k.to(kFloat64), v64 = v.to(kFloat64);
  EXPECT_LT(testing::max_abs_diff(F::scaled_dot_product_attention(q64, k64, v64, zeros({3, 5})),
                                  F::scaled_dot_product_attention(q64, k64, v64)),
            1e-15);
}

TEST(MultiheadAttention, SelfAttentionValuesAndGradientsMatchPyTorch) {
  // m = nn.MultiheadAttention(4, 2), parameters set_params'; x = ar(3, 2, 4, 0.1); m(x, x, x).
  nn::MultiheadAttention m(4, 2);
  set_params(m);
  const Tensor x = wave_at({3, 2, 4}, 0.1).requires_grad_(true);
  const auto [out, weights] = m(x, x, x);
  expect_report(out, {{3, 2, 4},
                      5.475366880613106,
                      -0.8202684915494038,
                      {{0, 0.09763692012075387}, {12, -0.04741274799338241}, {23, -0.43231455322776174}}});
  expect_report(weights, {{2, 3, 3},
                          6.0,
                          0.3106553634533853,
                          {{0, 0.45248383684863397}, {9, 0.4217635401326757}, {17, 0.5176095856166987}}});
  // (out * cos(i)).sum().backward()
  (out * cos_weights(out)).sum().backward();
  expect_report(x.grad(), {{3, 2, 4},
                           1.015111248985487,
                           0.8405570041379404,
                           {{0, 0.11011716450764006}, {12, 0.35329855361153256}, {23, -0.08968594685712122}}});
  expect_report(m.in_proj_weight.grad(),
                {{12, 4},
                 -1.7232509252616852,
                 -0.037521506127431575,
                 {{0, -0.12254345474531185}, {24, 0.17800351689880028}, {47, 0.09915304869249363}}});
  expect_report(m.out_proj->weight.grad(),
                {{4, 4},
                 0.7731587494239768,
                 0.5287629524680943,
                 {{0, -0.25898479169707284}, {8, 0.06860854075541975}, {15, -0.6453815482400773}}});
  // Without weights (scaled_dot_product_attention inside): the same output.
  const auto [same, none] = m(x, x, x, {.need_weights = false});
  EXPECT_FALSE(none.defined());
  EXPECT_LT(testing::max_abs_diff(same, out), 1e-14);
  EXPECT_LT(testing::max_abs_diff(m(x.detach()), out), 1e-14);  // the one-input forward: self-attention
}

TEST(MultiheadAttention, CrossAttentionWithOwnKeyValueSizesBiasKvZeroAttnAndMasksMatchesPyTorch) {
  // nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True, add_zero_attn=True); q =
  // ar(3,2,4,.2), k = ar(5,2,3,.3), v = ar(5,2,5,.4); a bool key_padding_mask and a float
  // [3, 5] attn_mask ar(3,5,.6,.5); per-head weights.
  nn::MultiheadAttention m(4, 2, {.add_bias_kv = true, .add_zero_attn = true, .kdim = 3, .vdim = 5});
  set_params(m);
  const Tensor kpm = bool_tensor({0, 1, 0, 0, 1, 0, 0, 0, 1, 0}, {2, 5});
  const auto [out, weights] =
      m(wave_at({3, 2, 4}, 0.2), wave_at({5, 2, 3}, 0.3), wave_at({5, 2, 5}, 0.4),
        {.key_padding_mask = kpm, .attn_mask = wave_at({3, 5}, 0.6, 0.5), .average_attn_weights = false});
  expect_report(out, {{3, 2, 4},
                      -8.621654674341512,
                      0.7347667640999582,
                      {{0, -0.1703844958553616}, {12, -0.07642300596509408}, {23, -0.5519055612095363}}});
  expect_report(weights, {{2, 2, 3, 7},
                          12.000000000000002,
                          0.804632836323585,
                          {{0, 0.257055742010411}, {42, 0.48835948649965344}, {83, 0.14928082472149465}}});
  std::vector<std::string> names;
  for (const auto& [name, p] : m.named_parameters()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias",
                                             "bias_k", "bias_v", "out_proj.weight", "out_proj.bias"}));
}

TEST(MultiheadAttention, BatchFirstCausalHintAndUnbatchedInputMatchPyTorch) {
  // batch_first=True, x = ar(2,4,4,.7), attn_mask the square subsequent mask, need_weights=False.
  nn::MultiheadAttention m(4, 2, {.batch_first = true});
  set_params(m);
  const Tensor x = wave_at({2, 4, 4}, 0.7);
  const Tensor mask = nn::generate_square_subsequent_mask(4, TensorOptions(kFloat64));
  const Report want{{2, 4, 4},
                    7.3190746445947195,
                    0.4297367424763977,
                    {{0, 0.22638031219496396}, {16, 0.16685652519022157}, {31, 0.14763347329459253}}};
  expect_report(std::get<0>(m(x, x, x, {.need_weights = false, .attn_mask = mask})), want);
  // The is_causal hint: scaled_dot_product_attention's causal form, the same numbers.
  expect_report(std::get<0>(m(x, x, x, {.need_weights = false, .attn_mask = mask, .is_causal = true})), want);
  // Unbatched, bias=False: q = ar(3,4,.8), key = value = ar(4,4,.9), a [2, 3, 4] bool attn_mask
  // and a float key_padding_mask [0, -1, 0.5, 0]: PyTorch 2.x makes both masks float and adds
  // them (1.13 was given that sum as its attn_mask; its own merge read the float mask as bool).
  nn::MultiheadAttention u(4, 2, {.bias = false});
  set_params(u);
  const Tensor am = bool_tensor({0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0}, {2, 3, 4});
  const Tensor kv = wave_at({4, 4}, 0.9);
  const auto [out, weights] = u(wave_at({3, 4}, 0.8), kv, kv,
                                {.key_padding_mask = tensor(std::vector<double>{0, -1, 0.5, 0}), .attn_mask = am});
  expect_report(out, {{3, 4},
                      -0.006324879581390969,
                      0.3177684915009832,
                      {{0, 0.028035686731263026}, {6, -0.24297372992373267}, {11, 0.3892843945978861}}});
  expect_report(weights, {{3, 4},
                          3.0,
                          0.060998956207364674,
                          {{0, 0.7772934399120726}, {6, 0.15110478165885624}, {11, 0.20031886592705772}}});
}

TEST(MultiheadAttention, GradcheckThroughInputsAndEveryParameter) {
  // gradcheck perturbs its inputs in place, so the module's own parameters are inputs too.
  nn::MultiheadAttention m(4, 2, {.add_bias_kv = true, .add_zero_attn = true, .kdim = 3, .vdim = 2});
  m.to(kFloat64);
  std::vector<Tensor> in{ember::testing::grad_input({3, 2, 4}), ember::testing::grad_input({5, 2, 3}),
                         ember::testing::grad_input({5, 2, 2})};
  for (const Tensor& p : m.parameters()) in.push_back(p);
  EXPECT_EQ(in.size(), 3u + 8u);
  const Tensor kpm = bool_tensor({0, 1, 0, 0, 1, 0, 0, 0, 1, 0}, {2, 5});
  const auto fn = [&](const std::vector<Tensor>& t) {
    return std::get<0>(m(t[0], t[1], t[2], {.key_padding_mask = kpm, .need_weights = false}));
  };
  expect_gradcheck(fn, in);
  const auto weights = [&](const std::vector<Tensor>& t) {
    return std::get<1>(m(t[0], t[1], t[2], {.average_attn_weights = false}));
  };
  expect_gradcheck(weights, in);
}

TEST(MultiheadAttention, InitializationModesAndBadInput) {
  manual_seed(0);
  nn::MultiheadAttention m(8, 2, {.dropout = 0.5});
  const double bound = std::sqrt(6.0 / (8 + 24));  // xavier_uniform_ on [24, 8]
  EXPECT_LE(m.in_proj_weight.abs().max().item<float>(), bound);
  EXPECT_GT(m.in_proj_weight.abs().max().item<float>(), 0.8 * bound);
  EXPECT_EQ(m.in_proj_bias.abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(m.out_proj->bias.abs().sum().item<float>(), 0.0f);
  EXPECT_TRUE(m.depends_on_training_flag());
  const Tensor x = randn({5, 3, 8});
  m.eval();
  const auto [a, wa] = m(x, x, x);
  const auto [b, wb] = m(x, x, x);
  EXPECT_EQ(testing::max_abs_diff(a, b), 0.0);  // eval: no dropout
  m.train();
  const auto [c, wc] = m(x, x, x);
  EXPECT_GT(testing::max_abs_diff(a, c), 1e-3);  // training: the weights dropped
  {
    NoGradGuard no_grad;
    EXPECT_FALSE(std::get<0>(m(x, x, x)).requires_grad());
  }
  EXPECT_EMBER_ERROR(nn::MultiheadAttention(6, 4), "embed_dim must be divisible by num_heads");
  EXPECT_EMBER_ERROR(nn::MultiheadAttention(8, 0), "embed_dim and num_heads must be greater than 0");
  EXPECT_EMBER_ERROR(m(randn({5, 3, 8}), randn({5, 8}), randn({5, 8})),
                     "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found 2-D and 2-D");
  EXPECT_EMBER_ERROR(m(randn({2, 5, 3, 8}), x, x), "query should be unbatched 2D or batched 3D tensor");
  EXPECT_EMBER_ERROR(m(randn({5, 3, 6}), x, x), "was expecting embedding dimension of 8, but got 6");
  EXPECT_EMBER_ERROR(m(x, x, x, {.attn_mask = zeros({4, 5})}),
                     "The shape of the 2D attn_mask is [4, 5], but should be (5, 5).");
  EXPECT_EMBER_ERROR(m(x, x, x, {.key_padding_mask = zeros({3, 4}, TensorOptions(kBool))}),
                     "expecting key_padding_mask shape of (3, 5)");
  EXPECT_EMBER_ERROR(m(x, x, x, {.key_padding_mask = zeros({3, 5}, TensorOptions(kInt64))}),
                     "only bool and floating types of key_padding_mask are supported");
  EXPECT_EMBER_ERROR(m(x, x, x, {.is_causal = true}), "Need attn_mask if specifying the is_causal hint");
  EXPECT_EMBER_ERROR(m(x, randn({4, 3, 8}), randn({5, 3, 8})), "key shape [4, 3, 8] does not match value shape");
}

TEST(TransformerEncoderLayer, PostNormValuesAndGradientsMatchPyTorch) {
  // nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0), set_params; src =
  // ar(5,3,8,.15); the square subsequent mask and a bool key-padding mask.
  nn::TransformerEncoderLayer layer(8, 2, {.dim_feedforward = 16, .dropout = 0.0});
  set_params(layer);
  std::vector<std::string> names;
  for (const auto& [name, p] : layer.named_parameters()) names.push_back(name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
                                      "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
                                      "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"}));
  const Tensor src = wave_at({5, 3, 8}, 0.15).requires_grad_(true);
  const Tensor kpm = bool_tensor({0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}, {3, 5});
  const Tensor out = layer(src, nn::generate_square_subsequent_mask(5, TensorOptions(kFloat64)), kpm);
  expect_report(out, {{5, 3, 8},
                      46.9693062024144,
                      0.2792455069506321,
                      {{0, -0.3790434184391179}, {60, 0.44648693248259974}, {119, 0.6874196936211021}}});
  (out * cos_weights(out)).sum().backward();
  expect_report(src.grad(), {{5, 3, 8},
                             0.15697415256251654,
                             10.755133152390208,
                             {{0, 0.9240092616177665}, {60, -0.04906772172826896}, {119, 0.38602027885450085}}});
  expect_report(layer.linear1->weight.grad(),
                {{16, 8}, 0.8775987866184842, 0.6293788780115911, {{0, 0.0}, {64, 0.0}, {127, 0.014126964779864911}}});
}

TEST(TransformerEncoder, PreNormGeluBatchFirstStackMatchesPyTorch) {
  // nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 12, 0.0, 'gelu', batch_first=True,
  // norm_first=True), 2, norm=nn.LayerNorm(8)), set_params; enc(ar(3,5,8,.25)).
  const nn::TransformerEncoderLayer layer(
      8, 2, {.dim_feedforward = 12, .dropout = 0.0, .activation = "gelu", .batch_first = true, .norm_first = true});
  nn::TransformerEncoder encoder(layer, 2, std::make_shared<nn::LayerNorm>(8));
  // The copies start from the layer's own weights, as PyTorch's deep copies do.
  EXPECT_EQ(testing::max_abs_diff(encoder.layers->get<nn::TransformerEncoderLayer>(1)->linear2->weight,
                                  layer.linear2->weight),
            0.0);
  EXPECT_EQ(encoder.named_parameters().size(), 2 * 12 + 2u);
  set_params(encoder);
  expect_report(encoder(wave_at({3, 5, 8}, 0.25)),
                {{3, 5, 8},
                 26.516723816431625,
                 -0.010440488259660374,
                 {{0, 0.13717653356328352}, {60, 0.6425906289424196}, {119, -0.012269064174200194}}});
  EXPECT_EMBER_ERROR(nn::TransformerEncoderLayer(8, 2, {.activation = "tanh"}),
                     "activation should be relu/gelu, not tanh");
  EXPECT_EMBER_ERROR(nn::TransformerEncoder(layer, 0), "num_layers must be positive");
}

TEST(TransformerEncoderLayer, DropoutOnlyInTrainingAndNothingSavedUnderNoGrad) {
  manual_seed(4);
  nn::TransformerEncoderLayer layer(16, 4, {.dim_feedforward = 32, .batch_first = true});
  EXPECT_TRUE(layer.depends_on_training_flag());
  const Tensor x = randn({2, 6, 16});
  layer.eval();
  const Tensor a = layer(x), b = layer(x);
  EXPECT_EQ(testing::max_abs_diff(a, b), 0.0);
  layer.train();
  EXPECT_GT(testing::max_abs_diff(layer(x), a), 1e-3);
  // What a recording forward saves, and that no_grad saves nothing.
  const int64_t before = autograd::saved_tensor_stats().current_bytes;
  {
    const Tensor recorded = layer(x);
    EXPECT_GT(autograd::saved_tensor_stats().current_bytes, before);
  }
  NoGradGuard no_grad;
  const Tensor out = layer(x);
  EXPECT_FALSE(out.requires_grad());
  EXPECT_EQ(autograd::saved_tensor_stats().current_bytes, before);
}

TEST(TransformerEncoder, CopiesKeepFrozenParametersDtypeAndMode) {
  nn::TransformerEncoderLayer layer(8, 2, {.dim_feedforward = 8});
  layer.norm1->weight.requires_grad_(false);
  layer.to(kFloat64);
  layer.eval();
  nn::TransformerEncoder encoder(layer, 3);
  for (int64_t i = 0; i < 3; ++i) {
    const auto copy = encoder.layers->get<nn::TransformerEncoderLayer>(i);
    EXPECT_FALSE(copy->norm1->weight.requires_grad());
    EXPECT_TRUE(copy->norm2->weight.requires_grad());
    EXPECT_EQ(copy->linear1->weight.dtype(), kFloat64);
    EXPECT_FALSE(copy->is_training());
  }
}

// 16-bit attention computes in float32 and rounds once, as PyTorch's math backend: the result is
// the float32 computation's, rounded; a float32 mask of -1e9 stays finite (in float16 it was
// -inf, so a row of such keys became zeros).
TEST(ScaledDotProductAttention, SixteenBitInputsComputeInFloat32) {
  manual_seed(12);
  const Tensor q = randn({2, 3, 8, 16}) * 2.0, k = randn({2, 3, 8, 16}) * 2.0, v = randn({2, 3, 8, 16});
  for (const DType dtype : {kBFloat16, kFloat16}) {
    const Tensor q16 = q.to(dtype), k16 = k.to(dtype), v16 = v.to(dtype);
    const Tensor out = F::scaled_dot_product_attention(q16, k16, v16);
    EXPECT_EQ(out.dtype(), dtype);
    EXPECT_TRUE(equal(out, F::scaled_dot_product_attention(q16.to(kFloat32), k16.to(kFloat32), v16.to(kFloat32))
                               .to(dtype)));
  }
  const Tensor mask = full({8, 8}, -1e9);
  const Tensor q16 = q.to(kFloat16), k16 = k.to(kFloat16), v16 = v.to(kFloat16);
  const Tensor masked = F::scaled_dot_product_attention(q16, k16, v16, mask).to(kFloat32);
  EXPECT_TRUE(masked.isfinite().all().item<bool>());
  EXPECT_GT(masked.abs().sum(Dims{-1}).amin().item<float>(), 0.0f);  // no row zeroed
}

}  // namespace
}  // namespace ember
