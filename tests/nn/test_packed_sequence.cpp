// torch.nn.utils.rnn's packing against PyTorch 1.13 (orders, values, messages), and the
// recurrent layers on packed input: PyTorch's values and gradients, each sequence run alone.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <memory>
#include <string>
#include <vector>

#include "nn/volumetric_values.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::cos_weights;
using ember::testing::expect_report;
using ember::testing::set_params;
using ember::testing::wave_at;
using nn::utils::rnn::pack_padded_sequence;
using nn::utils::rnn::pack_sequence;
using nn::utils::rnn::PackedSequence;
using nn::utils::rnn::pad_packed_sequence;
using nn::utils::rnn::pad_sequence;
using nn::utils::rnn::unpack_sequence;
using nn::utils::rnn::unpad_sequence;

std::vector<int64_t> ints(const Tensor& t) { return t.cpu().to(kInt64).to_vector<int64_t>(); }
std::vector<double> values(const Tensor& t) { return t.cpu().to(kFloat64).contiguous().to_vector<double>(); }

TEST(PackedSequence, PackingAndPaddingMatchPyTorch) {
  // x = arange(12).reshape(4, 3): 3 sequences of lengths 2, 3, 2 (a tie: stably sorted).
  const Tensor x = arange(12, TensorOptions(kFloat32)).reshape({4, 3}).requires_grad_(true);
  const PackedSequence p = pack_padded_sequence(x, std::vector<int64_t>{2, 3, 2}, false, false);
  EXPECT_EQ(values(p.data()), (std::vector<double>{1, 0, 2, 4, 3, 5, 7}));
  EXPECT_EQ(ints(p.batch_sizes()), (std::vector<int64_t>{3, 3, 1}));
  EXPECT_EQ(ints(p.sorted_indices()), (std::vector<int64_t>{1, 0, 2}));
  EXPECT_EQ(ints(p.unsorted_indices()), (std::vector<int64_t>{1, 0, 2}));
  const auto [padded, lengths] = pad_packed_sequence(p, false, -1.0, 5);
  EXPECT_EQ(ints(lengths), (std::vector<int64_t>{2, 3, 2}));
  EXPECT_EQ(values(padded), (std::vector<double>{0, 1, 2, 3, 4, 5, -1, 7, -1, -1, -1, -1, -1, -1, -1}));  // [5, 3]
  // Gradients go back to the packed places only: one gather each way.
  (padded * arange(15, TensorOptions(kFloat32)).reshape({5, 3})).sum().backward();
  EXPECT_EQ(values(x.grad()), (std::vector<double>{0, 1, 2, 3, 4, 5, 0, 7, 0, 0, 0, 0}));
  EXPECT_EQ(p.data().grad_fn()->name(), "IndexSelectBackward");
  // batch_first, sorted: steps of the longest first; pad_sequence pads empty sequences too.
  const Tensor seqs = pad_sequence({ones({2, 2}), full({0, 2}, 2.0), full({3, 2}, 3.0)}, true, -1.0);
  EXPECT_EQ(seqs.sizes(), (Dims{3, 3, 2}));
  EXPECT_EQ(values(seqs), (std::vector<double>{1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1, 3, 3, 3, 3, 3, 3}));
  const Tensor y = arange(30, TensorOptions(kFloat32)).reshape({5, 6});
  EXPECT_EQ(ints(pack_padded_sequence(y, std::vector<int64_t>{2, 3, 2, 5, 2, 2}, false, false).sorted_indices()),
            (std::vector<int64_t>{3, 1, 0, 2, 4, 5}));
  const Tensor b = arange(8, TensorOptions(kFloat32)).reshape({2, 4});  // [B=2, T=4]
  const PackedSequence q = pack_padded_sequence(b, ember::tensor<int64_t>({4, 1}), true);
  EXPECT_FALSE(q.sorted_indices().defined());
  EXPECT_EQ(values(q.data()), (std::vector<double>{0, 4, 1, 2, 3}));
  EXPECT_EQ(ints(q.batch_sizes()), (std::vector<int64_t>{2, 1, 1, 1}));
}

