// nn::TransformerEncoderLayer / TransformerEncoder, nn::TransformerDecoderLayer /
// TransformerDecoder and nn::Transformer: PyTorch 2.x's (post- or pre-norm, relu or gelu,
// batch_first, masks passed to the attentions), its submodule names and initialization.
#pragma once
#include <memory>
#include <string>

#include "nn/attention.h"
#include "nn/container.h"
#include "nn/dropout.h"
#include "nn/linear.h"
#include "nn/normalization.h"

namespace ember::nn {

// An aggregate, in PyTorch's keyword order: nn::TransformerEncoderLayerOptions{.dim_feedforward
// = 256, .dropout = 0.0, .activation = "gelu", .batch_first = true}.
struct TransformerEncoderLayerOptions {
  int64_t dim_feedforward = 2048;
  double dropout = 0.1;
  std::string activation = "relu";  // "relu" or "gelu"
  double layer_norm_eps = 1e-5;
  bool batch_first = false;
  bool norm_first = false;
  bool bias = true;
};

namespace detail {
// The calls with more arguments (Note [Calls with more arguments] in nn/framed_calls.h).
struct EncoderFrame {
  Tensor mask{}, key_padding_mask{};
  bool is_causal = false;
};
}  // namespace detail

class TransformerEncoderLayer : public Module {
 public:
  TransformerEncoderLayer(int64_t d_model, int64_t nhead, TransformerEncoderLayerOptions options = {});
  // src [S, N, E] ([N, S, E] with batch_first; [S, E] unbatched); src_mask and
  // src_key_padding_mask as MultiheadAttention's attn_mask and key_padding_mask; is_causal its
  // hint (src_mask still needed). Post-norm: x = norm1(x + sa(x)), x = norm2(x + ff(x));
  // norm_first: x = x + sa(norm1(x)), x = x + ff(norm2(x)).
  Tensor forward(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask = Tensor(),
                 bool is_causal = false);
  // The same through Module::operator(), so hooks see it (Note [Calls with more arguments]).
  Tensor operator()(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask = Tensor(),
                    bool is_causal = false);
  // Inside operator()(src, masks...): that call; otherwise without masks.
  Tensor forward(const Tensor& src) override;
  using Module::operator();
  bool depends_on_training_flag() const override { return options.dropout > 0.0; }
  std::string eval_mode_effect() const override;

  const int64_t d_model, nhead;
  const TransformerEncoderLayerOptions options;
  std::shared_ptr<MultiheadAttention> self_attn;
  std::shared_ptr<Linear> linear1;
  std::shared_ptr<Dropout> dropout;
  std::shared_ptr<Linear> linear2;
  std::shared_ptr<LayerNorm> norm1, norm2;
  std::shared_ptr<Dropout> dropout1, dropout2;

 private:
  detail::FramedCalls<detail::EncoderFrame> calls_;
};

// num_layers copies of encoder_layer (its options, weights, frozen parameters, dtype, device and
// mode, as PyTorch's deep copies: every layer starts from the same values) as layers.0,
// layers.1, ..., then norm if given. The layer passed in is not itself registered. Values at
// padded positions are computed (PyTorch's nested-tensor path in eval under no_grad with a
// key-padding mask gives zeros there; neither means anything).
class TransformerEncoder : public Module {
 public:
  TransformerEncoder(const TransformerEncoderLayer& encoder_layer, int64_t num_layers,
                     std::shared_ptr<Module> norm = nullptr);
  Tensor forward(const Tensor& src, const Tensor& mask, const Tensor& src_key_padding_mask = Tensor(),
                 bool is_causal = false);
  Tensor operator()(const Tensor& src, const Tensor& mask, const Tensor& src_key_padding_mask = Tensor(),
                    bool is_causal = false);
  Tensor forward(const Tensor& src) override;
  using Module::operator();

  const int64_t num_layers;
  std::shared_ptr<ModuleList> layers;
  std::shared_ptr<Module> norm;  // nullptr without a final norm

 private:
  detail::FramedCalls<detail::EncoderFrame> calls_;
};

// The decoder layer takes the encoder layer's options (PyTorch's arguments are the same).
using TransformerDecoderLayerOptions = TransformerEncoderLayerOptions;

// What the decoder layers and the decoder take beside tgt and memory, in PyTorch's keyword
// order: masks as MultiheadAttention's attn_mask and key_padding_mask, is_causal its hints.
struct TransformerDecoderForwardOptions {
  Tensor tgt_mask{};
  Tensor memory_mask{};
  Tensor tgt_key_padding_mask{};
  Tensor memory_key_padding_mask{};
  bool tgt_is_causal = false;
  bool memory_is_causal = false;
};

namespace detail {
struct DecoderFrame {
  Tensor memory{};
  TransformerDecoderForwardOptions options{};
};
}  // namespace detail

class TransformerDecoderLayer : public Module {
 public:
  TransformerDecoderLayer(int64_t d_model, int64_t nhead, TransformerDecoderLayerOptions options = {});
  // tgt [T, N, E] ([N, T, E] with batch_first; [T, E] unbatched), memory [S, N, E] (the
  // encoder's output). Post-norm: x = norm1(x + sa(x)), x = norm2(x + mha(x, memory)),
  // x = norm3(x + ff(x)); norm_first: x = x + sa(norm1(x)), x = x + mha(norm2(x), memory),
  // x = x + ff(norm3(x)).
  Tensor forward(const Tensor& tgt, const Tensor& memory, const TransformerDecoderForwardOptions& options = {});
  // The same through Module::operator(), so hooks see it (tgt in, output out).
  Tensor operator()(const Tensor& tgt, const Tensor& memory, const TransformerDecoderForwardOptions& options = {});
  // Inside operator()(tgt, memory, options): that call; otherwise an error (memory is needed).
  Tensor forward(const Tensor& tgt) override;
  using Module::operator();
  bool depends_on_training_flag() const override { return options.dropout > 0.0; }
  std::string eval_mode_effect() const override;

