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

// F.embedding's other keyword arguments: F::embedding(x, w, {.max_norm = 1.0}).
// max_norm: each row the input looks up whose norm_type-norm is above it is first scaled,
// in place and under no_grad, to max_norm / (norm + 1e-7) times itself (embedding_renorm_),
// so the weight changes, as PyTorch's does. scale_grad_by_freq: each row's gradient is
// divided by how often the input looks it up (through a hook on the result: a retained
// .grad of the result is the scaled one).
struct EmbeddingFuncOptions {
  std::optional<int64_t> padding_idx = std::nullopt;
  std::optional<double> max_norm = std::nullopt;
  double norm_type = 2.0;
  bool scale_grad_by_freq = false;
};
Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& options);

namespace detail {
// scale_grad_by_freq (F::embedding's and F::embedding_bag's): the gradient reaching
// `looked_up` (the rows of `indices`, in their order and shape, the row dim last) is divided
// by how often each index occurs in `indices`.
void scale_grad_by_frequency(Tensor& looked_up, const Tensor& indices, int64_t num_embeddings);
}  // namespace detail

// torch.embedding_renorm_: the rows of weight that `indices` names (each once) whose
// norm_type-norm exceeds max_norm are scaled by max_norm / (norm + 1e-7), in place, under
// no_grad (the weight's version moves on, so a graph that saved it sees the change).
Tensor& embedding_renorm_(Tensor& weight, const Tensor& indices, double max_norm, double norm_type = 2.0);

// int64 [..., num_classes] with a 1 at each value of `indices` (int64, values in
// [0, num_classes)); num_classes = -1 takes max(indices) + 1. Reads the indices' range
// back to the host to check it (and to size the result), as PyTorch does.
Tensor one_hot(const Tensor& indices, int64_t num_classes = -1);

}  // namespace ember::nn::functional
