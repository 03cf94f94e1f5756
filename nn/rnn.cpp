// nn::RNN / LSTM / GRU and their cells: PyTorch's parameters, init (U(-1/sqrt(H), 1/sqrt(H))
// for every weight and bias), checks and messages; every step composed of recorded ops.
#include "nn/rnn.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <utility>

#include "core/autocast.h"
#include "core/error.h"
#include "core/factories.h"
#include "core/logging.h"
#include "core/native.h"
#include "core/ops.h"
#include "nn/functional/basic.h"
#include "nn/init.h"
#include "nn/repr.h"

namespace ember::nn {

namespace F = functional;
using Mode = RNNBase::Mode;
using detail::python_float;

// Note [Recurrence as recorded ops]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// A recurrent layer is ATen's CPU recurrence written with ember's ops: per layer and
// direction, the input's projection x W_ih^T + b_ih for every step at once (one product),
// then per step h W_hh^T + b_hh and the gates, in PyTorch's order (LSTM i, f, g, o; GRU r,
// z, n, with n = tanh(x_n + r * (h W_hn^T + b_hn)) and h' = n + z * (h - n), ATen's form of
// (1 - z) * n + z * h). Each op records its own node, so backpropagation through time,
// double backward and every device (CUDA's kernels and cuBLAS) come from those ops; no_grad
// saves nothing. The steps of the projection are taken by one node (split_rows): L narrows
// would each add a zero tensor of the whole projection in backward, L^2 work for L steps. The
// input runs as rows [steps * batch, in] in steps of batch_sizes rows, so padded and packed
// input (PackedSequence) share the loop. Packed steps shrink: going forward, the sequences
// that have ended leave the batch with their final state (the shortest, last in packed order);
// going back, they join it with their initial state at their own last step, as ATen's packed
// recurrence does. The cells run the same step (cell_step). A fused kernel per step (cuDNN's
// RNN on CUDA) would launch fewer and save less; this is the reference it would be held to.
namespace {

// reset_parameters of the RNN layers and cells: every own parameter U(-1/sqrt(hidden), 1/sqrt(hidden)).
void redraw_all_own(Module& module, int64_t hidden_size) {
  std::vector<Tensor> own = module.parameters(/*recurse=*/false);
  std::vector<Tensor*> params;
  for (Tensor& p : own) params.push_back(&p);
  init::redraw_uniform_(params, hidden_size > 0 ? 1.0 / std::sqrt(static_cast<double>(hidden_size)) : 0.0);
}

int64_t gates_of(Mode mode) { return mode == Mode::Lstm ? 4 : mode == Mode::Gru ? 3 : 1; }

std::string suffix(int64_t layer, int64_t direction) {
  return "_l" + std::to_string(layer) + (direction == 1 ? "_reverse" : "");
}

// One step: h' from the input's projection at this step (x_part), h and, for the LSTM, c
// (*c rebound to c'; no tensor is written); w_hr (LSTM's proj_size) projects h'.
Tensor cell_step(Mode mode, const Tensor& x_part, const Tensor& h, Tensor* c, const Tensor& w_hh, const Tensor& b_hh,
                 const Tensor& w_hr) {
  const Tensor hh = F::linear(h, w_hh, b_hh);
  const int64_t H = w_hh.size(0) / gates_of(mode);
  const auto gate = [H](const Tensor& t, int64_t k) { return t.narrow(-1, k * H, H); };
  switch (mode) {
    case Mode::RnnTanh:
      return ember::tanh(x_part + hh);
    case Mode::RnnRelu:
      return ember::relu(x_part + hh);
    case Mode::Lstm: {
      const Tensor gates = x_part + hh;
      const Tensor i = ember::sigmoid(gate(gates, 0)), f = ember::sigmoid(gate(gates, 1));
      const Tensor g = ember::tanh(gate(gates, 2)), o = ember::sigmoid(gate(gates, 3));
      *c = f * *c + i * g;
      const Tensor out = o * ember::tanh(*c);
      return w_hr.defined() ? F::linear(out, w_hr) : out;
    }
    case Mode::Gru: {
      const Tensor r = ember::sigmoid(gate(x_part, 0) + gate(hh, 0));
      const Tensor z = ember::sigmoid(gate(x_part, 1) + gate(hh, 1));
      const Tensor n = ember::tanh(gate(x_part, 2) + r * gate(hh, 2));
      return n + z * (h - n);
    }
  }
  return Tensor();
}

Mode rnn_mode(const std::string& nonlinearity) {
  EMBER_CHECK(nonlinearity == "tanh" || nonlinearity == "relu", "Unknown nonlinearity '", nonlinearity,
              "'. Select from 'tanh' or 'relu'.");
  return nonlinearity == "tanh" ? Mode::RnnTanh : Mode::RnnRelu;
}

std::string with_dims(const Dims& d) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < d.size(); ++i) os << (i ? ", " : "") << d[i];
  os << ")";
  return os.str();
}