TEST(PackedSequence, RoundTripsAndMoves) {
  manual_seed(3);
  const std::vector<Tensor> seqs{randn({2, 3}), randn({5, 3}), randn({1, 3}), randn({5, 3})};
  const PackedSequence p = pack_sequence(seqs, false);
  EXPECT_EQ(ints(p.batch_sizes()), (std::vector<int64_t>{4, 3, 2, 2, 2}));
  EXPECT_EQ(ints(p.sorted_indices()), (std::vector<int64_t>{1, 3, 0, 2}));
  EXPECT_EQ(p.batch_size(), 4);
  const std::vector<Tensor> back = unpack_sequence(p);
  ASSERT_EQ(back.size(), seqs.size());
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(testing::max_abs_diff(back[i], seqs[i]), 0.0) << i;
  const PackedSequence d = p.to(kFloat64);
  EXPECT_EQ(d.data().dtype(), kFloat64);
  EXPECT_EQ(ints(d.unsorted_indices()), (std::vector<int64_t>{2, 0, 3, 1}));
  const Tensor padded = pad_sequence(seqs, true);
  const std::vector<Tensor> unpadded = unpad_sequence(padded, ember::tensor<int64_t>({2, 5, 1, 5}), true);
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(testing::max_abs_diff(unpadded[i], seqs[i]), 0.0) << i;
  // Lengths of any number type, as libtorch converts them; sequences converted to the first's
  // dtype, as PyTorch copies them into its output.
  EXPECT_EQ(
      ints(pack_padded_sequence(padded, ember::tensor<float>({2.0f, 5.0f, 1.0f, 5.0f}), true, false).batch_sizes()),
      (std::vector<int64_t>{4, 3, 2, 2, 2}));
  const Tensor mixed = pad_sequence({ones({1, 2}, kFloat64), full({2, 2}, 2.0, kInt64)});
  EXPECT_EQ(mixed.dtype(), kFloat64);
  EXPECT_EQ(values(mixed), (std::vector<double>{1, 1, 2, 2, 0, 0, 2, 2}));
  // unpad_sequence gives copies: writing one leaves the padded input alone.
  Tensor(unpadded[0]).fill_(7.0);
  EXPECT_EQ(testing::max_abs_diff(padded.select(0, 0).narrow(0, 0, 2), seqs[0]), 0.0);
  // An empty PackedSequence (default-constructed) has no batch.
  EXPECT_FALSE(PackedSequence().defined());
  EXPECT_EQ(PackedSequence().batch_size(), 0);
  // The constructor computes unsorted_indices from sorted_indices.
  const PackedSequence made(randn({3, 2}), ember::tensor<int64_t>({2, 1}), ember::tensor<int64_t>({1, 0}));
  EXPECT_EQ(ints(made.unsorted_indices()), (std::vector<int64_t>{1, 0}));
}

