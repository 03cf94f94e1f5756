// nn::TransformerEncoderLayer and nn::TransformerEncoder: PyTorch 2.x's encoder (post- or
// pre-norm, relu or gelu, batch_first, masks passed to the self-attention), its submodule
// names (self_attn, linear1, linear2, norm1, norm2; layers.K, norm) and initialization.
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

class TransformerEncoderLayer : public Module {
 public:
  TransformerEncoderLayer(int64_t d_model, int64_t nhead, TransformerEncoderLayerOptions options = {});
  // src [S, N, E] ([N, S, E] with batch_first; [S, E] unbatched); src_mask and
  // src_key_padding_mask as MultiheadAttention's attn_mask and key_padding_mask; is_causal its
  // hint (src_mask still needed). Post-norm: x = norm1(x + sa(x)), x = norm2(x + ff(x));
  // norm_first: x = x + sa(norm1(x)), x = x + ff(norm2(x)).
  Tensor forward(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask = Tensor(),
                 bool is_causal = false);
  Tensor operator()(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask = Tensor(),
                    bool is_causal = false) {
    return forward(src, src_mask, src_key_padding_mask, is_causal);
  }
  Tensor forward(const Tensor& src) override { return forward(src, Tensor()); }
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
                    bool is_causal = false) {
    return forward(src, mask, src_key_padding_mask, is_causal);
  }
  Tensor forward(const Tensor& src) override { return forward(src, Tensor()); }
  using Module::operator();

  const int64_t num_layers;
  std::shared_ptr<ModuleList> layers;
  std::shared_ptr<Module> norm;  // nullptr without a final norm
};

}  // namespace ember::nn
