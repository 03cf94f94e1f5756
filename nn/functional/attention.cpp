// nn::functional::scaled_dot_product_attention: PyTorch's checks and messages, then the math
// backend's ops (Note [Attention as recorded ops]).
#include "nn/functional/attention.h"

#include <cmath>
#include <limits>

#include "core/autocast.h"
#include "core/error.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "nn/functional/basic.h"
#include "nn/functional/loss.h"

namespace ember::nn::functional {

// Note [Attention as recorded ops]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// scaled_dot_product_attention is PyTorch's math backend written with ember's ops: scores =
// (q * scale) @ k^T, the mask applied (a bool mask's false entries and is_causal's upper
// triangle filled with -inf, a float mask added), softmax over keys, dropout, then @ v. Each op
// records its own node, so the gradients (and their gradients) are those ops' on any device,
// and nothing is saved under no_grad or inference mode. What a recording call saves is the
// math backend's: q * scale, k, v and the attention weights (and dropout's mask); a fused
// kernel that recomputes the weights in backward (flash attention) would save only the row
// statistics. A query row whose keys are all masked has no softmax (0 / 0); PyTorch's safe
// softmax makes it zeros. Here such rows are found only where a mask was given (is_causal
// leaves key 0 to every row), their scores replaced by zeros before the softmax (a finite,
// uniform row) and their outputs by zeros after the product, so neither values nor gradients
// see a NaN. bfloat16 and float16 inputs compute in float32, the output rounded once, as
// PyTorch's. nn::MultiheadAttention uses this function where it returns no weights.
Tensor scaled_dot_product_attention(const Tensor& query_in, const Tensor& key_in, const Tensor& value_in,
                                    const Tensor& attn_mask_in, double dropout_p, bool is_causal,
                                    std::optional<double> scale, bool enable_gqa) {
  EMBER_CHECK(query_in.defined() && key_in.defined() && value_in.defined(),
              "scaled_dot_product_attention: expected defined query, key and value");
  // On PyTorch's lower-precision autocast list: q, k, v and a float mask are cast before the
  // dtype check, so float32 q and k (rotary embeddings) with a bf16 v run in bf16.
  const auto cast =
      autocast::cast_inputs(autocast::CastPolicy::LowerPrecision, query_in, key_in, value_in, attn_mask_in);
  const Tensor &query = cast[0], &key = cast[1], &value = cast[2], &attn_mask = cast[3];
  EMBER_PROFILE_OP("scaled_dot_product_attention");
  EMBER_CHECK(query.dtype() == key.dtype() && query.dtype() == value.dtype(),
              "Expected query, key, and value to have the same dtype, but got query.dtype: ",
              dtype_torch_name(query.dtype()), " key.dtype: ", dtype_torch_name(key.dtype()),
              " and value.dtype: ", dtype_torch_name(value.dtype()), " instead.");
  EMBER_CHECK(
      query.device() == key.device() && query.device() == value.device(),
      "Expected query, key, and value to have the same device type, but got query.device: ", query.device().str(),
      " key.device: ", key.device().str(), " and value.device: ", value.device().str(), " instead.");
  EMBER_CHECK(is_floating(query.dtype()),
              "scaled_dot_product_attention: expected floating-point query, key and "
              "value, but got ",
              dtype_torch_name(query.dtype()));
  EMBER_CHECK(query.dim() >= 2 && key.dim() >= 2 && value.dim() >= 2,
              "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: ", query.dim(),
              " key.dim: ", key.dim(), " and value.dim: ", value.dim(), " instead.");
  const int64_t E = query.size(-1), L = query.size(-2), S = key.size(-2);
  EMBER_CHECK(key.size(-1) == E, "scaled_dot_product_attention: expected key's last dim to be query's (", E,
              "), but got query of size ", query.sizes(), " and key of size ", key.sizes());
  EMBER_CHECK(value.size(-2) == S,
              "scaled_dot_product_attention: expected value's dim -2 to be key's sequence length (", S,
              "), but got key of size ", key.sizes(), " and value of size ", value.sizes());
  EMBER_CHECK(!(is_causal && attn_mask.defined()),
              "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True");
  EMBER_CHECK(dropout_p >= 0 && dropout_p <= 1, "dropout probability has to be between 0 and 1, but got ", dropout_p);
  if (attn_mask.defined()) {
    EMBER_CHECK(attn_mask.dtype() == kBool || attn_mask.dtype() == kFloat32 || attn_mask.dtype() == query.dtype(),
                "Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: ",
                dtype_torch_name(attn_mask.dtype()), " and  query.dtype: ", dtype_torch_name(query.dtype()),
                " instead.");
    native::check_same_device(query, {&attn_mask}, "scaled_dot_product_attention");
  }
  // 16-bit inputs compute in float32 and the output is rounded once, as PyTorch's math backend
  // (query_acc = query.to(kFloat), ...; its fused kernels accumulate in float32 too)
  const DType compute = compute_dtype(query.dtype());
  const auto widened = [compute](const Tensor& t) { return t.dtype() == compute ? t : t.to(compute); };
  const Tensor q = widened(query);
  Tensor k = widened(key), v = widened(value);
  if (enable_gqa) {
    EMBER_CHECK(query.dim() >= 3 && key.dim() >= 3 && value.dim() >= 3,
                "scaled_dot_product_attention: enable_gqa expects heads at dim -3, but got query of size ",
                query.sizes(), ", key of size ", key.sizes(), " and value of size ", value.sizes());
    const int64_t heads = query.size(-3), key_heads = key.size(-3), value_heads = value.size(-3);
    EMBER_CHECK(key_heads > 0 && value_heads > 0 && heads % key_heads == 0 && heads % value_heads == 0,
                "Number of heads in key and value must divide the number of heads in query, but got query with ", heads,
                ", key with ", key_heads, " and value with ", value_heads, " heads");
    if (key_heads != heads) k = k.repeat_interleave(heads / key_heads, -3);
    if (value_heads != heads) v = v.repeat_interleave(heads / value_heads, -3);
  }
  const double factor = scale.value_or(1.0 / std::sqrt(static_cast<double>(E)));
  Tensor scores = ember::matmul(q * factor, k.transpose(-2, -1));
  constexpr double kMinusInf = -std::numeric_limits<double>::infinity();
  Tensor rows_without_keys;  // [..., L, 1]: every key masked (Note [Attention as recorded ops])
  if (is_causal) {
    const Tensor above = ember::triu(ones({L, S}, TensorOptions(kBool).device(query.device())), 1);
    scores = scores.masked_fill(above, kMinusInf);
  } else if (attn_mask.defined()) {
    // PyTorch adds the mask in place: it broadcasts to the scores, never the other way.
    const Dims shape = broadcast_shapes(scores.sizes(), attn_mask.sizes());
    EMBER_CHECK(shape == scores.sizes(), "scaled_dot_product_attention: output with shape ", scores.sizes(),
                " doesn't match the broadcast shape ", shape, " (attn_mask of size ", attn_mask.sizes(), ")");
    scores =
        attn_mask.dtype() == kBool ? scores.masked_fill(~attn_mask, kMinusInf) : scores + attn_mask.to(compute);
    rows_without_keys = ember::isneginf(scores).all(-1, true);
    scores = ember::where(rows_without_keys, 0, scores);
  }
  Tensor weights = softmax(scores, -1);
  if (dropout_p > 0) weights = dropout(weights, dropout_p, true);
  const Tensor out = ember::matmul(weights, v);
  const Tensor result = rows_without_keys.defined() ? ember::where(rows_without_keys, 0, out) : out;
  return result.dtype() == query.dtype() ? result : result.to(query.dtype());
}

}  // namespace ember::nn::functional
