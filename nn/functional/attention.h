// nn::functional::scaled_dot_product_attention: PyTorch 2.x's math backend (boolean or
// additive masks, is_causal, dropout, scale, grouped-query heads) composed of recorded ops,
// so it runs and differentiates, twice, on every device (Note [Attention as recorded ops]).
#pragma once
#include <optional>

#include "core/tensor.h"

namespace ember::nn::functional {

// softmax(q k^T * scale + mask) v over the last two dims, batch dims broadcast: q [..., L, E],
// k [..., S, E], v [..., S, Ev] -> [..., L, Ev]. attn_mask (broadcast to [..., L, S]) is kBool
// (true: the key takes part) or floating (added); is_causal masks key j > query i (and takes
// no attn_mask). scale defaults to 1/sqrt(E). dropout_p drops attention weights always, as
// PyTorch's functional does (pass 0 in eval). A query row with every key masked gives zeros
// (PyTorch's safe softmax), with zero gradients. enable_gqa: k and v with fewer heads (dim
// -3) than q, each repeated for Hq / Hk query heads.
Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const Tensor& attn_mask = Tensor(), double dropout_p = 0.0, bool is_causal = false,
                                    std::optional<double> scale = std::nullopt, bool enable_gqa = false);

}  // namespace ember::nn::functional