TEST(PackedSequence, BadInputNamesTheProblem) {
  const Tensor x = zeros({4, 3});
  EXPECT_EMBER_ERROR(pack_padded_sequence(x, std::vector<int64_t>{3, 4, 1}),
                     "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
                     "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence");
  EXPECT_EMBER_ERROR(pack_padded_sequence(x, std::vector<int64_t>{3, 1, 0}),
                     "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0");
  EXPECT_EMBER_ERROR(pack_padded_sequence(x, std::vector<int64_t>{3, 1}),
                     "Expected `len(lengths)` to be equal to batch_size, but got 2 (batch_size=3)");
  EXPECT_EMBER_ERROR(pack_padded_sequence(x, std::vector<int64_t>{5, 1, 1}),
                     "pack_padded_sequence: a length of 5 is longer than the padded input's 4 steps");
  EXPECT_EMBER_ERROR(pack_padded_sequence(x, std::vector<int64_t>{1, -1, 0}),
                     "Length of all samples has to be greater than 0");  // checked before the order
  EXPECT_EMBER_ERROR(pack_padded_sequence(x, ember::tensor<int64_t>({3, 1, 1}) > 0),
                     "'lengths' argument should be a 1D CPU int64 tensor, but got 1D cpu Bool tensor");
  EXPECT_EMBER_ERROR(pack_padded_sequence(x, ember::tensor<int64_t>({3, 1, 1}).reshape({1, 3})),
                     "'lengths' argument should be a 1D CPU int64 tensor, but got 2D cpu Long tensor");
  EXPECT_EMBER_ERROR(pack_padded_sequence(zeros({4, 0}), std::vector<int64_t>{}), "Cannot pack empty tensors.");
  EXPECT_EMBER_ERROR(pack_padded_sequence(zeros({4}), std::vector<int64_t>{4}),
                     "pack_padded_sequence: expected input of at least 2 dimensions");
  const PackedSequence p = pack_padded_sequence(x, std::vector<int64_t>{3, 1, 1});
  EXPECT_EMBER_ERROR(pad_packed_sequence(p, false, 0.0, 2),
                     "Expected total_length to be at least the length of the longest sequence in input, but got "
                     "total_length=2 and max sequence length being 3");
  EXPECT_EMBER_ERROR(pad_sequence({}), "received an empty list of sequences");
  EXPECT_EMBER_ERROR(pad_sequence({zeros({2, 3}), zeros({2, 4})}),
                     "pad_sequence: every sequence must be [L, *] with the first's trailing shape [3], but sequence 1 "
                     "is [2, 4]");
  EXPECT_EMBER_ERROR(PackedSequence(zeros({4, 2}), ember::tensor<int64_t>({2, 1})),
                     "PackedSequence: batch_sizes sum to 3 steps, but data has 4 rows");
  EXPECT_EMBER_ERROR(PackedSequence(zeros({3, 2}), ember::tensor<int64_t>({1, 2})),
                     "PackedSequence: batch_sizes must not grow");
  EXPECT_EMBER_ERROR(PackedSequence(zeros({3, 2}), ember::tensor<int64_t>({2, 1}), ember::tensor<int64_t>({1, 1})),
                     "PackedSequence: sorted_indices is not a permutation of 0..1");
  EXPECT_EMBER_ERROR(unpad_sequence(zeros({4, 2}), ember::tensor<int64_t>({5, 1})),
                     "unpad_sequence: length 5 of sequence 0 is outside the padded input's 4 steps");
}

TEST(PackedSequence, LstmOnPackedInputMatchesPyTorch) {
  // nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True); x = ar(3,5,3,.1),
  // lengths [3, 5, 2] unsorted; h0 = ar(4,3,4,.2,.5), c0 = ar(4,3,4,.3,.5).
  nn::LSTM lstm(3, 4, {.num_layers = 2, .batch_first = true, .bidirectional = true});
  set_params(lstm);
  const Tensor x = wave_at({3, 5, 3}, 0.1).requires_grad_(true);
  const PackedSequence packed = pack_padded_sequence(x, std::vector<int64_t>{3, 5, 2}, true, false);
  EXPECT_EQ(ints(packed.batch_sizes()), (std::vector<int64_t>{3, 3, 2, 1, 1}));
  const auto [out, state] =
      lstm.forward_with_packed_input(packed, {wave_at({4, 3, 4}, 0.2, 0.5), wave_at({4, 3, 4}, 0.3, 0.5)});
  const auto& [h, c] = state;
  const auto [padded, lengths] = pad_packed_sequence(out, true);
  EXPECT_EQ(ints(lengths), (std::vector<int64_t>{3, 5, 2}));
  expect_report(padded, {{3, 5, 8},
                         -7.409391101842378,
                         0.07749353771724546,
                         {{0, 0.11096848327142907}, {60, -0.21075996204461733}, {119, 0.0}}});
  expect_report(h, {{4, 3, 4},
                    -3.4401130014321173,
                    -0.5600093399373747,
                    {{0, -0.36902472724320873}, {24, 0.1894159747812561}, {47, -0.2324262869438459}}});
  expect_report(c, {{4, 3, 4},
                    -8.184823428468016,
                    -0.992060477213988,
                    {{0, -0.745783754938973}, {24, 0.6552180384692086}, {47, -0.3558149718115703}}});
  (padded * cos_weights(padded)).sum().backward();
  expect_report(x.grad(), {{3, 5, 3},
                           0.05561661143776321,
                           -0.14670641264746254,
                           {{0, 0.028953236513347316}, {22, 0.005275494384245943}, {44, 0.0}}});
  expect_report(lstm.all_weights()[3][1].grad(),  // weight_hh_l1_reverse
                {{16, 4},
                 -0.5734437195664708,
                 0.10513612793203053,
                 {{0, -0.03749437777069406}, {32, 0.25425706170302587}, {63, 0.05095647349693898}}});
  // nn.GRU(2, 3) on ar(4,3,2,.4) packed with lengths [4, 2, 1] (sorted), no state.
  nn::GRU gru(2, 3);
  set_params(gru);
  const auto [gout, gh] =
      gru.forward_with_packed_input(pack_padded_sequence(wave_at({4, 3, 2}, 0.4), std::vector<int64_t>{4, 2, 1}));
  EXPECT_EQ(ints(gout.batch_sizes()), (std::vector<int64_t>{3, 2, 1, 1}));
  expect_report(gout.data(), {{7, 3},
                              -8.09673364849838,
                              -0.6195750598213807,
                              {{0, -0.29778808900569853}, {10, -0.5136678015197538}, {20, -0.2655777150568186}}});
  expect_report(gh, {{1, 3, 3},
                     -3.5890916521078733,
                     -0.7351015638192038,
                     {{0, -0.4456208197270059}, {4, -0.4522936491708382}, {8, -0.31942281926089444}}});
}

