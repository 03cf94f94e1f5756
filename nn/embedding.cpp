// nn::Embedding and nn::EmbeddingBag: the table, PyTorch's N(0, 1) initialisation with the
// padding row zeroed, and forward through nn::functional::embedding / embedding_bag.
#include "nn/embedding.h"

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "nn/functional/embedding.h"
#include "nn/init.h"
#include "nn/repr.h"

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
  if (init::detail::skipping_init()) return empty({num_embeddings, embedding_dim});  // skip_init: no draw
  NoGradGuard no_grad;
  Tensor table = randn({num_embeddings, embedding_dim});
  if (padding_idx) table.select(0, *checked_padding(padding_idx, num_embeddings)).zero_();
  return table;
}

Tensor pretrained_table(const Tensor& embeddings, const char* module) {
  EMBER_CHECK(embeddings.dim() == 2, "Embeddings parameter is expected to be 2-dimensional (got ",
              embeddings.dim(), "-D)");
  EMBER_CHECK(is_floating(embeddings.dtype()), module, ".from_pretrained: expected floating embeddings, got ",
              dtype_torch_name(embeddings.dtype()));
  NoGradGuard no_grad;
  return embeddings.is_contiguous() ? embeddings.detach() : embeddings.detach().clone(MemoryFormat::Contiguous);
}

// reset_parameters: a new N(0, 1) table written into the weight, its padding row zero.
void redraw_table(Tensor& weight, std::optional<int64_t> padding_idx) {
  const Tensor table = initial_table(weight.size(0), weight.size(1), padding_idx);
  NoGradGuard no_grad;
  weight.copy_(table);
}

}  // namespace

void Embedding::reset_parameters() { redraw_table(weight, padding_idx); }
void EmbeddingBag::reset_parameters() { redraw_table(weight, options.padding_idx); }

Embedding::Embedding(int64_t num, int64_t dim, std::optional<int64_t> padding)
    : Embedding(num, dim, EmbeddingOptions{.padding_idx = padding}) {}

Embedding::Embedding(int64_t num, int64_t dim, EmbeddingOptions options)
    : Embedding(initial_table(num, dim, options.padding_idx), options) {}

Embedding::Embedding(const Tensor& table, const EmbeddingOptions& options)
    : Module("Embedding"),
      num_embeddings(table.size(0)),
      embedding_dim(table.size(1)),
      padding_idx(checked_padding(options.padding_idx, table.size(0))),
      max_norm(options.max_norm),
      norm_type(options.norm_type),
      scale_grad_by_freq(options.scale_grad_by_freq),
      weight(register_parameter("weight", table)) {}

// No random draw (PyTorch's _weight=): the default generator's stream is the same as
// without this module.
std::shared_ptr<Embedding> Embedding::from_pretrained(const Tensor& embeddings, bool freeze,
                                                      std::optional<int64_t> padding_idx) {
  return from_pretrained(embeddings, freeze, EmbeddingOptions{.padding_idx = padding_idx});
}

std::shared_ptr<Embedding> Embedding::from_pretrained(const Tensor& embeddings, bool freeze, EmbeddingOptions options) {
  const Tensor table = pretrained_table(embeddings, "Embedding");
  std::shared_ptr<Embedding> module(new Embedding(table, options));
  module->weight.requires_grad_(!freeze);
  return module;
}

Tensor Embedding::forward(const Tensor& input) {
  return functional::embedding(input, weight,
                               functional::EmbeddingFuncOptions{.padding_idx = padding_idx,
                                                                .max_norm = max_norm,
                                                                .norm_type = norm_type,
                                                                .scale_grad_by_freq = scale_grad_by_freq});
}

std::string Embedding::extra_repr() const {
  std::string s = std::to_string(num_embeddings) + ", " + std::to_string(embedding_dim);
  if (padding_idx) s += ", padding_idx=" + std::to_string(*padding_idx);
  if (max_norm) s += ", max_norm=" + detail::python_float(*max_norm);
  if (norm_type != 2.0) s += ", norm_type=" + detail::python_float(norm_type);
  if (scale_grad_by_freq) s += ", scale_grad_by_freq=True";
  return s;
}

EmbeddingBag::EmbeddingBag(int64_t num, int64_t dim, EmbeddingBagOptions opts)
    : EmbeddingBag(initial_table(num, dim, opts.padding_idx), opts) {}

EmbeddingBag::EmbeddingBag(const Tensor& table, EmbeddingBagOptions opts)
    : Module("EmbeddingBag"),
      num_embeddings(table.size(0)),
      embedding_dim(table.size(1)),
      options{.mode = std::move(opts.mode),
              .include_last_offset = opts.include_last_offset,
              .padding_idx = checked_padding(opts.padding_idx, table.size(0)),
              .max_norm = opts.max_norm,
              .norm_type = opts.norm_type,
              .scale_grad_by_freq = opts.scale_grad_by_freq},
      weight(register_parameter("weight", table)) {
  EMBER_CHECK(options.mode == "sum" || options.mode == "mean" || options.mode == "max",
              "mode has to be one of sum, mean or max, got '", options.mode, "'");
}

std::shared_ptr<EmbeddingBag> EmbeddingBag::from_pretrained(const Tensor& embeddings, bool freeze,
                                                            EmbeddingBagOptions options) {
  std::shared_ptr<EmbeddingBag> module(
      new EmbeddingBag(pretrained_table(embeddings, "EmbeddingBag"), std::move(options)));
  module->weight.requires_grad_(!freeze);
  return module;
}

Tensor EmbeddingBag::forward(const Tensor& input, const Tensor& offsets, const Tensor& per_sample_weights) {
  return functional::embedding_bag(input, weight,
                                   {.offsets = offsets,
                                    .mode = options.mode,
                                    .per_sample_weights = per_sample_weights,
                                    .include_last_offset = options.include_last_offset,
                                    .padding_idx = options.padding_idx,
                                    .max_norm = options.max_norm,
                                    .norm_type = options.norm_type,
                                    .scale_grad_by_freq = options.scale_grad_by_freq});
}

Tensor EmbeddingBag::operator()(const Tensor& input, const Tensor& offsets, const Tensor& per_sample_weights) {
  return calls_.call(*this, input, {.offsets = offsets, .per_sample_weights = per_sample_weights}).first;
}

Tensor EmbeddingBag::forward(const Tensor& input) {
  if (const Frame* frame = calls_.claim()) return forward(input, frame->offsets, frame->per_sample_weights);
  return forward(input, Tensor());
}

std::string EmbeddingBag::extra_repr() const {
  std::string s = std::to_string(num_embeddings) + ", " + std::to_string(embedding_dim);
  if (options.max_norm) s += ", max_norm=" + detail::python_float(*options.max_norm);
  if (options.norm_type != 2.0) s += ", norm_type=" + detail::python_float(options.norm_type);
  if (options.scale_grad_by_freq) s += ", scale_grad_by_freq=True";
  s += ", mode='" + options.mode + "'";  // PyTorch 2's repr() of each value
  if (options.padding_idx) s += ", padding_idx=" + std::to_string(*options.padding_idx);
  return s;
}

}  // namespace ember::nn