// A state given for input batched or not: its rank checked (PyTorch's messages), a batch dim
// added for unbatched input, its shape, dtype and device checked against `expected`.
Tensor checked_state(const Tensor& state, const Tensor& input, bool batched, const Dims& expected,
                     const std::string& what) {
  if (!state.defined()) return zeros(expected, input.options());
  const Tensor s = batched ? state : state.unsqueeze(1);
  EMBER_CHECK(s.sizes() == expected, "Expected ", what, " size ", with_dims(expected), ", got ", s.sizes());
  // PyTorch's check_attributes (ATen's RNN.cpp)
  EMBER_CHECK(s.device() == input.device(), "Input and hidden tensors are not at the same device, found input tensor at ",
              input.device(), " and hidden tensor at ", s.device());
  EMBER_CHECK(s.dtype() == input.dtype(), "Input and hidden tensors are not the same dtype, found input tensor with ",
              dtype_torch_name(input.dtype()), " and hidden tensor with ", dtype_torch_name(s.dtype()));
  return s;
}

}  // namespace

RNNBase::RNNBase(std::string type_name, Mode m, int64_t in, int64_t hidden, int64_t layers, bool with_bias, bool first,
                 double p, bool both_ways, int64_t proj)
    : Module(std::move(type_name)),
      mode(m),
      input_size(in),
      hidden_size(hidden),
      num_layers(layers),
      bias(with_bias),
      batch_first(first),
      dropout(p),
      bidirectional(both_ways),
      proj_size(proj) {
  EMBER_CHECK(hidden > 0, "hidden_size must be greater than zero");
  EMBER_CHECK(layers > 0, "num_layers must be greater than zero");
  EMBER_CHECK(in >= 0, "input_size must not be negative, but got ", in);
  EMBER_CHECK(p >= 0 && p <= 1,
              "dropout should be a number in range [0, 1] representing the probability of an element being zeroed");
  EMBER_CHECK(proj >= 0, "proj_size should be a positive integer or zero to disable projections");
  EMBER_CHECK(proj < hidden, "proj_size has to be smaller than hidden_size");
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden));
  const int64_t gates = gates_of(m) * hidden, real_hidden = proj > 0 ? proj : hidden, directions = both_ways ? 2 : 1;
  for (int64_t layer = 0; layer < layers; ++layer)
    for (int64_t direction = 0; direction < directions; ++direction) {
      const std::string s = suffix(layer, direction);
      const int64_t layer_input = layer == 0 ? in : real_hidden * directions;
      std::array<Tensor*, 5> slot{};
      slot[0] = &register_parameter("weight_ih" + s, init::uniform({gates, layer_input}, bound));
      slot[1] = &register_parameter("weight_hh" + s, init::uniform({gates, real_hidden}, bound));
      if (with_bias) {
        slot[2] = &register_parameter("bias_ih" + s, init::uniform({gates}, bound));
        slot[3] = &register_parameter("bias_hh" + s, init::uniform({gates}, bound));
      }
      if (proj > 0) slot[4] = &register_parameter("weight_hr" + s, init::uniform({proj, hidden}, bound));
      slots_.push_back(slot);
    }
  if (p > 0 && layers == 1)
    logging::warn(
        "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
        "num_layers greater than 1, but got dropout={} and num_layers={}",
        python_float(p), layers);
}

