// nn::RNN / LSTM / GRU and their cells against PyTorch 1.13's values (float64; parameters set
// as the Python's set_params), gradients through time, gradcheck, modes, reprs and errors.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <string>
#include <thread>
#include <vector>

#include "nn/volumetric_values.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::cos_weights;
using ember::testing::expect_gradcheck;
using ember::testing::expect_report;
using ember::testing::names_of;
using ember::testing::set_params;
using ember::testing::wave_at;

TEST(LSTM, TwoBidirectionalLayersMatchPyTorchValuesAndGradients) {
  // nn.LSTM(3, 4, num_layers=2, bidirectional=True); x = ar(5,2,3,.1); h0 = ar(4,2,4,.2,.5),
  // c0 = ar(4,2,4,.3,.5).
  nn::LSTM lstm(3, 4, {.num_layers = 2, .bidirectional = true});
  set_params(lstm);
  const std::vector<std::string> names = names_of(lstm);
  EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + 6),
            (std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                      "weight_ih_l0_reverse", "weight_hh_l0_reverse"}));
  EXPECT_EQ(names.size(), 16u);
  const Tensor x = wave_at({5, 2, 3}, 0.1).requires_grad_(true);
  const auto [out, state] = lstm(x, {wave_at({4, 2, 4}, 0.2, 0.5), wave_at({4, 2, 4}, 0.3, 0.5)});
  const auto& [h, c] = state;
  expect_report(out, {{5, 2, 8},
                      -6.184444601931457,
                      -0.6980791642809755,
                      {{0, 0.010869465863383053}, {40, 0.07516379731915727}, {79, -0.13892428814940666}}});
  expect_report(h, {{4, 2, 4},
                    -2.119392807558928,
                    -1.4021430979979512,
                    {{0, -0.3036424213326604}, {16, 0.1379372277540658}, {31, -0.28167007935614513}}});
  expect_report(c, {{4, 2, 4},
                    -4.8475733527279985,
                    -2.6940207191864776,
                    {{0, -0.7435145200547575}, {16, 0.48091845046606674}, {31, -0.45845358890957855}}});
  (out * cos_weights(out)).sum().backward();
  expect_report(x.grad(), {{5, 2, 3},
                           0.15979102095174463,
                           -0.10742453269040657,
                           {{0, 0.0141306385880755}, {15, 0.010257419743455036}, {29, 0.019017250057657552}}});
  const Tensor w = lstm.all_weights()[3][1];  // layer 1, reverse: weight_hh_l1_reverse
  expect_report(w.grad(), {{16, 4},
                           0.677800884405934,
                           -0.031237943328627546,
                           {{0, 0.006114873019121686}, {32, 0.0072005484782223916}, {63, -0.018426485978175585}}});
}

