// nn::Embedding and nn::EmbeddingBag: a [num_embeddings, embedding_dim] table looked up by
// int64 indices (EmbeddingBag: and reduced per bag), initialised N(0, 1) like PyTorch's, the
// padding_idx row zero and never trained.
#pragma once
#include <optional>
#include <string>

#include "nn/functional/embedding_bag.h"
#include "nn/framed_calls.h"
#include "nn/module.h"

namespace ember::nn {

// Embedding's keyword arguments: nn::Embedding(10, 3, {.max_norm = 1.0}); as
// functional::EmbeddingFuncOptions (max_norm renormalises the looked-up rows of the weight
// in place before each lookup). PyTorch's sparse=True has no counterpart: gradients are dense.
struct EmbeddingOptions {
  std::optional<int64_t> padding_idx = std::nullopt;
  std::optional<double> max_norm = std::nullopt;
  double norm_type = 2.0;
  bool scale_grad_by_freq = false;
};

class Embedding : public Module {
 public:
  // padding_idx may be negative (counted from the end), as PyTorch's.
  Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx = std::nullopt);
  Embedding(int64_t num_embeddings, int64_t embedding_dim, EmbeddingOptions options);
  // nn.Embedding.from_pretrained: `embeddings` (2-D, floating) as the weight, sharing its
  // storage as PyTorch's Parameter(_weight) does (a copy only when it is not contiguous),
  // trained unless freeze.
  static std::shared_ptr<Embedding> from_pretrained(const Tensor& embeddings, bool freeze = true,
                                                    std::optional<int64_t> padding_idx = std::nullopt);
  static std::shared_ptr<Embedding> from_pretrained(const Tensor& embeddings, bool freeze, EmbeddingOptions options);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  void reset_parameters();  // N(0, 1) again, the padding_idx row zero

  const int64_t num_embeddings;
  const int64_t embedding_dim;
  const std::optional<int64_t> padding_idx;  // in [0, num_embeddings) once constructed
  const std::optional<double> max_norm;
  const double norm_type;
  const bool scale_grad_by_freq;
  Tensor& weight;  // [num_embeddings, embedding_dim]

 private:
  Embedding(const Tensor& table, const EmbeddingOptions& options);  // table: the weight, as is
};

// EmbeddingBag's keyword arguments: nn::EmbeddingBag(10, 3, {.mode = "sum"}). mode "sum",
// "mean" or "max"; include_last_offset and padding_idx as functional::embedding_bag's.
struct EmbeddingBagOptions {
  std::string mode = "mean";
  bool include_last_offset = false;
  std::optional<int64_t> padding_idx = std::nullopt;
  std::optional<double> max_norm = std::nullopt;  // as EmbeddingOptions'
  double norm_type = 2.0;
  bool scale_grad_by_freq = false;  // as EmbeddingOptions' ("sum" and "mean")
};

class EmbeddingBag : public Module {
 public:
  EmbeddingBag(int64_t num_embeddings, int64_t embedding_dim, EmbeddingBagOptions options = {});
  // nn.EmbeddingBag.from_pretrained: `embeddings` (2-D, floating) shared as Embedding's is,
  // trained unless freeze.
  static std::shared_ptr<EmbeddingBag> from_pretrained(const Tensor& embeddings, bool freeze = true,
                                                       EmbeddingBagOptions options = {});
  // input 2-D [B, L] (B bags of L) or 1-D with offsets; per_sample_weights with mode "sum"
  // -> [bags, embedding_dim] (functional::embedding_bag).
  Tensor forward(const Tensor& input, const Tensor& offsets, const Tensor& per_sample_weights = {});
  // Runs through Module::operator(), so hooks (pruning) see the call (Note [Calls with more
  // arguments] in nn/framed_calls.h).
  Tensor operator()(const Tensor& input, const Tensor& offsets, const Tensor& per_sample_weights = {});
  // The offsets and weights of that call; otherwise a 2-D input: forward(input, {}).
  Tensor forward(const Tensor& input) override;
  using Module::operator();
  std::string extra_repr() const override;
  void reset_parameters();  // N(0, 1) again, the padding_idx row zero

  const int64_t num_embeddings;
  const int64_t embedding_dim;
  const EmbeddingBagOptions options;  // padding_idx in [0, num_embeddings) once constructed
  Tensor& weight;                     // [num_embeddings, embedding_dim]

 private:
  EmbeddingBag(const Tensor& table, EmbeddingBagOptions options);  // table: the weight, as is

 private:
  struct Frame {
    Tensor offsets, per_sample_weights;
  };
  detail::FramedCalls<Frame> calls_;
};

}  // namespace ember::nn