  const int64_t d_model, nhead;
  const TransformerDecoderLayerOptions options;
  std::shared_ptr<MultiheadAttention> self_attn, multihead_attn;
  std::shared_ptr<Linear> linear1;
  std::shared_ptr<Dropout> dropout;
  std::shared_ptr<Linear> linear2;
  std::shared_ptr<LayerNorm> norm1, norm2, norm3;
  std::shared_ptr<Dropout> dropout1, dropout2, dropout3;

 private:
  detail::FramedCalls<detail::DecoderFrame> calls_;
};

// num_layers copies of decoder_layer as layers.0, ... (as TransformerEncoder copies), then norm.
class TransformerDecoder : public Module {
 public:
  TransformerDecoder(const TransformerDecoderLayer& decoder_layer, int64_t num_layers,
                     std::shared_ptr<Module> norm = nullptr);
  Tensor forward(const Tensor& tgt, const Tensor& memory, const TransformerDecoderForwardOptions& options = {});
  Tensor operator()(const Tensor& tgt, const Tensor& memory, const TransformerDecoderForwardOptions& options = {});
  Tensor forward(const Tensor& tgt) override;  // as the layer's
  using Module::operator();

  const int64_t num_layers;
  std::shared_ptr<ModuleList> layers;
  std::shared_ptr<Module> norm;  // nullptr without a final norm

 private:
  detail::FramedCalls<detail::DecoderFrame> calls_;
};

// nn.Transformer's arguments, in its keyword order: nn::TransformerOptions{.d_model = 64,
// .nhead = 4, .num_encoder_layers = 2, .num_decoder_layers = 2, .dim_feedforward = 128}.
struct TransformerOptions {
  int64_t d_model = 512;
  int64_t nhead = 8;
  int64_t num_encoder_layers = 6;
  int64_t num_decoder_layers = 6;
  int64_t dim_feedforward = 2048;
  double dropout = 0.1;
  std::string activation = "relu";  // "relu" or "gelu"
  double layer_norm_eps = 1e-5;
  bool batch_first = false;
  bool norm_first = false;
  bool bias = true;
};

// What Transformer::forward takes beside src and tgt, in PyTorch's keyword order.
struct TransformerForwardOptions {
  Tensor src_mask{};
  Tensor tgt_mask{};
  Tensor memory_mask{};
  Tensor src_key_padding_mask{};
  Tensor tgt_key_padding_mask{};
  Tensor memory_key_padding_mask{};
  bool src_is_causal = false;
  bool tgt_is_causal = false;
  bool memory_is_causal = false;
};

namespace detail {
struct TransformerFrame {
  Tensor tgt{};
  TransformerForwardOptions options{};
};
}  // namespace detail

// PyTorch's nn.Transformer: encoder (TransformerEncoder with a final LayerNorm) and decoder
// (TransformerDecoder, final LayerNorm), every weight of 2 or more dims then drawn again by
// xavier_uniform_ as PyTorch's _reset_parameters does. No custom encoder or decoder.
class Transformer : public Module {
 public:
  explicit Transformer(TransformerOptions options = {});
  // src [S, N, E] and tgt [T, N, E] ([N, S, E] / [N, T, E] with batch_first; unbatched [S, E]
  // and [T, E]) -> [T, N, E]: decoder(tgt, encoder(src)).
  Tensor forward(const Tensor& src, const Tensor& tgt, const TransformerForwardOptions& options = {});
  // The same through Module::operator(), so hooks see it (src in, output out).
  Tensor operator()(const Tensor& src, const Tensor& tgt, const TransformerForwardOptions& options = {});
  // Inside operator()(src, tgt, options): that call; otherwise an error (tgt is needed).
  Tensor forward(const Tensor& src) override;
  using Module::operator();
  static Tensor generate_square_subsequent_mask(int64_t size, TensorOptions options = {}) {
    return nn::generate_square_subsequent_mask(size, options);
  }

  const TransformerOptions options;
  std::shared_ptr<TransformerEncoder> encoder;
  std::shared_ptr<TransformerDecoder> decoder;

 private:
  detail::FramedCalls<detail::TransformerFrame> calls_;
};

}  // namespace ember::nn
