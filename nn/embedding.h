// nn::Embedding: a [num_embeddings, embedding_dim] table looked up by int64 indices,
// initialised N(0, 1) like PyTorch's, the padding_idx row zero and never trained.
#pragma once
#include <optional>

#include "nn/module.h"

namespace ember::nn {

class Embedding : public Module {
 public:
  // padding_idx may be negative (counted from the end), as PyTorch's.
  Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx = std::nullopt);
  // nn.Embedding.from_pretrained: a copy of `embeddings` (2-D, floating) as the weight,
  // trained unless freeze.
  static std::shared_ptr<Embedding> from_pretrained(const Tensor& embeddings, bool freeze = true,
                                                    std::optional<int64_t> padding_idx = std::nullopt);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  const int64_t num_embeddings;
  const int64_t embedding_dim;
  const std::optional<int64_t> padding_idx;  // in [0, num_embeddings) once constructed
  Tensor& weight;                            // [num_embeddings, embedding_dim]

 private:
  Embedding(const Tensor& table, std::optional<int64_t> padding_idx);  // table: the weight, as is
};

}  // namespace ember::nn
