// nn::functional::embedding and one_hot: argument checks in PyTorch's words, then
// ember::embedding (one node, autograd/functions/indexing.cpp) and a comparison with
// arange (so both run on any device).
#include "nn/functional/embedding.h"

#include <optional>

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "core/native_indexing.h"
#include "core/ops.h"

namespace ember::nn::functional {

namespace {
// The weight's rank and padding_idx checked (PyTorch's messages), padding_idx wrapped.
std::optional<int64_t> checked_padding_idx(const Tensor& weight, std::optional<int64_t> padding_idx) {
  EMBER_CHECK(weight.dim() == 2, "'weight' must be 2-D (got ", weight.dim(), "-D)");
  if (padding_idx) {
    const int64_t num = weight.size(0);
    EMBER_CHECK(*padding_idx >= -num && *padding_idx < num, "Padding_idx must be within num_embeddings (",
                num, "), got ", *padding_idx);
    if (*padding_idx < 0) padding_idx = *padding_idx + num;
  }
  return padding_idx;
}
}  // namespace

Tensor embedding(const Tensor& input, const Tensor& weight, std::optional<int64_t> padding_idx) {
  return ember::embedding(weight, input, checked_padding_idx(weight, padding_idx));
}

Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& options) {
  checked_padding_idx(weight, options.padding_idx);  // before max_norm changes the weight, as PyTorch's
  if (options.max_norm) {
    Tensor table = weight;  // the same tensor: renormalised in place
    embedding_renorm_(table, input, *options.max_norm, options.norm_type);
  }
  Tensor out = functional::embedding(input, weight, options.padding_idx);
  if (options.scale_grad_by_freq) detail::scale_grad_by_frequency(out, input, weight.size(0));
  return out;
}

void detail::scale_grad_by_frequency(Tensor& looked_up, const Tensor& indices, int64_t num_embeddings) {
  if (!looked_up.requires_grad()) return;
  // each looked-up row's gradient over the number of times the input names it
  const Tensor counts = bincount(indices.flatten(), Tensor(), num_embeddings);
  const Tensor inverse_frequency =
      reciprocal(index_select(counts, 0, indices.flatten()).to(looked_up.dtype())).view(indices.sizes()).unsqueeze(-1);
  looked_up.register_hook([inverse_frequency](const Tensor& grad) { return grad * inverse_frequency; });
}

Tensor& embedding_renorm_(Tensor& weight, const Tensor& indices, double max_norm, double norm_type) {
  EMBER_CHECK(weight.dim() == 2, "'weight' must be 2-D (got ", weight.dim(), "-D)");
  EMBER_CHECK(
      indices.dtype() == kInt64,
      "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got ",
      dtype_torch_name(indices.dtype()), " instead (while checking arguments for embedding_renorm_)");
  NoGradGuard no_grad;
  const Tensor rows = std::get<0>(unique(indices.flatten()));
  if (rows.numel() == 0) return weight;
  const Tensor selected = index_select(weight, 0, rows);
  // The norm in the weight's dtype, the scale in double, as PyTorch's (norm + 1e-7 in double)
  const Tensor norms = linalg::vector_norm(selected, norm_type, 1, /*keepdim=*/true).to(kFloat64);
  const Tensor scale = where(gt(norms, max_norm), rdiv(norms + 1e-7, max_norm), 1.0);
  // Only the looked-up rows are written (PyTorch's row *= scale, the scale a float for 16-bit
  // and float32 rows): a scatter into the table in place (which bumps its version once, as
  // any in-place write), not a pass over the whole table.
  const DType compute = compute_dtype(weight.dtype());
  const Tensor scaled = mul(selected.to(compute), scale.to(compute)).to(weight.dtype());
  native::scatter_(weight, 0, native::index_along(rows, 0, scaled.sizes()), scaled);
  return weight;
}

Tensor one_hot(const Tensor& indices, int64_t num_classes) {
  EMBER_CHECK(indices.dtype() == kInt64, "one_hot is only applicable to index tensor. (got ",
              dtype_torch_name(indices.dtype()), ")");
  if (indices.numel() == 0) {  // PyTorch's Onehot.cpp
    EMBER_CHECK(num_classes > 0, "Can not infer total number of classes from empty tensor.");
  } else {
    EMBER_CHECK(indices.min().item<int64_t>() >= 0, "Class values must be non-negative.");
    const int64_t largest = indices.max().item<int64_t>();
    if (num_classes == -1) num_classes = largest + 1;
    EMBER_CHECK(num_classes >= 0 && largest < num_classes, "Class values must be smaller than num_classes.");
  }
  const Tensor classes = arange(num_classes, TensorOptions().dtype(kInt64).device(indices.device()));
  return eq(indices.unsqueeze(-1), classes).to(kInt64);
}

}  // namespace ember::nn::functional
