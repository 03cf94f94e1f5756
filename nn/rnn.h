// nn::RNN, nn::LSTM, nn::GRU and their cells: PyTorch's recurrent layers (layers, directions,
// batch_first, dropout between layers, LSTM's proj_size), parameter names (weight_ih_l0,
// weight_hh_l0_reverse, ...), init, gate order and messages, packed input (PackedSequence);
// Note [Recurrence as recorded ops].
#pragma once
#include <array>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "nn/framed_calls.h"
#include "nn/module.h"
#include "nn/packed_sequence.h"

namespace ember::nn {

namespace detail {
// A call with states (Note [Calls with more arguments] in nn/framed_calls.h): h0 and c0 go in,
// forward leaves h_n and c_n.
struct StatefulFrame {
  Tensor h0{}, c0{};
  std::vector<int64_t> batch_sizes{};  // packed input's steps; empty: a padded input
  Tensor h_n{}, c_n{};                 // what forward leaves for the call
};
using StatefulCalls = FramedCalls<StatefulFrame>;
}  // namespace detail

// Aggregates in PyTorch's keyword order: nn::LSTMOptions{.num_layers = 2, .batch_first = true}.
struct RNNOptions {
  int64_t num_layers = 1;
  std::string nonlinearity = "tanh";  // or "relu"
  bool bias = true;
  bool batch_first = false;
  double dropout = 0.0;  // after every layer but the last, while training
  bool bidirectional = false;
};
struct LSTMOptions {
  int64_t num_layers = 1;
  bool bias = true;
  bool batch_first = false;
  double dropout = 0.0;
  bool bidirectional = false;
  int64_t proj_size = 0;  // > 0: h projected to proj_size by weight_hr_l{k}
};
struct GRUOptions {
  int64_t num_layers = 1;
  bool bias = true;
  bool batch_first = false;
  double dropout = 0.0;
  bool bidirectional = false;
};

// What the three layers share: their parameters and the run over layers and directions.
class RNNBase : public Module {
 public:
  enum class Mode { RnnTanh, RnnRelu, Lstm, Gru };
  std::string extra_repr() const override;
  void reset_parameters() override;  // the constructor's U(-bound, bound) draws again
  bool depends_on_training_flag() const override { return dropout > 0.0 && num_layers > 1; }
  std::string eval_mode_effect() const override;
  // PyTorch's all_weights: per layer and direction, [w_ih, w_hh, b_ih, b_hh, w_hr] as present.
  std::vector<std::vector<Tensor>> all_weights() const;
  // PyTorch's flatten_parameters(): nothing to do, as the weights are never packed into one buffer.
  void flatten_parameters() {}

  const Mode mode;
  const int64_t input_size, hidden_size, num_layers;
  const bool bias, batch_first;
  const double dropout;
  const bool bidirectional;
  const int64_t proj_size;

 protected:
  RNNBase(std::string type_name, Mode mode, int64_t input_size, int64_t hidden_size, int64_t num_layers, bool bias,
          bool batch_first, double dropout, bool bidirectional, int64_t proj_size);
  // A call with states (detail::StatefulCalls) -> (output, h_n, c_n).
  std::tuple<Tensor, Tensor, Tensor> call(const Tensor& input, const Tensor& h0, const Tensor& c0);
  // The same for packed sequences: the call sees packed.data(); the states are in the caller's
  // batch order, in and out (PyTorch's permute_hidden) -> (packed output, h_n, c_n).
  std::tuple<utils::rnn::PackedSequence, Tensor, Tensor> call_packed(const utils::rnn::PackedSequence& packed,
                                                                     const Tensor& h0, const Tensor& c0);

 public:
  // The output alone, from the states given to call() (zeros otherwise).
  Tensor forward(const Tensor& input) override;
  using Module::operator();

 private:
  // input [L, N, in] ([N, L, in] batch_first; [L, in] unbatched), h0 and c0 (LSTM) [layers *
  // directions, N, H] ([.., H] unbatched; undefined: zeros) -> (output, h_n, c_n).
  std::tuple<Tensor, Tensor, Tensor> run(const Tensor& input, const Tensor& h0, const Tensor& c0);
  // Packed data [rows, in] whose steps have batch_sizes rows each -> (output [rows, directions *
  // H], h_n, c_n), the states in packed order.
  std::tuple<Tensor, Tensor, Tensor> run_packed(const Tensor& data, const std::vector<int64_t>& batch_sizes,
                                                const Tensor& h0, const Tensor& c0);
  // The layers over rows x [rows, in] in steps of batch_sizes rows, from states checked for a
  // batch of batch_sizes[0] -> (output [rows, directions * H], h_n, c_n).
  std::tuple<Tensor, Tensor, Tensor> recur(const Tensor& x, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
                                           const Tensor& c0, bool batched);
  // Per layer and direction the parameter slots w_ih, w_hh, b_ih, b_hh, w_hr (null where
  // absent): slots stay the module's own when weight_norm or prune makes them attributes.
  std::vector<std::array<Tensor*, 5>> slots_;
  detail::StatefulCalls calls_;
};

// The layers whose state is h alone (RNN, GRU): (output, h_n) from input and h0.
class SingleStateRNNBase : public RNNBase {
 public:
  // (output [L, N, directions * H], h_n [layers * directions, N, H]); hx undefined: zeros.
  std::tuple<Tensor, Tensor> forward(const Tensor& input, const Tensor& hx);
  std::tuple<Tensor, Tensor> operator()(const Tensor& input, const Tensor& hx) { return forward(input, hx); }
  // Packed sequences (libtorch's name) -> (packed output, h_n), h_n at each sequence's last step.
  std::tuple<utils::rnn::PackedSequence, Tensor> forward_with_packed_input(const utils::rnn::PackedSequence& input,
                                                                           const Tensor& hx = {});
  using RNNBase::forward;
  using RNNBase::operator();