// Each sequence of a packed batch, run alone and unbatched, gives the same outputs and final
// states: the packed loop's shrinking and growing batch is exactly per-sequence recurrence.
TEST(PackedSequence, EachSequenceRunsAsIfAlone) {
  manual_seed(21);
  const std::vector<int64_t> lengths{3, 6, 1, 6, 4};
  std::vector<Tensor> seqs;
  for (const int64_t n : lengths) seqs.push_back(randn({n, 3}, kFloat64));
  const Tensor h0 = randn({4, 5, 2}, kFloat64), c0 = randn({4, 5, 5}, kFloat64);
  for (const char* kind : {"lstm", "gru", "rnn"}) {
    SCOPED_TRACE(kind);
    const std::string k = kind;
    std::shared_ptr<nn::RNNBase> m;
    if (k == "lstm")
      m = std::make_shared<nn::LSTM>(3, 5, nn::LSTMOptions{.num_layers = 2, .bidirectional = true, .proj_size = 2});
    if (k == "gru") m = std::make_shared<nn::GRU>(3, 2, nn::GRUOptions{.num_layers = 2, .bidirectional = true});
    if (k == "rnn") m = std::make_shared<nn::RNN>(3, 2, nn::RNNOptions{.num_layers = 4});
    m->to(kFloat64);
    const PackedSequence packed = pack_sequence(seqs, false);
    Tensor out_data, h_n, c_n;
    if (k == "lstm") {
      auto [o, s] = std::static_pointer_cast<nn::LSTM>(m)->forward_with_packed_input(packed, {h0, c0});
      out_data = o.data();
      h_n = std::get<0>(s);
      c_n = std::get<1>(s);
      EXPECT_EQ(ints(o.sorted_indices()), ints(packed.sorted_indices()));
    } else {
      auto [o, h] = k == "gru" ? std::static_pointer_cast<nn::GRU>(m)->forward_with_packed_input(packed, h0)
                               : std::static_pointer_cast<nn::RNN>(m)->forward_with_packed_input(packed, h0);
      out_data = o.data();
      h_n = h;
    }
    const std::vector<Tensor> outs =
        unpack_sequence(PackedSequence(out_data, packed.batch_sizes(), packed.sorted_indices()));
    for (size_t i = 0; i < seqs.size(); ++i) {
      SCOPED_TRACE(i);
      const int64_t b = static_cast<int64_t>(i);
      Tensor alone_out, alone_h, alone_c;
      if (k == "lstm") {
        auto [o, s] = (*std::static_pointer_cast<nn::LSTM>(m))(seqs[i], {h0.select(1, b), c0.select(1, b)});
        alone_out = o;
        alone_h = std::get<0>(s);
        alone_c = std::get<1>(s);
      } else {
        auto [o, h] = k == "gru" ? (*std::static_pointer_cast<nn::GRU>(m))(seqs[i], h0.select(1, b))
                                 : (*std::static_pointer_cast<nn::RNN>(m))(seqs[i], h0.select(1, b));
        alone_out = o;
        alone_h = h;
      }
      EXPECT_LT(testing::max_abs_diff(outs[i], alone_out), 1e-12);
      EXPECT_LT(testing::max_abs_diff(h_n.select(1, b), alone_h), 1e-12);
      if (k == "lstm") {
        EXPECT_LT(testing::max_abs_diff(c_n.select(1, b), alone_c), 1e-12);
      }
    }
  }
}