std::vector<std::vector<Tensor>> RNNBase::all_weights() const {
  std::vector<std::vector<Tensor>> out;
  for (const auto& slot : slots_) {
    std::vector<Tensor> weights;
    for (const Tensor* t : slot)
      if (t != nullptr) weights.push_back(*t);
    out.push_back(weights);
  }
  return out;
}

std::tuple<Tensor, Tensor, Tensor> RNNBase::call(const Tensor& input, const Tensor& h0, const Tensor& c0) {
  auto [output, frame] = calls_.call(*this, input, {.h0 = h0, .c0 = c0});
  return {output, frame.h_n, frame.c_n};
}

std::tuple<utils::rnn::PackedSequence, Tensor, Tensor> RNNBase::call_packed(const utils::rnn::PackedSequence& packed,
                                                                            const Tensor& h0, const Tensor& c0) {
  EMBER_CHECK(packed.defined(), type_name(), ": expected a PackedSequence with data, got an empty one");
  const int64_t directions = bidirectional ? 2 : 1, batch = packed.batch_size();
  const Tensor& sorted = packed.sorted_indices();
  // The states in packed order, their shape checked first (PyTorch's message).
  const auto to_packed_order = [&](const Tensor& state, int64_t size, const char* what) {
    if (!state.defined()) return state;
    const Dims expected{num_layers * directions, batch, size};
    EMBER_CHECK(state.sizes() == expected, "Expected ", what, " size ", with_dims(expected), ", got ", state.sizes());
    return sorted.defined() ? ember::index_select(state, 1, sorted.to(state.device())) : state;
  };
  const bool lstm = mode == Mode::Lstm;
  const Tensor h0_packed = to_packed_order(h0, proj_size > 0 ? proj_size : hidden_size, lstm ? "hidden[0]" : "hidden");
  const Tensor c0_packed = to_packed_order(c0, hidden_size, "hidden[1]");
  auto [data, frame] =
      calls_.call(*this, packed.data(), {.h0 = h0_packed, .c0 = c0_packed, .batch_sizes = packed.batch_size_values()});
  Tensor h_n = frame.h_n, c_n = frame.c_n;
  const Tensor& unsorted = packed.unsorted_indices();
  if (unsorted.defined()) {
    h_n = ember::index_select(h_n, 1, unsorted);
    if (c_n.defined()) c_n = ember::index_select(c_n, 1, unsorted);
  }
  return {packed.with_data(data), h_n, c_n};
}

// The final states go to the call's frame only: a plain call's would keep its graph alive in
// the module.
Tensor RNNBase::forward(const Tensor& input) {
  detail::StatefulCalls::Frame* frame = calls_.claim();
  if (frame == nullptr) return std::get<0>(run(input, Tensor(), Tensor()));
  auto [output, h_n, c_n] = frame->batch_sizes.empty() ? run(input, frame->h0, frame->c0)
                                                       : run_packed(input, frame->batch_sizes, frame->h0, frame->c0);
  frame->h_n = h_n;
  frame->c_n = c_n;
  return output;
}

