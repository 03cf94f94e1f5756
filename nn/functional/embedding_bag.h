// nn::functional::embedding_bag (torch.nn.functional's): the rows of a table looked up by
// bags of indices and reduced per bag (sum, mean or max), without the [n, dim] lookup
// leaving the call; composed of native ops, so it runs and differentiates on any device.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "core/tensor.h"

namespace ember::nn::functional {

// PyTorch's keyword arguments, as an aggregate: F::embedding_bag(x, w, {.offsets = o, .mode = "sum"}).
// offsets: with a 1-D input, int64, where each bag starts (offsets[0] == 0,
//   non-decreasing, at most the input's length); a 2-D input [B, L] is B bags of L and takes none.
// mode: "sum", "mean" or "max". An empty bag gives zeros in every mode.
// per_sample_weights: mode "sum" only; the input's shape and the weight's dtype; each row is
//   scaled by its weight before the sum (differentiable).
// include_last_offset: offsets has one more entry, the end of the last bag (1-D input only;
//   indices past it belong to no bag). A 2-D input stays B bags (PyTorch 1.13 drops the last).
// padding_idx: indices equal to it (negative: from the end) are left out of their bag (of its
//   sum, its mean's count and its max) and give the table no gradient.
// max_norm, norm_type: as F::embedding's, the looked-up rows renormalised in place first
//   (functional::embedding_renorm_).
// scale_grad_by_freq: each row's gradient divided by how often the input names it ("sum" and
//   "mean"; PyTorch's "max" backward ignores it, and so does this). sparse has no counterpart.
struct EmbeddingBagFuncOptions {
  Tensor offsets{};
  std::string mode = "mean";
  Tensor per_sample_weights{};
  bool include_last_offset = false;
  std::optional<int64_t> padding_idx = std::nullopt;
  std::optional<double> max_norm = std::nullopt;
  double norm_type = 2.0;
  bool scale_grad_by_freq = false;
};

// input int64 indices into weight [num_embeddings, dim] (floating), 1-D with offsets
// or 2-D; the result is [bags, dim] in weight's dtype. Differentiable in weight and
// per_sample_weights; max gives each bag's gradient to its first largest row, as PyTorch's.
// The indices' range and the offsets are checked on the host (a device sync on CUDA).
Tensor embedding_bag(const Tensor& input, const Tensor& weight, const EmbeddingBagFuncOptions& options = {});

}  // namespace ember::nn::functional