TEST(PackedSequence, GradcheckThroughPackedLayers) {
  manual_seed(22);
  nn::GRU gru(2, 3, {.bidirectional = true});
  gru.to(kFloat64);
  std::vector<Tensor> in{ember::testing::grad_input({4, 3, 2}), randn({2, 3, 3}, kFloat64).requires_grad_(true)};
  for (const Tensor& p : gru.parameters()) in.push_back(p);
  ember::testing::expect_gradcheck(
      [&](const std::vector<Tensor>& t) {
        const PackedSequence p = pack_padded_sequence(t[0], std::vector<int64_t>{2, 4, 1}, false, false);
        const auto [out, h] = gru.forward_with_packed_input(p, t[1]);
        return ember::cat({std::get<0>(pad_packed_sequence(out)).reshape({-1}), h.reshape({-1})});
      },
      in);
}

// Packed calls go through Module::operator() (hooks see the packed data), keep no packed
// state behind after an error, and check the state against the packed batch.
TEST(PackedSequence, PackedCallsRunHooksAndCheckStates) {
  manual_seed(23);
  nn::LSTM lstm(3, 4);
  int calls = 0;
  int64_t rows_seen = 0;
  auto handle = lstm.register_forward_hook([&](nn::Module&, const Tensor& in, const Tensor&) {
    ++calls;
    rows_seen = in.size(0);
  });
  const PackedSequence p = pack_sequence({randn({3, 3}), randn({2, 3})});
  lstm.forward_with_packed_input(p);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(rows_seen, 5);
  handle.remove();
  EXPECT_EMBER_ERROR(lstm.forward_with_packed_input(p, {randn({1, 3, 4}), randn({1, 3, 4})}),
                     "Expected hidden[0] size (1, 2, 4), got [1, 3, 4]");
  EXPECT_EQ(lstm(randn({6, 2, 3})).sizes(), (Dims{6, 2, 4}));  // a padded call after the error
  EXPECT_EMBER_ERROR(lstm.forward_with_packed_input(PackedSequence(randn({5, 2}), p.batch_sizes())),
                     "input.size(-1) must be equal to input_size. Expected 3, got 2");
  EXPECT_EMBER_ERROR(lstm.forward_with_packed_input(PackedSequence(randn({5, 2, 3}), p.batch_sizes())),
                     "input must have 2 dimensions, got 3");
  // An unsorted batch: the state's shape is checked before it is put in packed order.
  const PackedSequence unsorted = pack_sequence({randn({2, 3}), randn({3, 3})}, false);
  EXPECT_EMBER_ERROR(lstm.forward_with_packed_input(unsorted, {randn({1, 3, 4}), randn({1, 3, 4})}),
                     "Expected hidden[0] size (1, 2, 4), got [1, 3, 4]");
  EXPECT_EMBER_ERROR(lstm.forward_with_packed_input(unsorted, {randn({1, 2, 4}), randn({2, 4})}),
                     "Expected hidden[1] size (1, 2, 4), got [2, 4]");
  {
    NoGradGuard no_grad;
    const int64_t before = autograd::saved_tensor_stats().current_bytes;
    const auto [out, state] = lstm.forward_with_packed_input(p);
    EXPECT_FALSE(out.data().requires_grad());
    EXPECT_EQ(autograd::saved_tensor_stats().current_bytes, before);
  }
}

