// nn::MultiheadAttention: PyTorch 2.x's multi_head_attention_forward (its checks, mask
// canonicalization and merging, bias_k/bias_v and zero attention) over recorded ops; without
// weights the attention itself is functional::scaled_dot_product_attention.
#include "nn/attention.h"

#include <cmath>
#include <limits>
#include <mutex>
#include <sstream>
#include <utility>

#include "core/error.h"
#include "core/factories.h"
#include "core/logging.h"
#include "core/ops.h"
#include "nn/functional/attention.h"
#include "nn/functional/basic.h"
#include "nn/functional/loss.h"
#include "nn/functional/pad.h"
#include "nn/init.h"

namespace ember::nn {

namespace F = functional;

namespace {

constexpr double kMinusInf = -std::numeric_limits<double>::infinity();

Tensor xavier_uniform(const Dims& shape) { return init::xavier_uniform_(empty(shape)); }

// A bool mask (true: masked) as PyTorch's _canonical_mask makes it: 0 or -inf in dtype; a
// floating one as given.
Tensor canonical_mask(const Tensor& mask, const char* name, DType dtype) {
  if (!mask.defined()) return mask;
  EMBER_CHECK(mask.dtype() == kBool || is_floating(mask.dtype()), "only bool and floating types of ", name,
              " are supported, but got ", dtype_torch_name(mask.dtype()));
  if (mask.dtype() != kBool) return mask;
  return zeros(mask.sizes(), TensorOptions(dtype).device(mask.device())).masked_fill(mask, kMinusInf);
}

}  // namespace

namespace detail {
void check_mask_types(const Tensor& padding_mask, const char* padding_name, const Tensor& attn_mask,
                      const char* attn_name) {
  for (const auto& [mask, name] : {std::pair{&padding_mask, padding_name}, std::pair{&attn_mask, attn_name}}) {
    EMBER_CHECK(!mask->defined() || mask->dtype() == kBool || is_floating(mask->dtype()),
                "only bool and floating types of ", name, " are supported, but got ", dtype_torch_name(mask->dtype()));
  }
  if (padding_mask.defined() && attn_mask.defined() && padding_mask.dtype() != attn_mask.dtype()) {
    static std::once_flag warned;
    std::call_once(warned, [&] {
      logging::warn("Support for mismatched {} and {} is deprecated. Use same type for both instead.", padding_name,
                    attn_name);
    });
  }
}
}  // namespace detail

namespace {

// _mha_shape_check: whether the call is batched, with PyTorch's messages.
bool check_shapes(const Tensor& query, const Tensor& key, const Tensor& value, const Tensor& key_padding_mask,
                  const Tensor& attn_mask, int64_t num_heads) {
  const bool batched = query.dim() == 3;
  EMBER_CHECK(query.dim() == 2 || batched, "query should be unbatched 2D or batched 3D tensor but received ",
              query.dim(), "-D query tensor");
  const char* kind = batched ? "batched (3-D)" : "unbatched (2-D)";
  EMBER_CHECK(key.dim() == query.dim() && value.dim() == query.dim(), "For ", kind,
              " `query`, expected `key` and "
              "`value` to be ",
              query.dim(), "-D but found ", key.dim(), "-D and ", value.dim(), "-D tensors respectively");
  if (key_padding_mask.defined())
    EMBER_CHECK(key_padding_mask.dim() == query.dim() - 1, "For ", kind,
                " `query`, expected `key_padding_mask` to "
                "be `None` or ",
                query.dim() - 1, "-D but found ", key_padding_mask.dim(), "-D tensor instead");
  if (attn_mask.defined()) {
    EMBER_CHECK(attn_mask.dim() == 2 || attn_mask.dim() == 3, "For ", kind,
                " `query`, expected `attn_mask` to be "
                "`None`, 2-D or 3-D but found ",
                attn_mask.dim(), "-D tensor instead");
    if (!batched && attn_mask.dim() == 3) {
      const Dims expected{num_heads, query.size(0), key.size(0)};
      EMBER_CHECK(attn_mask.sizes() == expected, "Expected `attn_mask` shape to be ", expected, " but got ",
                  attn_mask.sizes());
    }
  }
  return batched;
}

// The attention mask as [1, L, S] or [N * H, L, S], PyTorch's messages for other shapes.
Tensor three_dim_mask(const Tensor& mask, int64_t L, int64_t S, int64_t batch_heads) {
  if (!mask.defined()) return mask;
  if (mask.dim() == 2) {
    EMBER_CHECK(mask.sizes() == Dims({L, S}), "The shape of the 2D attn_mask is ", mask.sizes(), ", but should be (", L,
                ", ", S, ").");
    return mask.unsqueeze(0);
  }
  EMBER_CHECK(mask.sizes() == Dims({batch_heads, L, S}), "The shape of the 3D attn_mask is ", mask.sizes(),
              ", but should be (", batch_heads, ", ", L, ", ", S, ").");
  return mask;
}

// One more key column for the masks (bias_k, zero attention): attended (0).
Tensor pad_key(const Tensor& mask) { return mask.defined() ? F::pad(mask, {0, 1}) : mask; }

// The constructor's arguments checked before any parameter is made; embed_dim returned.
int64_t checked_embed_dim(int64_t embed, int64_t heads, const MultiheadAttentionOptions& opts) {
  EMBER_CHECK(embed > 0 && heads > 0, "embed_dim and num_heads must be greater than 0, got embed_dim=", embed,
              " and num_heads=", heads, " instead");
  EMBER_CHECK(embed % heads == 0, "embed_dim must be divisible by num_heads, but got embed_dim=", embed,
              " and num_heads=", heads);
  EMBER_CHECK(opts.kdim >= 0 && opts.vdim >= 0,
              "MultiheadAttention: kdim and vdim must be positive (or 0 for "
              "embed_dim), but got kdim=",
              opts.kdim, " and vdim=", opts.vdim);
  EMBER_CHECK(opts.dropout >= 0.0 && opts.dropout <= 1.0, "dropout probability has to be between 0 and 1, but got ",
              opts.dropout);
  return embed;
}

}  // namespace

MultiheadAttention::MultiheadAttention(int64_t embed, int64_t heads, MultiheadAttentionOptions opts)
    : Module("MultiheadAttention"),
      embed_dim(checked_embed_dim(embed, heads, opts)),
      num_heads(heads),
      head_dim(embed / heads),
      options(opts),
      in_proj_weight(register_parameter("in_proj_weight",
                                        (opts.kdim == 0 || opts.kdim == embed) && (opts.vdim == 0 || opts.vdim == embed)
                                            ? xavier_uniform({3 * embed, embed})
                                            : Tensor())),
      q_proj_weight(
          register_parameter("q_proj_weight", in_proj_weight.defined() ? Tensor() : xavier_uniform({embed, embed}))),
      k_proj_weight(register_parameter("k_proj_weight", in_proj_weight.defined()
                                                            ? Tensor()
                                                            : xavier_uniform({embed, opts.kdim ? opts.kdim : embed}))),
      v_proj_weight(register_parameter("v_proj_weight", in_proj_weight.defined()
                                                            ? Tensor()
                                                            : xavier_uniform({embed, opts.vdim ? opts.vdim : embed}))),
      in_proj_bias(register_parameter("in_proj_bias", opts.bias ? zeros({3 * embed}) : Tensor())),
      bias_k(register_parameter("bias_k", opts.add_bias_kv ? init::xavier_normal_(empty({1, 1, embed})) : Tensor())),
      bias_v(register_parameter("bias_v", opts.add_bias_kv ? init::xavier_normal_(empty({1, 1, embed})) : Tensor())) {
  out_proj = register_module("out_proj", std::make_shared<NonDynamicallyQuantizableLinear>(embed, embed, opts.bias));
  if (opts.bias) {
    NoGradGuard no_grad;
    out_proj->bias.zero_();
  }
}

std::tuple<Tensor, Tensor> MultiheadAttention::operator()(const Tensor& query, const Tensor& key, const Tensor& value,
                                                          const MultiheadAttentionForwardOptions& options) {
  auto [output, frame] = calls_.call(*this, query, {.key = key, .value = value, .options = options});
  return {output, frame.weights};
}

Tensor MultiheadAttention::forward(const Tensor& x) {
  if (detail::AttentionFrame* frame = calls_.claim()) {
    auto [output, weights] = forward(x, frame->key, frame->value, frame->options);
    frame->weights = weights;
    return output;
  }
  return std::get<0>(forward(x, x, x, MultiheadAttentionForwardOptions{.need_weights = false}));
}

std::tuple<Tensor, Tensor> MultiheadAttention::forward(const Tensor& query_in, const Tensor& key_in,
                                                       const Tensor& value_in,
                                                       const MultiheadAttentionForwardOptions& call) {
  EMBER_CHECK(query_in.defined() && key_in.defined() && value_in.defined(),
              "MultiheadAttention: expected defined query, key and value");
  const bool batched = check_shapes(query_in, key_in, value_in, call.key_padding_mask, call.attn_mask, num_heads);
  EMBER_CHECK(!call.is_causal || call.attn_mask.defined(),
              "Need attn_mask if specifying the is_causal hint. You may "
              "use the Transformer module method `generate_square_subsequent_mask` to create this mask.");
  // [L, N, E] throughout: batch_first transposed, unbatched given a batch of one.
  const auto as_sequence_first = [&](const Tensor& t) {
    return !batched ? t.unsqueeze(1) : options.batch_first ? t.transpose(0, 1) : t;
  };
  const Tensor query = as_sequence_first(query_in), key = as_sequence_first(key_in),
               value = as_sequence_first(value_in);
  const int64_t L = query.size(0), N = query.size(1), H = num_heads;
  EMBER_CHECK(query.size(2) == embed_dim, "was expecting embedding dimension of ", embed_dim, ", but got ",
              query.size(2));
  if (separate_projections())
    EMBER_CHECK(key.size(0) == value.size(0) && key.size(1) == value.size(1), "key's sequence and batch dims ",
                Dims({key.size(0), key.size(1)}), " do not match value's ", Dims({value.size(0), value.size(1)}));
  else
    EMBER_CHECK(key.sizes() == value.sizes(), "key shape ", key.sizes(), " does not match value shape ", value.sizes());
  const DType dtype = query.dtype();
  detail::check_mask_types(call.key_padding_mask, "key_padding_mask", call.attn_mask, "attn_mask");
  Tensor key_padding_mask = canonical_mask(call.key_padding_mask, "key_padding_mask", dtype);
  if (key_padding_mask.defined() && !batched) key_padding_mask = key_padding_mask.unsqueeze(0);
  // The causal hint replaces the mask only where nothing needs the mask itself.
  const bool causal = call.is_causal && !key_padding_mask.defined() && !call.need_weights;
  Tensor attn_mask = causal ? Tensor() : canonical_mask(call.attn_mask, "attn_mask", dtype);

  // In-projection: one product for self-attention (query, key and value one tensor), else three.
  Tensor q, k, v;
  const auto bias_part = [&](int64_t i) {
    return in_proj_bias.defined() ? in_proj_bias.narrow(0, i * embed_dim, embed_dim) : Tensor();
  };
  if (separate_projections()) {
    // PyTorch's _in_projection checks each weight against the widths of its input.
    const auto check_weight = [&](const char* which, const Tensor& weight, const Tensor& input) {
      const Dims expected{query.size(-1), input.size(-1)};
      EMBER_CHECK(weight.sizes() == expected, "expecting ", which, " weights shape of (", expected[0], ", ",
                  expected[1], "), but got torch.Size([", weight.size(0), ", ", weight.size(1), "])");
    };
    check_weight("query", q_proj_weight, query);
    check_weight("key", k_proj_weight, key);
    check_weight("value", v_proj_weight, value);
    q = F::linear(query, q_proj_weight, bias_part(0));
    k = F::linear(key, k_proj_weight, bias_part(1));
    v = F::linear(value, v_proj_weight, bias_part(2));
  } else if (query_in.is_same(key_in) && key_in.is_same(value_in)) {  // before any transpose, as PyTorch
    const Tensor packed = F::linear(query, in_proj_weight, in_proj_bias);
    q = packed.narrow(2, 0, embed_dim);
    k = packed.narrow(2, embed_dim, embed_dim);
    v = packed.narrow(2, 2 * embed_dim, embed_dim);
  } else {
    const auto weight_part = [&](int64_t i) { return in_proj_weight.narrow(0, i * embed_dim, embed_dim); };
    q = F::linear(query, weight_part(0), bias_part(0));
    k = F::linear(key, weight_part(1), bias_part(1));
    v = F::linear(value, weight_part(2), bias_part(2));
  }
  attn_mask = three_dim_mask(attn_mask, L, key.size(0), N * H);
  if (bias_k.defined()) {
    k = ember::cat({k, bias_k.repeat({1, N, 1})});
    v = ember::cat({v, bias_v.repeat({1, N, 1})});
    attn_mask = pad_key(attn_mask);
    key_padding_mask = pad_key(key_padding_mask);
  }
  // [N * H, length, head_dim]: the heads of each batch element next to each other.
  const auto heads_first = [&](const Tensor& t) { return t.reshape({t.size(0), N * H, head_dim}).transpose(0, 1); };
  q = heads_first(q);
  k = heads_first(k);
  v = heads_first(v);
  if (options.add_zero_attn) {
    const Tensor zero = zeros({N * H, 1, head_dim}, k.options());
    k = ember::cat({k, zero}, 1);
    v = ember::cat({v, zero}, 1);
    attn_mask = pad_key(attn_mask);
    key_padding_mask = pad_key(key_padding_mask);
  }
  const int64_t S = k.size(1);
  if (key_padding_mask.defined()) {
    EMBER_CHECK(key_padding_mask.sizes() == Dims({N, S}), "expecting key_padding_mask shape of (", N, ", ", S,
                "), but got ", key_padding_mask.sizes());
    const Tensor per_head = key_padding_mask.reshape({N, 1, 1, S}).expand({N, H, 1, S}).reshape({N * H, 1, S});
    attn_mask = attn_mask.defined() ? attn_mask + per_head : per_head;
  }
  const double dropout_p = is_training() ? options.dropout : 0.0;
  Tensor out, weights;
  if (call.need_weights) {
    // PyTorch's explicit form: its softmax leaves a row with every key masked NaN.
    const Tensor q_scaled = q * std::sqrt(1.0 / static_cast<double>(head_dim));
    weights = attn_mask.defined() ? ember::baddbmm(attn_mask, q_scaled, k.transpose(1, 2))
                                  : ember::bmm(q_scaled, k.transpose(1, 2));
    weights = F::softmax(weights, -1);
    if (dropout_p > 0) weights = F::dropout(weights, dropout_p, true);
    out = ember::bmm(weights, v).transpose(0, 1).reshape({L * N, embed_dim});
  } else {
    if (attn_mask.defined())
      attn_mask = attn_mask.size(0) == 1 ? attn_mask.unsqueeze(0) : attn_mask.reshape({N, H, -1, S});
    const auto per_batch = [&](const Tensor& t) { return t.reshape({N, H, t.size(1), head_dim}); };
    out = F::scaled_dot_product_attention(per_batch(q), per_batch(k), per_batch(v), attn_mask, dropout_p, causal)
              .permute({2, 0, 1, 3})
              .reshape({L * N, embed_dim});
  }
  // out_proj is read, not called, as PyTorch's: a parametrized weight (spectral_norm) is
  // computed here as PyTorch's attribute computed at each read.
  out_proj->recompute_reparametrized();
  out = F::linear(out, out_proj->weight, out_proj->bias).reshape({L, N, embed_dim});
  if (weights.defined()) {
    weights = weights.reshape({N, H, L, S});
    if (call.average_attn_weights) weights = weights.mean({1});
    if (!batched) weights = weights.squeeze(0);
  }
  out = !batched ? out.squeeze(1) : options.batch_first ? out.transpose(0, 1) : out;
  return {out, weights};
}

std::string MultiheadAttention::eval_mode_effect() const {
  std::ostringstream os;
  os << "MultiheadAttention(dropout=" << options.dropout << ") dropped no attention weights";
  return os.str();
}

Tensor generate_square_subsequent_mask(int64_t size, TensorOptions options) {
  EMBER_CHECK(size >= 0, "generate_square_subsequent_mask: expected a non-negative size, but got ", size);
  return ember::triu(full({size, size}, kMinusInf, options), 1);
}

}  // namespace ember::nn