TEST(LSTM, ProjectionsMatchPyTorch) {
  // nn.LSTM(3, 4, num_layers=2, proj_size=2); x = ar(5,2,3,.7), no state.
  nn::LSTM lstm(3, 4, {.num_layers = 2, .proj_size = 2});
  set_params(lstm);
  EXPECT_EQ(names_of(lstm),
            (std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0",
                                      "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "weight_hr_l1"}));
  const auto [out, state] = lstm(wave_at({5, 2, 3}, 0.7), {});
  expect_report(out, {{5, 2, 2},
                      0.010552665559172003,
                      0.05516954573828663,
                      {{0, -0.0991620807971426}, {10, -0.1644799563324368}, {19, 0.18606257611680185}}});
  expect_report(std::get<0>(state), {{2, 2, 2},
                                     0.6191972792595133,
                                     0.06994134268693075,
                                     {{0, 0.003375397687623007}, {4, -0.17740972313871264}, {7, 0.18606257611680185}}});
  expect_report(std::get<1>(state), {{2, 2, 4},
                                     -0.34496255723930713,
                                     -0.7363802736261935,
                                     {{0, -0.693132779038738}, {8, 0.2909352599434934}, {15, 0.43998154166898273}}});
  EXPECT_EQ(lstm.extra_repr(), "3, 4, proj_size=2, num_layers=2");
}

TEST(GRU, BatchFirstAndRnnReluUnbatchedMatchPyTorch) {
  // nn.GRU(3, 4, batch_first=True); x = ar(2,5,3,.4).
  nn::GRU gru(3, 4, {.batch_first = true});
  set_params(gru);
  const auto [out, h] = gru(wave_at({2, 5, 3}, 0.4), Tensor());
  expect_report(out, {{2, 5, 4},
                      -13.132709035532116,
                      0.5026880930205555,
                      {{0, -0.5050195515491014}, {20, -0.3309549619296285}, {39, -0.24876462328403087}}});
  expect_report(h, {{1, 2, 4},
                    -1.1768331305154478,
                    0.20750048226436044,
                    {{0, -0.4378986553742225}, {4, -0.46156817903002756}, {7, -0.24876462328403087}}});
  EXPECT_LT(testing::max_abs_diff(gru(wave_at({2, 5, 3}, 0.4)), out), 1e-15);  // the one-input forward
  // nn.RNN(3, 4, nonlinearity='relu', num_layers=2, bias=False); x = ar(5,3,.5), h0 = ar(2,4,.6,.5).
  nn::RNN rnn(3, 4, {.num_layers = 2, .nonlinearity = "relu", .bias = false});
  set_params(rnn);
  const auto [rout, rh] = rnn(wave_at({5, 3}, 0.5), wave_at({2, 4}, 0.6, 0.5));
  expect_report(
      rout,
      {{5, 4}, 5.157435245437128, 0.20747491655056843, {{0, 1.0809560532172289}, {10, 0.0}, {19, 0.331950674549661}}});
  expect_report(
      rh,
      {{2, 4}, 1.4943951520387286, -0.7811830372301455, {{0, 0.0}, {4, 0.35489909417233884}, {7, 0.331950674549661}}});
  EXPECT_EQ(rnn.extra_repr(), "3, 4, num_layers=2, bias=False");
}

TEST(RNNCells, MatchPyTorch) {
  nn::LSTMCell lstm(3, 4);
  set_params(lstm);
  const auto [h, c] = lstm(wave_at({2, 3}, 0.8), {wave_at({2, 4}, 0.9, 0.5), wave_at({2, 4}, 1.0, 0.5)});
  expect_report(h, {{2, 4},
                    -1.6354555437644076,
                    -0.5895929872472966,
                    {{0, -0.24108078062019195}, {4, -0.31291029341092746}, {7, -0.06477258101327746}}});
  expect_report(c, {{2, 4},
                    -2.7242909769199763,
                    -1.0079009935247234,
                    {{0, -0.32095375843345963}, {4, -0.5049703999907746}, {7, -0.15554023957780647}}});
  nn::GRUCell gru(3, 4);
  set_params(gru);
  expect_report(gru(wave_at({3}, 1.1), wave_at({4}, 1.2, 0.5)),
                {{4},
                 -0.29664088857423154,
                 -0.34103369960962493,
                 {{0, -0.15082843135361168}, {2, -0.21713798599567524}, {3, 0.20852446298059535}}});
  nn::RNNCell rnn(3, 4, true, "relu");
  set_params(rnn);
  expect_report(
      rnn(wave_at({2, 3}, 1.3)),
      {{2, 4}, 6.430240366123309, 2.4784831488234986, {{0, 1.5891558644737502}, {4, 0.995806484833308}, {7, 0.0}}});
  EXPECT_EQ(rnn.extra_repr(), "3, 4, nonlinearity=relu");
  EXPECT_EMBER_ERROR(rnn(randn({2, 2, 3})), "RNNCell: Expected input to be 1D or 2D, got 3D instead");
  EXPECT_EMBER_ERROR(rnn(randn({2, 5})), "input has inconsistent input_size: got 5 expected 3");
  EXPECT_EMBER_ERROR(rnn(randn({2, 3}, kFloat64), randn({3, 4}, kFloat64)),
                     "Input batch size 2 doesn't match hidden0 batch size 3");
  EXPECT_EMBER_ERROR(rnn(randn({2, 3}, kFloat64), randn({2, 5}, kFloat64)),
                     "hidden0 has inconsistent hidden_size: got 5, expected 4");
  EXPECT_EMBER_ERROR(rnn(randn({2, 3}), randn({1, 2, 4})), "RNNCell: Expected hidden to be 1D or 2D, got 3D instead");
  nn::LSTMCell lstm_cell(3, 4);
  EXPECT_EMBER_ERROR(lstm_cell(randn({2, 2, 3})), "LSTMCell: Expected input to be 1D or 2D, got 3D instead");
}

TEST(RNNLayers, GradcheckThroughTimeLayersAndDirections) {
  for (const char* kind : {"lstm", "gru", "rnn"}) {
    SCOPED_TRACE(kind);
    std::shared_ptr<nn::RNNBase> m;
    if (std::string(kind) == "lstm")
      m = std::make_shared<nn::LSTM>(2, 3, nn::LSTMOptions{.num_layers = 2, .bidirectional = true, .proj_size = 2});
    if (std::string(kind) == "gru")
      m = std::make_shared<nn::GRU>(2, 3, nn::GRUOptions{.batch_first = true, .bidirectional = true});
    if (std::string(kind) == "rnn") m = std::make_shared<nn::RNN>(2, 3, nn::RNNOptions{.num_layers = 2});
    m->to(kFloat64);
    std::vector<Tensor> in{ember::testing::grad_input({3, 2, 2})};
    for (const Tensor& p : m->parameters()) in.push_back(p);
    expect_gradcheck([&](const std::vector<Tensor>& t) { return m->forward(t[0]); }, in);
  }
}

TEST(RNNLayers, ModesStatesAndBadInput) {
  manual_seed(9);
  nn::GRU gru(4, 6, {.num_layers = 3, .dropout = 0.5});
  EXPECT_TRUE(gru.depends_on_training_flag());
  const Tensor x = randn({7, 2, 4});
  gru.eval();
  const Tensor a = gru(x), b = gru(x);
  EXPECT_EQ(testing::max_abs_diff(a, b), 0.0);
  gru.train();
  EXPECT_GT(testing::max_abs_diff(gru(x), a), 1e-4);  // dropout between the layers
  // p = 1 drops every input of the layers after the first and nothing else: the output is
  // the last layer run alone on zeros.
  manual_seed(10);
  nn::GRU two(4, 6, {.num_layers = 2, .dropout = 1.0});
  nn::GRU last(6, 6);
  {
    NoGradGuard no_grad;
    const auto w = two.all_weights()[1], v = last.all_weights()[0];
    for (size_t i = 0; i < w.size(); ++i) Tensor(v[i]).copy_(w[i]);
  }
  const auto [dropped, h_dropped] = two(x, Tensor());
  const auto [alone, h_alone] = last(zeros({7, 2, 6}), Tensor());
  EXPECT_LT(testing::max_abs_diff(dropped, alone), 1e-6);
  EXPECT_LT(testing::max_abs_diff(h_dropped.select(0, 1), h_alone.select(0, 0)), 1e-6);
  EXPECT_GT(dropped.abs().sum().item<float>(), 0.0f);
  {
    NoGradGuard no_grad;
    const int64_t before = autograd::saved_tensor_stats().current_bytes;
    EXPECT_FALSE(gru(x).requires_grad());
    EXPECT_EQ(autograd::saved_tensor_stats().current_bytes, before);
  }
  // A sequence run in two halves, the state carried over: the same as one run.
  gru.eval();
  const auto [first, h1] = gru(x.narrow(0, 0, 3), Tensor());
  const auto [second, h2] = gru(x.narrow(0, 3, 4), h1);
  EXPECT_LT(testing::max_abs_diff(ember::cat({first, second}), a), 1e-6);
  nn::LSTM lstm(4, 6);
  EXPECT_EQ(lstm.all_weights()[0].size(), 4u);
  EXPECT_EMBER_ERROR(lstm(randn({7, 2, 4}, kFloat64)), "input must have the type torch.float32, got type torch.float64");
  EXPECT_EMBER_ERROR(lstm(randn({7, 2, 4}), {randn({1, 2, 6}, kFloat64), randn({1, 2, 6})}),
                     "Input and hidden tensors are not the same dtype, found input tensor with Float and hidden "
                     "tensor with Double");
  lstm.flatten_parameters();  // PyTorch's no-op for unpacked weights
  EXPECT_EMBER_ERROR(gru(randn({7, 4}), randn({2, 6})), "Expected hidden size (3, 1, 6), got [2, 1, 6]");
  EXPECT_EMBER_ERROR(lstm(randn({2, 7, 2, 4})), "LSTM: Expected input to be 2D or 3D, got 4D instead");
  EXPECT_EMBER_ERROR(lstm(randn({7, 2, 5})), "input.size(-1) must be equal to input_size. Expected 4, got 5");
  EXPECT_EMBER_ERROR(lstm(randn({0, 2, 4})), "Expected sequence length to be larger than 0 in RNN");
  EXPECT_EMBER_ERROR(lstm(randn({7, 2, 4}), {randn({1, 2, 6}), randn({2, 2, 6})}),
                     "Expected hidden[1] size (1, 2, 6), got [2, 2, 6]");
  EXPECT_EMBER_ERROR(lstm(randn({7, 4}), {randn({1, 2, 6}), randn({1, 2, 6})}),
                     "For unbatched 2-D input, hx and cx should also be 2-D but got (3-D, 3-D) tensors");
  EXPECT_EMBER_ERROR(gru(randn({7, 2, 4}), randn({2, 2, 6})), "Expected hidden size (3, 2, 6), got [2, 2, 6]");
  EXPECT_EMBER_ERROR(nn::LSTM(4, 6, {.proj_size = 6}), "proj_size has to be smaller than hidden_size");
  EXPECT_EMBER_ERROR(nn::RNN(4, 6, {.nonlinearity = "gelu"}), "Unknown nonlinearity 'gelu'");
  EXPECT_EMBER_ERROR(nn::GRU(4, 0), "hidden_size must be greater than zero");
}

// A call with states goes through Module::operator(): hooks see it, and weight_norm's
// recompute keeps working on a recurrent weight.
TEST(RNNLayers, CallsWithStatesRunHooksAndWeightNorm) {
  manual_seed(12);
  auto lstm = std::make_shared<nn::LSTM>(3, 5, nn::LSTMOptions{.num_layers = 2});
  const Tensor x = randn({4, 2, 3});
  const auto [before, state] = (*lstm)(x, {});
  int calls = 0;
  auto handle = lstm->register_forward_hook([&calls](nn::Module&, const Tensor&, const Tensor&) { ++calls; });
  (*lstm)(x, {std::get<0>(state), std::get<1>(state)});
  (*lstm)(x);
  EXPECT_EQ(calls, 2);
  handle.remove();
  nn::utils::weight_norm(lstm, "weight_hh_l1");
  const auto [after, unused] = (*lstm)(x, {});
  EXPECT_LT(testing::max_abs_diff(after, before), 1e-6);  // weight_norm starts at the same weight
  after.sum().backward();
  bool has_g = false;
  for (const auto& [name, p] : lstm->named_parameters())
    if (name == "weight_hh_l1_g") has_g = p.grad().defined();
  EXPECT_TRUE(has_g);
  // The cells too: a step with states is a call, and the states come back as without hooks.
  nn::LSTMCell cell(3, 5);
  const Tensor h = randn({2, 5}), c = randn({2, 5});
  const auto [h_plain, c_plain] = cell(x.select(0, 0), {h, c});
  auto cell_handle = cell.register_forward_hook([&calls](nn::Module&, const Tensor&, const Tensor&) { ++calls; });
  const auto [h_hooked, c_hooked] = cell(x.select(0, 0), {h, c});
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(testing::max_abs_diff(h_hooked, h_plain), 0.0);
  EXPECT_EQ(testing::max_abs_diff(c_hooked, c_plain), 0.0);
  cell_handle.remove();
  // No state is left behind: a plain call after a call with states starts from zeros.
  EXPECT_EQ(testing::max_abs_diff(cell(x.select(0, 0)), std::get<0>(cell(x.select(0, 0), {}))), 0.0);
  EXPECT_GT(testing::max_abs_diff(cell(x.select(0, 0)), h_plain), 1e-3);
}

// A long sequence: backward takes the steps' gradients in one node (no L^2 zero tensors).
TEST(RNNLayers, LongSequencesBackpropagate) {
  manual_seed(13);
  nn::GRU gru(2, 3);
  const Tensor x = randn({3000, 1, 2}).requires_grad_(true);
  gru(x).sum().backward();
  EXPECT_EQ(x.grad().sizes(), x.sizes());
  EXPECT_TRUE(ember::isfinite(x.grad()).all().item<bool>());
}

// The states of a call are the calling thread's: threads sharing one module for inference each
// get their own results (the frames were one vector per module, so they were corrupted or mixed).
TEST(RNNLayers, ThreadsShareAModuleWithTheirOwnStates) {
  manual_seed(3);
  nn::LSTM lstm(4, 5);
  lstm.eval();
  const NoGradGuard no_grad;
  constexpr int kThreads = 4, kCalls = 200;
  std::vector<Tensor> inputs, h0s, expected;
  for (int t = 0; t < kThreads; ++t) {
    inputs.push_back(randn({3, t + 1, 4}));
    h0s.push_back(randn({1, t + 1, 5}));
    expected.push_back(std::get<0>(lstm(inputs.back(), {h0s.back(), zeros({1, t + 1, 5})})));
  }
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const NoGradGuard inner;
      for (int i = 0; i < kCalls; ++i) {
        const Tensor out = std::get<0>(lstm(inputs[t], {h0s[t], zeros({1, t + 1, 5})}));
        if (!equal(out, expected[t])) ++wrong[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(wrong, std::vector<int>(kThreads, 0));
}

// Under autocast the layers take a 16-bit activation and states and run in the weights' float32
// (PyTorch's check_input skips the dtype check there), their projections on autocast's bf16
// list as any linear; outside it the dtype is checked.
TEST(RNNLayers, AutocastWidensA16BitInputToTheWeights) {
  manual_seed(4);
  nn::GRU gru(4, 6);
  nn::LSTM lstm(4, 6);
  const Tensor x = randn({5, 2, 4}), h0 = randn({1, 2, 6});
  const Tensor x16 = x.to(kBFloat16), h16 = h0.to(kBFloat16);
  const auto [plain, h_plain] = gru(x16.to(kFloat32), h16.to(kFloat32));
  {
    const AutocastGuard autocast(Device::cpu(), kBFloat16);
    const auto [out, h_n] = gru(x16, h16);
    EXPECT_EQ(out.dtype(), kFloat32);
    EXPECT_TRUE(allclose(out, plain, 0.05, 0.05));
    EXPECT_TRUE(allclose(h_n, h_plain, 0.05, 0.05));
    EXPECT_EQ(lstm(x16).dtype(), kFloat32);
    const auto packed = nn::utils::rnn::pack_padded_sequence(x16, tensor(std::vector<int64_t>{5, 3}, {2}));
    EXPECT_EQ(std::get<0>(lstm.forward_with_packed_input(packed)).data().dtype(), kFloat32);
  }
  EXPECT_EMBER_ERROR(gru(x16), "input must have the type torch.float32, got type torch.bfloat16");
}

}  // namespace
}  // namespace ember
