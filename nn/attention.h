// nn::MultiheadAttention: PyTorch 2.x's layer (packed or separate in-projections, add_bias_kv,
// add_zero_attn, batch_first, key-padding and attention masks, averaged or per-head weights),
// its parameter names and initialization; nn::generate_square_subsequent_mask.
#pragma once
#include <string>
#include <tuple>

#include "nn/framed_calls.h"
#include "nn/linear.h"
#include "nn/module.h"

namespace ember::nn {

// An aggregate, in PyTorch's keyword order: nn::MultiheadAttentionOptions{.dropout = 0.1,
// .batch_first = true}. kdim / vdim 0 mean embed_dim; other values give key and value their
// own projection weights (q_proj_weight, k_proj_weight, v_proj_weight for in_proj_weight).
struct MultiheadAttentionOptions {
  double dropout = 0.0;
  bool bias = true;
  bool add_bias_kv = false;
  bool add_zero_attn = false;
  int64_t kdim = 0;
  int64_t vdim = 0;
  bool batch_first = false;
};

// forward's keyword arguments. key_padding_mask [N, S] ([S] unbatched): kBool (true: the key
// is ignored) or floating (added). attn_mask [L, S] or [N * num_heads, L, S]: the same two
// kinds. is_causal is a hint that attn_mask is the causal mask (it still needs one), which
// lets a call without weights or key-padding mask use the causal form.
struct MultiheadAttentionForwardOptions {
  Tensor key_padding_mask{};
  bool need_weights = true;
  Tensor attn_mask{};
  bool average_attn_weights = true;
  bool is_causal = false;
};

namespace detail {
// PyTorch's _canonical_mask checks of a key-padding mask and the attention mask beside it, by
// the caller's argument names: each bool or floating ("only bool and floating types of
// src_key_padding_mask are supported"), and the deprecation warning (once per process) when
// their dtypes differ.
void check_mask_types(const Tensor& padding_mask, const char* padding_name, const Tensor& attn_mask,
                      const char* attn_name);
// A call with key, value and options (Note [Calls with more arguments]); forward leaves the weights.
struct AttentionFrame {
  Tensor key{}, value{};
  MultiheadAttentionForwardOptions options{};
  Tensor weights{};
};
}  // namespace detail

class MultiheadAttention : public Module {
 public:
  MultiheadAttention(int64_t embed_dim, int64_t num_heads, MultiheadAttentionOptions options = {});
  // query [L, N, E] ([N, L, E] with batch_first; [L, E] unbatched), key [S, N, kdim], value
  // [S, N, vdim] -> (output as query, weights [N, L, S] averaged over heads or [N, num_heads,
  // L, S]; undefined without need_weights). Dropout on the weights while training.
  std::tuple<Tensor, Tensor> forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                     const MultiheadAttentionForwardOptions& options = {});
  // The same through Module::operator(), so hooks see it (query in, output out).
  std::tuple<Tensor, Tensor> operator()(const Tensor& query, const Tensor& key, const Tensor& value,
                                        const MultiheadAttentionForwardOptions& options = {});
  // Inside operator()(query, key, value, options): that call. Otherwise self-attention of x
  // without weights (so it can sit in a Sequential): forward(x, x, x).
  Tensor forward(const Tensor& x) override;
  using Module::operator();
  bool depends_on_training_flag() const override { return options.dropout > 0.0; }
  std::string eval_mode_effect() const override;

  const int64_t embed_dim, num_heads, head_dim;
  const MultiheadAttentionOptions options;
  Tensor& in_proj_weight;  // [3 * embed_dim, embed_dim]; undefined with kdim / vdim of their own
  Tensor& q_proj_weight;   // [embed_dim, embed_dim], [embed_dim, kdim], [embed_dim, vdim]: only then
  Tensor& k_proj_weight;
  Tensor& v_proj_weight;
  Tensor& in_proj_bias;  // [3 * embed_dim]; undefined without bias
  Tensor& bias_k;        // [1, 1, embed_dim] with add_bias_kv
  Tensor& bias_v;
  std::shared_ptr<Linear> out_proj;  // NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias), its bias zero

 private:
  bool separate_projections() const { return !in_proj_weight.defined(); }
  detail::FramedCalls<detail::AttentionFrame> calls_;
};

// PyTorch's nn.Transformer.generate_square_subsequent_mask: [size, size] with -inf above the
// diagonal and 0 elsewhere (floating; an additive causal mask).
Tensor generate_square_subsequent_mask(int64_t size, TensorOptions options = {});

}  // namespace ember::nn