std::tuple<Tensor, Tensor, Tensor> RNNBase::run(const Tensor& input, const Tensor& h0, const Tensor& c0) {
  EMBER_CHECK(input.defined(), type_name(), ": expected a defined input");
  // PyTorch's words differ: RNN's "...D tensor instead", LSTM's and GRU's "...D instead".
  const bool plain_rnn = mode == Mode::RnnTanh || mode == Mode::RnnRelu;
  EMBER_CHECK(input.dim() == 2 || input.dim() == 3, type_name(), ": Expected input to be 2D or 3D, got ", input.dim(),
              plain_rnn ? "D tensor instead" : "D instead");
  const bool batched = input.dim() == 3;
  const Tensor x = !batched ? input.unsqueeze(1) : batch_first ? input.transpose(0, 1) : input;  // [L, N, in]
  EMBER_CHECK(x.size(2) == input_size, "input.size(-1) must be equal to input_size. Expected ", input_size, ", got ",
              x.size(2));
  EMBER_CHECK(x.size(0) > 0, "Expected sequence length to be larger than 0 in RNN");
  const int64_t L = x.size(0), N = x.size(1);
  auto [rows, h_n, c_n] =
      recur(x.reshape({L * N, input_size}), std::vector<int64_t>(static_cast<size_t>(L), N), h0, c0, batched);
  const Tensor steps = rows.reshape({L, N, rows.size(1)});
  Tensor output = !batched ? steps.squeeze(1) : batch_first ? steps.transpose(0, 1) : steps;
  if (!batched) {
    h_n = h_n.squeeze(1);
    if (c_n.defined()) c_n = c_n.squeeze(1);
  }
  return {output, h_n, c_n};
}

std::tuple<Tensor, Tensor, Tensor> RNNBase::run_packed(const Tensor& data, const std::vector<int64_t>& batch_sizes,
                                                       const Tensor& h0, const Tensor& c0) {
  EMBER_CHECK(data.dim() == 2, "input must have 2 dimensions, got ", data.dim());
  EMBER_CHECK(data.size(1) == input_size, "input.size(-1) must be equal to input_size. Expected ", input_size, ", got ",
              data.size(1));
  const int64_t rows = std::accumulate(batch_sizes.begin(), batch_sizes.end(), int64_t{0});
  EMBER_CHECK(data.size(0) == rows, type_name(), ": packed input data has ", data.size(0),
              " rows, but its batch_sizes sum to ", rows);
  return recur(data, batch_sizes, h0, c0, true);
}

