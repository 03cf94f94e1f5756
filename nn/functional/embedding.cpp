// nn::functional::embedding and one_hot: argument checks in PyTorch's words, then
// ember::embedding (one node, autograd/functions/indexing.cpp) and a comparison with
// arange (so both run on any device).
#include "nn/functional/embedding.h"

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/ops.h"

namespace ember::nn::functional {

Tensor embedding(const Tensor& input, const Tensor& weight, std::optional<int64_t> padding_idx) {
  EMBER_CHECK(weight.dim() == 2, "'weight' must be 2-D (got ", weight.dim(), "-D)");
  if (padding_idx) {
    const int64_t num = weight.size(0);
    EMBER_CHECK(*padding_idx >= -num && *padding_idx < num, "Padding_idx must be within num_embeddings (",
                num, "), got ", *padding_idx);
    if (*padding_idx < 0) padding_idx = *padding_idx + num;
  }
  return ember::embedding(weight, input, padding_idx);
}

Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& options) {
  if (options.max_norm) {
    Tensor table = weight;  // the same tensor: renormalised in place
    embedding_renorm_(table, input, *options.max_norm, options.norm_type);
  }
  Tensor out = functional::embedding(input, weight, options.padding_idx);
  if (options.scale_grad_by_freq && out.requires_grad()) {
    // each looked-up row's gradient over the number of times the input names it
    const Tensor counts = bincount(input.flatten(), Tensor(), weight.size(0));
    const Tensor inverse_frequency =
        reciprocal(index_select(counts, 0, input.flatten()).to(weight.dtype())).view(input.sizes()).unsqueeze(-1);
    out.register_hook([inverse_frequency](const Tensor& grad) { return grad * inverse_frequency; });
  }
  return out;
}

Tensor& embedding_renorm_(Tensor& weight, const Tensor& indices, double max_norm, double norm_type) {
  EMBER_CHECK(weight.dim() == 2, "'weight' must be 2-D (got ", weight.dim(), "-D)");
  EMBER_CHECK(indices.dtype() == kInt64,
              "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long; but got ",
              dtype_torch_name(indices.dtype()), " instead (while checking arguments for embedding_renorm_)");
  NoGradGuard no_grad;
  const Tensor rows = std::get<0>(unique(indices.flatten()));
  if (rows.numel() == 0) return weight;
  const Tensor selected = index_select(weight, 0, rows);
  // The norm in the weight's dtype, the scale in double, as PyTorch's (norm + 1e-7 in double)
  const Tensor norms = linalg::vector_norm(selected, norm_type, 1, /*keepdim=*/true).to(kFloat64);
  const Tensor scale = where(gt(norms, max_norm), rdiv(norms + 1e-7, max_norm), 1.0).to(weight.dtype());
  // One in-place pass over the table (index_copy_ makes a copy of it): every row times its
  // scale, 1 (exact) for the rows not looked up or within max_norm.
  Tensor row_scales = ones({weight.size(0), 1}, TensorOptions(weight.dtype()).device(weight.device()));
  row_scales.index_copy_(0, rows, scale);
  weight.mul_(row_scales);
  return weight;
}

Tensor one_hot(const Tensor& indices, int64_t num_classes) {
  EMBER_CHECK(indices.dtype() == kInt64, "one_hot is only applicable to index tensor. (got ",
              dtype_torch_name(indices.dtype()), ")");
  EMBER_CHECK(num_classes >= -1, "one_hot: num_classes must be -1 or non-negative, got ", num_classes);
  if (indices.numel() == 0) {
    EMBER_CHECK(num_classes != -1, "Can not infer total number of classes from empty tensor.");
  } else {
    EMBER_CHECK(indices.min().item<int64_t>() >= 0, "Class values must be non-negative.");
    const int64_t largest = indices.max().item<int64_t>();
    if (num_classes == -1) num_classes = largest + 1;
    EMBER_CHECK(largest < num_classes, "Class values must be smaller than num_classes.");
  }
  const Tensor classes = arange(num_classes, TensorOptions().dtype(kInt64).device(indices.device()));
  return eq(indices.unsqueeze(-1), classes).to(kInt64);
}

}  // namespace ember::nn::functional
