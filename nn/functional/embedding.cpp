// nn::functional::embedding and one_hot: argument checks in PyTorch's words, then
// ember::embedding (one node, autograd/functions/indexing.cpp) and a comparison with
// arange (so both run on any device).
#include "nn/functional/embedding.h"

#include "core/error.h"
#include "core/factories.h"
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