 protected:
  using RNNBase::RNNBase;
};

// Elman RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).
class RNN : public SingleStateRNNBase {
 public:
  RNN(int64_t input_size, int64_t hidden_size, RNNOptions options = {});
};

// LSTM, gates i, f, g, o: c' = f * c + i * g, h' = o * tanh(c') (then W_hr with proj_size).
class LSTM : public RNNBase {
 public:
  LSTM(int64_t input_size, int64_t hidden_size, LSTMOptions options = {});
  // (output, (h_n, c_n)); hx = {h0, c0}, both undefined: zeros.
  std::tuple<Tensor, std::tuple<Tensor, Tensor>> forward(const Tensor& input, const std::tuple<Tensor, Tensor>& hx);
  std::tuple<Tensor, std::tuple<Tensor, Tensor>> operator()(const Tensor& input, const std::tuple<Tensor, Tensor>& hx) {
    return forward(input, hx);
  }
  std::tuple<utils::rnn::PackedSequence, std::tuple<Tensor, Tensor>> forward_with_packed_input(
      const utils::rnn::PackedSequence& input, const std::tuple<Tensor, Tensor>& hx = {});
  using RNNBase::forward;
  using RNNBase::operator();
};

// GRU, gates r, z, n: n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)), h' = (1 - z) * n + z * h.
class GRU : public SingleStateRNNBase {
 public:
  GRU(int64_t input_size, int64_t hidden_size, GRUOptions options = {});
};

// One step of the layers above: weight_ih [gates * H, in], weight_hh [gates * H, H], bias_ih,
// bias_hh; input [N, in] or [in], hidden as the input (undefined: zeros).
class RNNCellBase : public Module {
 public:
  std::string extra_repr() const override;
  void reset_parameters() override;  // the constructor's U(-bound, bound) draws again
  // h' from the states given to call() (zeros otherwise).
  Tensor forward(const Tensor& input) override;
  using Module::operator();

  const RNNBase::Mode mode;
  const int64_t input_size, hidden_size;
  const bool bias;
  Tensor& weight_ih;
  Tensor& weight_hh;
  Tensor& bias_ih;  // undefined without bias
  Tensor& bias_hh;

 protected:
  RNNCellBase(std::string type_name, RNNBase::Mode mode, int64_t input_size, int64_t hidden_size, bool bias);
  // A step with states (detail::StatefulCalls) -> (h', c' for the LSTM cell).
  std::tuple<Tensor, Tensor> call(const Tensor& input, const Tensor& h, const Tensor& c);

 private:
  // h' (and c' into c for the LSTM cell) for input and h (c), each batched or not.
  Tensor step(const Tensor& input, const Tensor& h, Tensor* c);
  detail::StatefulCalls calls_;
};

class RNNCell : public RNNCellBase {
 public:
  RNNCell(int64_t input_size, int64_t hidden_size, bool bias = true, const std::string& nonlinearity = "tanh");
  Tensor forward(const Tensor& input, const Tensor& hx);
  Tensor operator()(const Tensor& input, const Tensor& hx) { return forward(input, hx); }
  using RNNCellBase::forward;
  using RNNCellBase::operator();
};

class LSTMCell : public RNNCellBase {
 public:
  LSTMCell(int64_t input_size, int64_t hidden_size, bool bias = true);
  // (h', c'); hx = {h, c}, both undefined: zeros.
  std::tuple<Tensor, Tensor> forward(const Tensor& input, const std::tuple<Tensor, Tensor>& hx);
  std::tuple<Tensor, Tensor> operator()(const Tensor& input, const std::tuple<Tensor, Tensor>& hx) {
    return forward(input, hx);
  }
  using RNNCellBase::forward;
  using RNNCellBase::operator();
};

class GRUCell : public RNNCellBase {
 public:
  GRUCell(int64_t input_size, int64_t hidden_size, bool bias = true);
  Tensor forward(const Tensor& input, const Tensor& hx);
  Tensor operator()(const Tensor& input, const Tensor& hx) { return forward(input, hx); }
  using RNNCellBase::forward;
  using RNNCellBase::operator();
};

}  // namespace ember::nn
