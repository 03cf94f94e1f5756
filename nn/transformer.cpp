// nn::TransformerEncoderLayer and nn::TransformerEncoder: PyTorch 2.x's forward (its slow path;
// its nested-tensor path of eval + no_grad + a key-padding mask writes zeros at the padded
// positions instead) over MultiheadAttention, Linear, LayerNorm and Dropout.
#include "nn/transformer.h"

#include <sstream>

#include "core/error.h"
#include "core/grad_mode.h"
#include "nn/functional/basic.h"

namespace ember::nn {

namespace {

const TransformerEncoderLayerOptions& checked(const TransformerEncoderLayerOptions& options) {
  EMBER_CHECK(options.activation == "relu" || options.activation == "gelu", "activation should be relu/gelu, not ",
              options.activation);
  EMBER_CHECK(options.dim_feedforward > 0, "TransformerEncoderLayer: dim_feedforward must be positive, but got ",
              options.dim_feedforward);
  return options;
}

}  // namespace

TransformerEncoderLayer::TransformerEncoderLayer(int64_t model, int64_t heads, TransformerEncoderLayerOptions opts)
    : Module("TransformerEncoderLayer"), d_model(model), nhead(heads), options(checked(opts)) {
  self_attn = register_module(
      "self_attn",
      std::make_shared<MultiheadAttention>(
          model, heads,
          MultiheadAttentionOptions{.dropout = opts.dropout, .bias = opts.bias, .batch_first = opts.batch_first}));
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
  const auto self_attention = [&](const Tensor& x) {
    const MultiheadAttentionForwardOptions call{
        .key_padding_mask = src_key_padding_mask, .need_weights = false, .attn_mask = src_mask, .is_causal = is_causal};
    return (*dropout1)(std::get<0>((*self_attn)(x, x, x, call)));
  };
  const auto feed_forward = [&](const Tensor& x) {
    const Tensor hidden = (*linear1)(x);
    const Tensor activated = options.activation == "gelu" ? functional::gelu(hidden) : functional::relu(hidden);
    return (*dropout2)((*linear2)((*dropout)(activated)));
  };
  Tensor x = src;
  if (options.norm_first) {
    x = x + self_attention((*norm1)(x));
    return x + feed_forward((*norm2)(x));
  }
  x = (*norm1)(x + self_attention(x));
  return (*norm2)(x + feed_forward(x));
}

std::string TransformerEncoderLayer::eval_mode_effect() const {
  std::ostringstream os;
  os << "TransformerEncoderLayer(dropout=" << options.dropout << ") dropped nothing";
  return os.str();
}

TransformerEncoder::TransformerEncoder(const TransformerEncoderLayer& encoder_layer, int64_t count,
                                       std::shared_ptr<Module> final_norm)
    : Module("TransformerEncoder"), num_layers(count), norm(std::move(final_norm)) {
  EMBER_CHECK(count > 0, "TransformerEncoder: num_layers must be positive, but got ", count);
  layers = register_module("layers", std::make_shared<ModuleList>());
  const StateDict weights = encoder_layer.state_dict();
  const Tensor& sample = encoder_layer.self_attn->out_proj->weight;  // the layer's dtype and device
  for (int64_t i = 0; i < count; ++i) {
    auto copy =
        std::make_shared<TransformerEncoderLayer>(encoder_layer.d_model, encoder_layer.nhead, encoder_layer.options);
    copy->to(sample.dtype());
    copy->to(sample.device());
    copy->load_state_dict(weights);
    const auto from = encoder_layer.parameters(), to = copy->parameters();
    for (size_t k = 0; k < to.size(); ++k) Tensor(to[k]).requires_grad_(from[k].requires_grad());  // frozen stays
    copy->train(encoder_layer.is_training());
    layers->push_back(copy);
  }
  if (norm) register_module("norm", norm);
}

Tensor TransformerEncoder::forward(const Tensor& src, const Tensor& mask, const Tensor& src_key_padding_mask,
                                   bool is_causal) {
  Tensor x = src;
  for (int64_t i = 0; i < num_layers; ++i)
    x = (*layers->get<TransformerEncoderLayer>(i))(x, mask, src_key_padding_mask, is_causal);
  return norm ? (*norm)(x) : x;
}

}  // namespace ember::nn