std::tuple<Tensor, Tensor, Tensor> RNNBase::recur(const Tensor& x_in, const std::vector<int64_t>& batch_sizes,
                                                  const Tensor& h0_in, const Tensor& c0_in, bool batched) {
  const bool lstm = mode == Mode::Lstm;
  const Tensor& weight = *slots_[0][0];
  // Under autocast the layers run in their weights' dtype: a bf16 activation from an autocast
  // Linear and its states are widened to float32 (PyTorch skips its dtype check there).
  const bool widen = autocast::is_enabled(x_in.device().type()) && is_floating(x_in.dtype()) &&
                     x_in.dtype() != weight.dtype();
  const auto widened = [&](const Tensor& t) {
    return widen && t.defined() && is_floating(t.dtype()) ? t.to(weight.dtype()) : t;
  };
  const Tensor x = widened(x_in), h0 = widened(h0_in), c0 = widened(c0_in);
  EMBER_CHECK(x.dtype() == weight.dtype(), "input must have the type torch.", dtype_name(weight.dtype()),
              ", got type torch.", dtype_name(x.dtype()));
  EMBER_CHECK(x.device() == weight.device(), "Input and parameter tensors are not at the same device, found input "
              "tensor at ", x.device(), " and parameter tensor at ", weight.device());
  const auto rank_ok = [&](const Tensor& t) { return !t.defined() || t.dim() == (batched ? 3 : 2); };
  if (lstm)
    EMBER_CHECK(rank_ok(h0) && rank_ok(c0), "For ", batched ? "batched 3-D" : "unbatched 2-D",
                " input, hx and cx should also be ", batched ? "3-D" : "2-D", " but got (", h0.dim(), "-D, ", c0.dim(),
                "-D) tensors");
  else
    EMBER_CHECK(rank_ok(h0), "For ", batched ? "batched 3-D" : "unbatched 2-D", " input, hx should also be ",
                batched ? "3-D" : "2-D", " but got ", h0.dim(), "-D tensor");
  const int64_t T = static_cast<int64_t>(batch_sizes.size()), N = batch_sizes.front();
  const int64_t directions = bidirectional ? 2 : 1, real_hidden = proj_size > 0 ? proj_size : hidden_size;
  const Tensor h_start =
      checked_state(h0, x, batched, {num_layers * directions, N, real_hidden}, lstm ? "hidden[0]" : "hidden");
  const Tensor c_start =
      lstm ? checked_state(c0, x, batched, {num_layers * directions, N, hidden_size}, "hidden[1]") : Tensor();
  // The state's first n rows (all of them without a narrow).
  const auto first_rows = [](const Tensor& t, int64_t n) {
    return !t.defined() || t.size(0) == n ? t : t.narrow(0, 0, n);
  };
  std::vector<Tensor> h_last, c_last;
  Tensor layer_input = x;
  for (int64_t layer = 0; layer < num_layers; ++layer) {
    std::vector<Tensor> direction_outputs;
    for (int64_t direction = 0; direction < directions; ++direction) {
      const int64_t k = layer * directions + direction;
      const std::array<Tensor*, 5>& w = slots_[static_cast<size_t>(k)];
      const auto slot = [&w](size_t i) { return w[i] != nullptr ? *w[i] : Tensor(); };
      // x W_ih^T + b_ih, a piece per step
      const std::vector<Tensor> projected =
          utils::rnn::detail::split_rows(F::linear(layer_input, slot(0), slot(2)), batch_sizes);
      const Tensor h_init = h_start.select(0, k), c_init = lstm ? c_start.select(0, k) : Tensor();
      std::vector<Tensor> steps(static_cast<size_t>(T)), h_ended, c_ended;  // ended: the last rows first
      Tensor h = direction == 0 ? h_init : first_rows(h_init, batch_sizes.back());
      Tensor c = direction == 0 ? c_init : first_rows(c_init, batch_sizes.back());
      for (int64_t i = 0; i < T; ++i) {
        const int64_t t = direction == 1 ? T - 1 - i : i, n = batch_sizes[static_cast<size_t>(t)];
        if (n < h.size(0)) {  // going forward, the sequences past their end leave with their state
          h_ended.push_back(h.narrow(0, n, h.size(0) - n));
          h = h.narrow(0, 0, n);
          if (lstm) {
            c_ended.push_back(c.narrow(0, n, c.size(0) - n));
            c = c.narrow(0, 0, n);
          }
        } else if (n > h.size(0)) {  // going back, sequences join at their last step
          h = ember::cat({h, h_init.narrow(0, h.size(0), n - h.size(0))}, 0);
          if (lstm) c = ember::cat({c, c_init.narrow(0, c.size(0), n - c.size(0))}, 0);
        }
        h = cell_step(mode, projected[static_cast<size_t>(t)], h, &c, slot(1), slot(3), slot(4));
        steps[static_cast<size_t>(t)] = h;
      }
      const auto all_rows = [](Tensor last, std::vector<Tensor> ended) {
        if (ended.empty()) return last;
        ended.push_back(std::move(last));
        std::reverse(ended.begin(), ended.end());
        return ember::cat(ended, 0);
      };
      direction_outputs.push_back(ember::cat(steps, 0));
      h_last.push_back(all_rows(h, h_ended));
      if (lstm) c_last.push_back(all_rows(c, c_ended));
    }
    layer_input = directions == 2 ? ember::cat(direction_outputs, 1) : direction_outputs[0];
    if (dropout > 0 && is_training() && layer + 1 < num_layers) layer_input = F::dropout(layer_input, dropout, true);
  }
  return {layer_input, ember::stack(h_last, 0), lstm ? ember::stack(c_last, 0) : Tensor()};
}

void RNNBase::reset_parameters() { redraw_all_own(*this, hidden_size); }

std::string RNNBase::extra_repr() const {
  std::ostringstream os;
  os << input_size << ", " << hidden_size;
  if (proj_size != 0) os << ", proj_size=" << proj_size;
  if (num_layers != 1) os << ", num_layers=" << num_layers;
  if (!bias) os << ", bias=False";
  if (batch_first) os << ", batch_first=True";
  if (dropout != 0) os << ", dropout=" << python_float(dropout);
  if (bidirectional) os << ", bidirectional=True";
  return os.str();
}