// A hook that calls the same module (plainly, with states, or packed) gets its own states and
// leaves the outer call's alone: the outer call's results are those of a call without hooks.
TEST(PackedSequence, HooksCallingTheSameModuleLeaveTheOuterCallAlone) {
  manual_seed(24);
  nn::LSTM lstm(3, 4);
  const Tensor x = randn({5, 2, 3}), h0 = randn({1, 2, 4}), c0 = randn({1, 2, 4});
  const PackedSequence p = pack_sequence({randn({2, 3}), randn({4, 3}), randn({1, 3})}, false);
  const auto [out_plain, state_plain] = lstm(x, {h0, c0});
  const auto [packed_plain, packed_state_plain] =
      lstm.forward_with_packed_input(p, {h0.narrow(1, 0, 1).repeat({1, 3, 1}), c0.narrow(1, 0, 1).repeat({1, 3, 1})});
  // The hooks call the module again (plainly, packed, with states of their own); `inside` keeps
  // the inner calls from running the hooks in turn.
  int inner_calls = 0;
  bool inside = false;
  auto pre = lstm.register_forward_pre_hook([&](nn::Module& m, const Tensor& in) {
    if (inside) return in;
    inside = true;
    ++inner_calls;
    nn::LSTM& same = static_cast<nn::LSTM&>(m);
    if (in.dim() == 3) same(in);
    same.forward_with_packed_input(p);
    inside = false;
    return in;
  });
  auto post = lstm.register_forward_hook([&](nn::Module& m, const Tensor&, const Tensor&) {
    if (inside) return;
    inside = true;
    static_cast<nn::LSTM&>(m).forward(x.narrow(0, 0, 2), {h0, c0});
    inside = false;
  });
  const auto [out, state] = lstm(x, {h0, c0});
  EXPECT_EQ(testing::max_abs_diff(out, out_plain), 0.0);
  EXPECT_EQ(testing::max_abs_diff(std::get<0>(state), std::get<0>(state_plain)), 0.0);
  EXPECT_EQ(testing::max_abs_diff(std::get<1>(state), std::get<1>(state_plain)), 0.0);
  const auto [packed, packed_state] =
      lstm.forward_with_packed_input(p, {h0.narrow(1, 0, 1).repeat({1, 3, 1}), c0.narrow(1, 0, 1).repeat({1, 3, 1})});
  EXPECT_EQ(testing::max_abs_diff(packed.data(), packed_plain.data()), 0.0);
  EXPECT_EQ(testing::max_abs_diff(std::get<0>(packed_state), std::get<0>(packed_state_plain)), 0.0);
  EXPECT_EQ(inner_calls, 2);
  pre.remove();
  post.remove();
  // A cell whose forward hook steps the same cell: the outer c' comes back.
  nn::LSTMCell cell(3, 4);
  const auto [h_plain, c_plain] = cell(x.select(0, 0), {h0.select(0, 0), c0.select(0, 0)});
  inside = false;
  auto cell_hook = cell.register_forward_hook([&](nn::Module& m, const Tensor& in, const Tensor&) {
    if (inside) return;
    inside = true;
    static_cast<nn::LSTMCell&>(m)(in);
    static_cast<nn::LSTMCell&>(m)(in, {c0.select(0, 0), h0.select(0, 0)});
    inside = false;
  });
  const auto [h, c] = cell(x.select(0, 0), {h0.select(0, 0), c0.select(0, 0)});
  ASSERT_TRUE(c.defined());
  EXPECT_EQ(testing::max_abs_diff(h, h_plain), 0.0);
  EXPECT_EQ(testing::max_abs_diff(c, c_plain), 0.0);
  cell_hook.remove();
}

}  // namespace
}  // namespace ember
