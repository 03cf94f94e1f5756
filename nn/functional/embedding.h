// nn::functional::embedding (rows of a weight looked up by int64 indices) and one_hot
// (class indices as int64 one-hot rows), with PyTorch's arguments and errors.
#pragma once
#include <cstdint>
#include <optional>

#include "core/tensor.h"

namespace ember::nn::functional {

// weight [num_embeddings, embedding_dim]; input int64 of any shape; the result is
// input.sizes() + [embedding_dim]. padding_idx may be negative (counted from the end,
// as PyTorch's); its rows get no gradient. Differentiable in weight only.
Tensor embedding(const Tensor& input, const Tensor& weight, std::optional<int64_t> padding_idx = std::nullopt);

// int64 [..., num_classes] with a 1 at each value of `indices` (int64, values in
// [0, num_classes)); num_classes = -1 takes max(indices) + 1. Reads the indices' range
// back to the host to check it (and to size the result), as PyTorch does.
Tensor one_hot(const Tensor& indices, int64_t num_classes = -1);

}  // namespace ember::nn::functional