std::string RNNBase::eval_mode_effect() const {
  std::ostringstream os;
  os << type_name() << "(dropout=" << python_float(dropout) << ") dropped nothing between its layers";
  return os.str();
}

std::tuple<Tensor, Tensor> SingleStateRNNBase::forward(const Tensor& input, const Tensor& hx) {
  const auto [output, h_n, unused] = call(input, hx, Tensor());
  return {output, h_n};
}

std::tuple<utils::rnn::PackedSequence, Tensor> SingleStateRNNBase::forward_with_packed_input(
    const utils::rnn::PackedSequence& input, const Tensor& hx) {
  const auto [output, h_n, unused] = call_packed(input, hx, Tensor());
  return {output, h_n};
}

RNN::RNN(int64_t in, int64_t hidden, RNNOptions o)
    : SingleStateRNNBase("RNN", rnn_mode(o.nonlinearity), in, hidden, o.num_layers, o.bias, o.batch_first, o.dropout,
                         o.bidirectional, 0) {}

LSTM::LSTM(int64_t in, int64_t hidden, LSTMOptions o)
    : RNNBase("LSTM", Mode::Lstm, in, hidden, o.num_layers, o.bias, o.batch_first, o.dropout, o.bidirectional,
              o.proj_size) {}

std::tuple<Tensor, std::tuple<Tensor, Tensor>> LSTM::forward(const Tensor& input,
                                                             const std::tuple<Tensor, Tensor>& hx) {
  const auto& [h0, c0] = hx;
  EMBER_CHECK(h0.defined() == c0.defined(), "LSTM: expected hx as (h_0, c_0), both given or neither");
  const auto [output, h_n, c_n] = call(input, h0, c0);
  return {output, {h_n, c_n}};
}

std::tuple<utils::rnn::PackedSequence, std::tuple<Tensor, Tensor>> LSTM::forward_with_packed_input(
    const utils::rnn::PackedSequence& input, const std::tuple<Tensor, Tensor>& hx) {
  const auto& [h0, c0] = hx;
  EMBER_CHECK(h0.defined() == c0.defined(), "LSTM: expected hx as (h_0, c_0), both given or neither");
  const auto [output, h_n, c_n] = call_packed(input, h0, c0);
  return {output, {h_n, c_n}};
}

GRU::GRU(int64_t in, int64_t hidden, GRUOptions o)
    : SingleStateRNNBase("GRU", Mode::Gru, in, hidden, o.num_layers, o.bias, o.batch_first, o.dropout, o.bidirectional,
                         0) {}

// ---------------------------------------------------------------- cells
RNNCellBase::RNNCellBase(std::string type_name, Mode m, int64_t in, int64_t hidden, bool with_bias)
    : Module(std::move(type_name)),
      mode(m),
      input_size(in),
      hidden_size(hidden),
      bias(with_bias),
      weight_ih(register_parameter(
          "weight_ih", init::uniform({gates_of(m) * hidden, in}, 1.0 / std::sqrt(static_cast<double>(hidden))))),
      weight_hh(register_parameter(
          "weight_hh", init::uniform({gates_of(m) * hidden, hidden}, 1.0 / std::sqrt(static_cast<double>(hidden))))),
      bias_ih(register_parameter(
          "bias_ih",
          with_bias ? init::uniform({gates_of(m) * hidden}, 1.0 / std::sqrt(static_cast<double>(hidden))) : Tensor())),
      bias_hh(register_parameter(
          "bias_hh", with_bias ? init::uniform({gates_of(m) * hidden}, 1.0 / std::sqrt(static_cast<double>(hidden)))
                               : Tensor())) {}

std::tuple<Tensor, Tensor> RNNCellBase::call(const Tensor& input, const Tensor& h, const Tensor& c) {
  auto [h_next, frame] = calls_.call(*this, input, {.h0 = h, .c0 = c});
  return {h_next, frame.c_n};
}

Tensor RNNCellBase::forward(const Tensor& input) {
  detail::StatefulCalls::Frame* frame = calls_.claim();
  Tensor c = frame != nullptr ? frame->c0 : Tensor();
  Tensor h_next = step(input, frame != nullptr ? frame->h0 : Tensor(), mode == Mode::Lstm ? &c : nullptr);
  if (frame != nullptr) frame->c_n = c;
  return h_next;
}

