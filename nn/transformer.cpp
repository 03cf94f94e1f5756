// The Transformer encoder, decoder and model: PyTorch 2.x's forward (its slow path; its
// nested-tensor path of eval + no_grad + a key-padding mask writes zeros at the padded
// positions instead) over MultiheadAttention, Linear, LayerNorm and Dropout.
#include "nn/transformer.h"

#include <sstream>
#include <typeinfo>

#include "core/demangle.h"
#include "core/error.h"
#include "nn/functional/basic.h"
#include "nn/init.h"
#include "nn/module_state.h"

namespace ember::nn {

namespace {

const TransformerEncoderLayerOptions& checked(const TransformerEncoderLayerOptions& options, const char* layer) {
  EMBER_CHECK(options.activation == "relu" || options.activation == "gelu", "activation should be relu/gelu, not ",
              options.activation);
  EMBER_CHECK(options.dim_feedforward > 0, layer, ": dim_feedforward must be positive, but got ",
              options.dim_feedforward);
  return options;
}

MultiheadAttentionOptions attention_options(const TransformerEncoderLayerOptions& o) {
  return {.dropout = o.dropout, .bias = o.bias, .batch_first = o.batch_first};
}

// linear2(dropout(activation(linear1(x)))): the feed-forward block of both layers.
Tensor feed_forward_block(const std::string& activation, Linear& linear1, Dropout& dropout, Linear& linear2,
                          const Tensor& x) {
  const Tensor hidden = linear1(x);
  return linear2(dropout(activation == "gelu" ? functional::gelu(hidden) : functional::relu(hidden)));
}

// count copies of layer into layers, as PyTorch's deep copies: the same options, weights,
// frozen flags, dtype, device and mode. The copies are made from the options, so a subclass
// (its own forward) would be copied as the base class: refused rather than silently changed.
// Hooks registered on the layer are not copied.
template <typename Layer>
void add_copies(const Layer& layer, int64_t count, ModuleList& layers) {
  EMBER_CHECK(typeid(layer) == typeid(Layer), demangled_type_name(typeid(Layer)), " copies: a subclass of the layer (",
              demangled_type_name(typeid(layer)),
              ") cannot be copied by ember (PyTorch deep-copies it); build the stack from a ModuleList of your layers");
  const StateDict weights = detail::state_dict_without_hooks(layer);
  const Tensor& sample = layer.self_attn->out_proj->weight;  // the layer's dtype and device
  const auto from = layer.parameters();
  for (int64_t i = 0; i < count; ++i) {
    auto copy = std::make_shared<Layer>(layer.d_model, layer.nhead, layer.options);
    copy->to(sample.dtype());
    copy->to(sample.device());
    copy->load_state_dict(weights);
    const auto to = copy->parameters();
    for (size_t k = 0; k < to.size(); ++k) Tensor(to[k]).requires_grad_(from[k].requires_grad());  // frozen stays
    copy->train(layer.is_training());
    layers.push_back(copy);
  }
}

std::string dropped_nothing(const char* layer, double p) {
  std::ostringstream os;
  os << layer << "(dropout=" << p << ") dropped nothing";
  return os.str();
}

}  // namespace

TransformerEncoderLayer::TransformerEncoderLayer(int64_t model, int64_t heads, TransformerEncoderLayerOptions opts)
    : Module("TransformerEncoderLayer"),
      d_model(model),
      nhead(heads),
      options(checked(opts, "TransformerEncoderLayer")) {
  self_attn = register_module("self_attn", std::make_shared<MultiheadAttention>(model, heads, attention_options(opts)));
  linear1 = register_module("linear1", std::make_shared<Linear>(model, opts.dim_feedforward, opts.bias));
  dropout = register_module("dropout", std::make_shared<Dropout>(opts.dropout));
  linear2 = register_module("linear2", std::make_shared<Linear>(opts.dim_feedforward, model, opts.bias));
  norm1 = register_module("norm1", std::make_shared<LayerNorm>(model, opts.layer_norm_eps, true, opts.bias));
  norm2 = register_module("norm2", std::make_shared<LayerNorm>(model, opts.layer_norm_eps, true, opts.bias));
  dropout1 = register_module("dropout1", std::make_shared<Dropout>(opts.dropout));
  dropout2 = register_module("dropout2", std::make_shared<Dropout>(opts.dropout));
}

Tensor TransformerEncoderLayer::forward(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask,
                                        bool is_causal) {
  EMBER_CHECK(src.defined(), "TransformerEncoderLayer: expected a defined src");
  detail::check_mask_types(src_key_padding_mask, "src_key_padding_mask", src_mask, "src_mask");
  const auto self_attention = [&](const Tensor& x) {
    const MultiheadAttentionForwardOptions call{
        .key_padding_mask = src_key_padding_mask, .need_weights = false, .attn_mask = src_mask, .is_causal = is_causal};
    return (*dropout1)(std::get<0>((*self_attn)(x, x, x, call)));
  };
  const auto feed_forward = [&](const Tensor& x) {
    return (*dropout2)(feed_forward_block(options.activation, *linear1, *dropout, *linear2, x));
  };
  Tensor x = src;
  if (options.norm_first) {
    x = x + self_attention((*norm1)(x));
    return x + feed_forward((*norm2)(x));
  }
  x = (*norm1)(x + self_attention(x));
  return (*norm2)(x + feed_forward(x));
}

Tensor TransformerEncoderLayer::operator()(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask,
                                           bool is_causal) {
  return calls_.call(*this, src, {.mask = src_mask, .key_padding_mask = src_key_padding_mask, .is_causal = is_causal})
      .first;
}

Tensor TransformerEncoderLayer::forward(const Tensor& src) {
  if (const detail::EncoderFrame* frame = calls_.claim())
    return forward(src, frame->mask, frame->key_padding_mask, frame->is_causal);
  return forward(src, Tensor());
}

std::string TransformerEncoderLayer::eval_mode_effect() const {
  return dropped_nothing("TransformerEncoderLayer", options.dropout);
}

TransformerEncoder::TransformerEncoder(const TransformerEncoderLayer& encoder_layer, int64_t count,
                                       std::shared_ptr<Module> final_norm)
    : Module("TransformerEncoder"), num_layers(count), norm(std::move(final_norm)) {
  EMBER_CHECK(count > 0, "TransformerEncoder: num_layers must be positive, but got ", count);
  layers = register_module("layers", std::make_shared<ModuleList>());
  add_copies(encoder_layer, count, *layers);
  if (norm) register_module("norm", norm);
}

Tensor TransformerEncoder::forward(const Tensor& src, const Tensor& mask, const Tensor& src_key_padding_mask,
                                   bool is_causal) {
  detail::check_mask_types(src_key_padding_mask, "src_key_padding_mask", mask, "mask");
  Tensor x = src;
  for (int64_t i = 0; i < num_layers; ++i)
    x = (*layers->get<TransformerEncoderLayer>(i))(x, mask, src_key_padding_mask, is_causal);
  return norm ? (*norm)(x) : x;
}

Tensor TransformerEncoder::operator()(const Tensor& src, const Tensor& mask, const Tensor& src_key_padding_mask,
                                      bool is_causal) {
  return calls_.call(*this, src, {.mask = mask, .key_padding_mask = src_key_padding_mask, .is_causal = is_causal})
      .first;
}

Tensor TransformerEncoder::forward(const Tensor& src) {
  if (const detail::EncoderFrame* frame = calls_.claim())
    return forward(src, frame->mask, frame->key_padding_mask, frame->is_causal);
  return forward(src, Tensor());
}

// ---------------------------------------------------------------- decoder
TransformerDecoderLayer::TransformerDecoderLayer(int64_t model, int64_t heads, TransformerDecoderLayerOptions opts)
    : Module("TransformerDecoderLayer"),
      d_model(model),
      nhead(heads),
      options(checked(opts, "TransformerDecoderLayer")) {
  self_attn = register_module("self_attn", std::make_shared<MultiheadAttention>(model, heads, attention_options(opts)));
  multihead_attn =
      register_module("multihead_attn", std::make_shared<MultiheadAttention>(model, heads, attention_options(opts)));
  linear1 = register_module("linear1", std::make_shared<Linear>(model, opts.dim_feedforward, opts.bias));
  dropout = register_module("dropout", std::make_shared<Dropout>(opts.dropout));
  linear2 = register_module("linear2", std::make_shared<Linear>(opts.dim_feedforward, model, opts.bias));
  norm1 = register_module("norm1", std::make_shared<LayerNorm>(model, opts.layer_norm_eps, true, opts.bias));
  norm2 = register_module("norm2", std::make_shared<LayerNorm>(model, opts.layer_norm_eps, true, opts.bias));
  norm3 = register_module("norm3", std::make_shared<LayerNorm>(model, opts.layer_norm_eps, true, opts.bias));
  dropout1 = register_module("dropout1", std::make_shared<Dropout>(opts.dropout));
  dropout2 = register_module("dropout2", std::make_shared<Dropout>(opts.dropout));
  dropout3 = register_module("dropout3", std::make_shared<Dropout>(opts.dropout));
}

Tensor TransformerDecoderLayer::forward(const Tensor& tgt, const Tensor& memory,
                                        const TransformerDecoderForwardOptions& o) {
  EMBER_CHECK(tgt.defined() && memory.defined(), "TransformerDecoderLayer: expected defined tgt and memory");
  const auto self_attention = [&](const Tensor& x) {
    const MultiheadAttentionForwardOptions call{.key_padding_mask = o.tgt_key_padding_mask,
                                                .need_weights = false,
                                                .attn_mask = o.tgt_mask,
                                                .is_causal = o.tgt_is_causal};
    return (*dropout1)(std::get<0>((*self_attn)(x, x, x, call)));
  };
  const auto cross_attention = [&](const Tensor& x) {
    const MultiheadAttentionForwardOptions call{.key_padding_mask = o.memory_key_padding_mask,
                                                .need_weights = false,
                                                .attn_mask = o.memory_mask,
                                                .is_causal = o.memory_is_causal};
    return (*dropout2)(std::get<0>((*multihead_attn)(x, memory, memory, call)));
  };
  const auto feed_forward = [&](const Tensor& x) {
    return (*dropout3)(feed_forward_block(options.activation, *linear1, *dropout, *linear2, x));
  };
  Tensor x = tgt;
  if (options.norm_first) {
    x = x + self_attention((*norm1)(x));
    x = x + cross_attention((*norm2)(x));
    return x + feed_forward((*norm3)(x));
  }
  x = (*norm1)(x + self_attention(x));
  x = (*norm2)(x + cross_attention(x));
  return (*norm3)(x + feed_forward(x));
}

Tensor TransformerDecoderLayer::operator()(const Tensor& tgt, const Tensor& memory,
                                           const TransformerDecoderForwardOptions& options) {
  return calls_.call(*this, tgt, {.memory = memory, .options = options}).first;
}

Tensor TransformerDecoderLayer::forward(const Tensor& tgt) {
  if (const detail::DecoderFrame* frame = calls_.claim()) return forward(tgt, frame->memory, frame->options);
  EMBER_FAIL("TransformerDecoderLayer: forward() missing 1 required positional argument: 'memory' (call it as ",
             "layer(tgt, memory, options))");
}

std::string TransformerDecoderLayer::eval_mode_effect() const {
  return dropped_nothing("TransformerDecoderLayer", options.dropout);
}

TransformerDecoder::TransformerDecoder(const TransformerDecoderLayer& decoder_layer, int64_t count,
                                       std::shared_ptr<Module> final_norm)
    : Module("TransformerDecoder"), num_layers(count), norm(std::move(final_norm)) {
  EMBER_CHECK(count > 0, "TransformerDecoder: num_layers must be positive, but got ", count);
  layers = register_module("layers", std::make_shared<ModuleList>());
  add_copies(decoder_layer, count, *layers);
  if (norm) register_module("norm", norm);
}

Tensor TransformerDecoder::forward(const Tensor& tgt, const Tensor& memory,
                                   const TransformerDecoderForwardOptions& options) {
  Tensor x = tgt;
  for (int64_t i = 0; i < num_layers; ++i) x = (*layers->get<TransformerDecoderLayer>(i))(x, memory, options);
  return norm ? (*norm)(x) : x;
}

Tensor TransformerDecoder::operator()(const Tensor& tgt, const Tensor& memory,
                                      const TransformerDecoderForwardOptions& options) {
  return calls_.call(*this, tgt, {.memory = memory, .options = options}).first;
}

Tensor TransformerDecoder::forward(const Tensor& tgt) {
  if (const detail::DecoderFrame* frame = calls_.claim()) return forward(tgt, frame->memory, frame->options);
  EMBER_FAIL("TransformerDecoder: forward() missing 1 required positional argument: 'memory' (call it as ",
             "decoder(tgt, memory, options))");
}

// ---------------------------------------------------------------- the model
Transformer::Transformer(TransformerOptions o) : Module("Transformer"), options(std::move(o)) {
  EMBER_CHECK(options.num_encoder_layers > 0 && options.num_decoder_layers > 0,
              "Transformer: num_encoder_layers and num_decoder_layers must be positive, but got ",
              options.num_encoder_layers, " and ", options.num_decoder_layers);
  const TransformerEncoderLayerOptions layer_options{.dim_feedforward = options.dim_feedforward,
                                                     .dropout = options.dropout,
                                                     .activation = options.activation,
                                                     .layer_norm_eps = options.layer_norm_eps,
                                                     .batch_first = options.batch_first,
                                                     .norm_first = options.norm_first,
                                                     .bias = options.bias};
  const auto final_norm = [&] {
    return std::make_shared<LayerNorm>(options.d_model, options.layer_norm_eps, true, options.bias);
  };
  encoder = register_module("encoder", std::make_shared<TransformerEncoder>(
                                           TransformerEncoderLayer(options.d_model, options.nhead, layer_options),
                                           options.num_encoder_layers, final_norm()));
  decoder = register_module("decoder", std::make_shared<TransformerDecoder>(
                                           TransformerDecoderLayer(options.d_model, options.nhead, layer_options),
                                           options.num_decoder_layers, final_norm()));
  for (const Tensor& p : parameters())
    if (p.dim() > 1) init::xavier_uniform_(p);
}

Tensor Transformer::forward(const Tensor& src, const Tensor& tgt, const TransformerForwardOptions& o) {
  EMBER_CHECK(src.defined() && tgt.defined(), "Transformer: expected defined src and tgt");
  const bool batched = src.dim() == 3;
  if (batched) {
    const int64_t batch_dim = options.batch_first ? 0 : 1;
    EMBER_CHECK(tgt.dim() == 3 && src.size(batch_dim) == tgt.size(batch_dim),
                "the batch number of src and tgt must be equal");
  }
  EMBER_CHECK(src.size(-1) == options.d_model && tgt.size(-1) == options.d_model,
              "the feature number of src and tgt must be equal to d_model");
  const Tensor memory = (*encoder)(src, o.src_mask, o.src_key_padding_mask, o.src_is_causal);
  return (*decoder)(tgt, memory,
                    {.tgt_mask = o.tgt_mask,
                     .memory_mask = o.memory_mask,
                     .tgt_key_padding_mask = o.tgt_key_padding_mask,
                     .memory_key_padding_mask = o.memory_key_padding_mask,
                     .tgt_is_causal = o.tgt_is_causal,
                     .memory_is_causal = o.memory_is_causal});
}

Tensor Transformer::operator()(const Tensor& src, const Tensor& tgt, const TransformerForwardOptions& options) {
  return calls_.call(*this, src, {.tgt = tgt, .options = options}).first;
}

Tensor Transformer::forward(const Tensor& src) {
  if (const detail::TransformerFrame* frame = calls_.claim()) return forward(src, frame->tgt, frame->options);
  EMBER_FAIL("Transformer: forward() missing 1 required positional argument: 'tgt' (call it as ",
             "transformer(src, tgt, options))");
}

}  // namespace ember::nn
