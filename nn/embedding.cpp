// nn::Embedding: the table, PyTorch's N(0, 1) initialisation with the padding row
// zeroed, and forward through nn::functional::embedding.
#include "nn/embedding.h"

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "nn/functional/embedding.h"

namespace ember::nn {

namespace {

std::optional<int64_t> checked_padding(std::optional<int64_t> padding_idx, int64_t num_embeddings) {
  if (!padding_idx) return padding_idx;
  EMBER_CHECK(*padding_idx >= -num_embeddings && *padding_idx < num_embeddings,
              "Padding_idx must be within num_embeddings (", num_embeddings, "), got ", *padding_idx);
  return *padding_idx < 0 ? *padding_idx + num_embeddings : *padding_idx;
}

Tensor initial_table(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx) {
  EMBER_CHECK(num_embeddings >= 0 && embedding_dim >= 0, "Trying to create tensor with negative dimension: [",
              num_embeddings, ", ", embedding_dim, "]");
  NoGradGuard no_grad;
  Tensor table = randn({num_embeddings, embedding_dim});
  if (padding_idx) table.select(0, *checked_padding(padding_idx, num_embeddings)).zero_();
  return table;
}

}  // namespace

Embedding::Embedding(int64_t num, int64_t dim, std::optional<int64_t> padding)
    : Embedding(initial_table(num, dim, padding), padding) {}

Embedding::Embedding(const Tensor& table, std::optional<int64_t> padding)
    : Module("Embedding"),
      num_embeddings(table.size(0)),
      embedding_dim(table.size(1)),
      padding_idx(checked_padding(padding, table.size(0))),
      weight(register_parameter("weight", table)) {}

// No random draw (PyTorch's _weight=): the default generator's stream is the same as
// without this module.
std::shared_ptr<Embedding> Embedding::from_pretrained(const Tensor& embeddings, bool freeze,
                                                      std::optional<int64_t> padding_idx) {
  EMBER_CHECK(embeddings.dim() == 2, "Embeddings parameter is expected to be 2-dimensional (got ",
              embeddings.dim(), "-D)");
  EMBER_CHECK(is_floating(embeddings.dtype()), "Embedding.from_pretrained: expected floating embeddings, got ",
              dtype_torch_name(embeddings.dtype()));
  Tensor table;
  {
    NoGradGuard no_grad;
    table = embeddings.detach().clone(MemoryFormat::Contiguous);
  }
  std::shared_ptr<Embedding> module(new Embedding(table, padding_idx));
  module->weight.requires_grad_(!freeze);
  return module;
}

Tensor Embedding::forward(const Tensor& input) { return functional::embedding(input, weight, padding_idx); }

std::string Embedding::extra_repr() const {
  std::string s = std::to_string(num_embeddings) + ", " + std::to_string(embedding_dim);
  if (padding_idx) s += ", padding_idx=" + std::to_string(*padding_idx);
  return s;
}

}  // namespace ember::nn