Tensor RNNCellBase::step(const Tensor& input, const Tensor& h_in, Tensor* c) {
  EMBER_CHECK(input.defined(), type_name(), ": expected a defined input");
  EMBER_CHECK(input.dim() == 1 || input.dim() == 2, type_name(), ": Expected input to be 1D or 2D, got ",
              input.dim(), "D instead");
  const bool batched = input.dim() == 2;
  const Tensor x = batched ? input : input.unsqueeze(0);
  EMBER_CHECK(x.size(1) == input_size, "input has inconsistent input_size: got ", x.size(1), " expected ", input_size);
  // `name`: ATen's label in its size checks; `python_name`: the cell's forward's, in the rank check
  const auto state = [&](const Tensor& s, const char* name, const char* python_name) {
    if (!s.defined()) return zeros({x.size(0), hidden_size}, x.options());
    EMBER_CHECK(s.dim() == 1 || s.dim() == 2, type_name(), ": Expected ", python_name, " to be 1D or 2D, got ",
                s.dim(), "D instead");
    EMBER_CHECK(s.dim() == input.dim(), type_name(), ": Expected ", name, " to be ", input.dim(),
                "-D like the input, but received ", s.dim(), "-D tensor");
    const Tensor b = batched ? s : s.unsqueeze(0);
    EMBER_CHECK(b.size(0) == x.size(0), "Input batch size ", x.size(0), " doesn't match ", name, " batch size ",
                b.size(0));
    EMBER_CHECK(b.size(1) == hidden_size, name, " has inconsistent hidden_size: got ", b.size(1), ", expected ",
                hidden_size);
    return b;
  };
  // PyTorch 2's names: RNNCell's and GRUCell's "hidden", LSTMCell's "hx[0]" and "hx[1]"
  const Tensor h = state(h_in, "hidden0", c != nullptr ? "hx[0]" : "hidden");
  Tensor c_state = c != nullptr ? state(*c, "hidden1", "hx[1]") : Tensor();
  Tensor out = cell_step(mode, F::linear(x, weight_ih, bias_ih), h, &c_state, weight_hh, bias_hh, Tensor());
  if (c != nullptr) *c = batched ? c_state : c_state.squeeze(0);
  return batched ? out : out.squeeze(0);
}

void RNNCellBase::reset_parameters() { redraw_all_own(*this, hidden_size); }

std::string RNNCellBase::extra_repr() const {
  std::ostringstream os;
  os << input_size << ", " << hidden_size;
  if (!bias) os << ", bias=False";
  if (mode == Mode::RnnRelu) os << ", nonlinearity=relu";
  return os.str();
}

RNNCell::RNNCell(int64_t in, int64_t hidden, bool with_bias, const std::string& nonlinearity)
    : RNNCellBase("RNNCell", rnn_mode(nonlinearity), in, hidden, with_bias) {}

Tensor RNNCell::forward(const Tensor& input, const Tensor& hx) { return std::get<0>(call(input, hx, Tensor())); }

LSTMCell::LSTMCell(int64_t in, int64_t hidden, bool with_bias)
    : RNNCellBase("LSTMCell", Mode::Lstm, in, hidden, with_bias) {}

std::tuple<Tensor, Tensor> LSTMCell::forward(const Tensor& input, const std::tuple<Tensor, Tensor>& hx) {
  const auto& [h0, c0] = hx;
  EMBER_CHECK(h0.defined() == c0.defined(), "LSTMCell: expected hx as (h, c), both given or neither");
  return call(input, h0, c0);
}

GRUCell::GRUCell(int64_t in, int64_t hidden, bool with_bias)
    : RNNCellBase("GRUCell", Mode::Gru, in, hidden, with_bias) {}

Tensor GRUCell::forward(const Tensor& input, const Tensor& hx) { return std::get<0>(call(input, hx, Tensor())); }

}  // namespace ember::nn
