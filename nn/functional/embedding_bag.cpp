// nn::functional::embedding_bag: PyTorch's argument checks and messages, then each index
// given its bag (a spare bag for those left out) and the rows reduced into bags by
// index_add (sum, mean) or a first-largest search and a gather (max). Note [EmbeddingBag as native ops].
#include "nn/functional/embedding_bag.h"

#include <limits>
#include <vector>

#include "core/error.h"
#include "core/factories.h"
#include "core/legacy_type_name.h"
#include "core/native.h"
#include "core/ops.h"
#include "nn/functional/embedding.h"

namespace ember::nn::functional {

// Note [EmbeddingBag as native ops]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// Every index i gets a bag number bag_of[i]: row / L for a 2-D input, the count of bag
// starts offsets[1..] at or before i for a 1-D one (a scatter_add of ones and a cumsum, so
// nothing but the checks leaves the device). Indices to leave out (padding_idx, or past the
// last offset with include_last_offset) get the spare bag B, reduced like the others into a
// [B + 1, dim] result whose last row is dropped: they cost no masking, and the autograd of
// the ops (embedding, index_add, gather) gives them no gradient.
// sum: index_add of the (weighted) rows; mean: that over the bag's count (at least 1).
// max: PyTorch gives a bag's gradient to its first largest row, not shared among ties, so
// max is found without autograd (scatter_reduce amax), each bag's first position holding it
// (scatter_reduce amin over positions; n for an empty bag) picked, and the rows gathered
// there from the rows with a zero row appended (an empty bag's zeros). As PyTorch's kernels
// (a later row replaces the best only when larger), a NaN is the bag's result where it comes
// first in the bag and passed over elsewhere.

namespace {

void check_arguments(const Tensor& input, const Tensor& weight, const EmbeddingBagFuncOptions& o) {
  EMBER_CHECK(weight.dim() == 2, "embedding_bag: 'weight' must be 2-D (got ", weight.dim(), "-D)");
  EMBER_CHECK(is_floating(weight.dtype()), "embedding_bag: expected a floating 'weight', got ",
              dtype_torch_name(weight.dtype()));
  EMBER_CHECK(input.dtype() == kInt64,
              "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
              "but got ",
              legacy_type_name(input.dtype()), " instead (while checking arguments for embedding_bag)");
  EMBER_CHECK(o.mode == "sum" || o.mode == "mean" || o.mode == "max", "mode has to be one of sum, mean or max, got '",
              o.mode, "'");
  EMBER_CHECK(input.dim() == 1 || input.dim() == 2, "input has to be 1D or 2D Tensor, but got Tensor of dimension ",
              input.dim());
  if (input.dim() == 2) {
    EMBER_CHECK(!o.offsets.defined(),
                "if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length "
                "sequences. However, found offsets of shape ",
                o.offsets.sizes());
  } else {
    EMBER_CHECK(o.offsets.defined(), "offsets has to be a 1D Tensor but got None");
    EMBER_CHECK(o.offsets.dim() == 1, "offsets has to be a 1D Tensor, got ", o.offsets.dim(), "-D");
    EMBER_CHECK(o.offsets.dtype() == kInt64, "embedding_bag: offsets must be int64, got ",
                dtype_torch_name(o.offsets.dtype()));
    EMBER_CHECK(!o.include_last_offset || o.offsets.size(0) >= 1,
                "include_last_offset: number of offsets should be at least 1");
  }
  if (o.per_sample_weights.defined()) {
    EMBER_CHECK(o.mode == "sum",
                "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                "supported for mode='sum' (got mode='",
                o.mode, "')");
    EMBER_CHECK(o.per_sample_weights.sizes() == input.sizes(), "embedding_bag: If per_sample_weights (",
                o.per_sample_weights.sizes(), ") is not None, then it must have the same shape as the input (",
                input.sizes(), ")");
    EMBER_CHECK(o.per_sample_weights.dtype() == weight.dtype(),
                "Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
                "'per_sample_weights'; but type ",
                legacy_type_name(weight.dtype()), " does not equal ", legacy_type_name(o.per_sample_weights.dtype()),
                " (while checking arguments for embedding_bag)");
  }
  native::check_same_device(weight, {&input, &o.offsets, &o.per_sample_weights}, "embedding_bag");
}

// The offsets on the host: offsets[0] == 0, non-decreasing, at most n.
void check_offsets(const Tensor& offsets, int64_t n) {
  const Tensor host = offsets.to(Device()).contiguous();
  const int64_t* off = host.data_ptr<int64_t>();
  const int64_t count = host.numel();
  if (count == 0) return;
  EMBER_CHECK(off[0] == 0,
              "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
              "from position 0. However, got ",
              off[0]);
  for (int64_t i = 1; i < count; ++i) {
    EMBER_CHECK(off[i] >= off[i - 1], "embedding_bag: offsets must be non-decreasing, but offsets[", i, "] = ", off[i],
                " follows offsets[", i - 1, "] = ", off[i - 1]);
  }
  EMBER_CHECK(off[count - 1] <= n, "offsets[-1] can not be greater than input's length ", n, " but got offsets[-1] of ",
              off[count - 1]);
}

void check_indices(const Tensor& indices, int64_t num_embeddings) {
  if (indices.numel() == 0) return;
  for (const int64_t idx : {indices.min().item<int64_t>(), indices.max().item<int64_t>()}) {
    EMBER_CHECK(idx >= 0 && idx < num_embeddings,
                "embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be ", idx);
  }
}

// Each index's bag in [0, bags]; `bags` is the spare one (Note [EmbeddingBag as native ops]).
Tensor bag_numbers(const Tensor& input, const EmbeddingBagFuncOptions& o, int64_t bags) {
  const TensorOptions int64_opts = TensorOptions().dtype(kInt64).device(input.device());
  if (input.dim() == 2) return repeat_interleave(arange(bags, int64_opts), input.size(1));
  const int64_t n = input.numel();
  const Tensor starts = o.offsets.slice(0, 1);  // each in [0, n]
  const Tensor marks = scatter_add(zeros({n + 1}, int64_opts), 0, starts, ones({starts.numel()}, int64_opts));
  return cumsum(marks, 0).narrow(0, 0, n);
}

Tensor bag_max(const Tensor& rows, const Tensor& bag_of, int64_t bags) {
  const int64_t n = rows.size(0), dim = rows.size(1);
  const TensorOptions int64_opts = TensorOptions().dtype(kInt64).device(rows.device());
  const Tensor positions = arange(n, int64_opts);
  // PyTorch keeps a bag's first value and takes a later one only when it is larger: a NaN wins
  // where it comes first and is passed over elsewhere, which here becomes -inf.
  const Tensor bag_start = scatter_reduce(full({bags + 1}, n, int64_opts), 0, bag_of, positions, "amin");
  const Tensor starts_bag = eq(gather(bag_start, 0, bag_of), positions).unsqueeze(1);
  const Tensor values = where(bitwise_and(isnan(rows.detach()), bitwise_not(starts_bag)),
                              Scalar(-std::numeric_limits<double>::infinity()), rows.detach());
  const Tensor bag_2d = bag_of.unsqueeze(1).expand({n, dim});
  const Tensor best = scatter_reduce(full({bags + 1, dim}, -std::numeric_limits<double>::infinity(), values.options()),
                                     0, bag_2d, values, "amax", /*include_self=*/false);
  const Tensor best_at = gather(best, 0, bag_2d);
  const Tensor holds_best = where(isnan(best_at), isnan(values), eq(values, best_at));
  const Tensor position = where(holds_best, positions.unsqueeze(1).expand({n, dim}), Scalar(n));
  const Tensor first =
      scatter_reduce(full({bags + 1, dim}, n, int64_opts), 0, bag_2d, position, "amin").narrow(0, 0, bags);
  return gather(cat({rows, zeros({1, dim}, rows.options())}, 0), 0, first);
}

}  // namespace

Tensor embedding_bag(const Tensor& input, const Tensor& weight, const EmbeddingBagFuncOptions& o) {
  check_arguments(input, weight, o);
  const int64_t num_embeddings = weight.size(0), dim = weight.size(1), n = input.numel();
  std::optional<int64_t> padding_idx = o.padding_idx;
  if (padding_idx) {
    EMBER_CHECK(*padding_idx >= -num_embeddings && *padding_idx < num_embeddings,
                "padding_idx must be within the number of embeddings, ", -num_embeddings, " through ",
                num_embeddings - 1, ", but got ", *padding_idx);
    if (*padding_idx < 0) padding_idx = *padding_idx + num_embeddings;
  }
  if (input.dim() == 1) check_offsets(o.offsets, n);
  check_indices(input, num_embeddings);
  if (o.max_norm) {
    Tensor table = weight;  // the same tensor: renormalised in place
    embedding_renorm_(table, input, *o.max_norm, o.norm_type);
  }
  const int64_t bags = input.dim() == 2 ? input.size(0) : o.offsets.size(0) - (o.include_last_offset ? 1 : 0);

  const Tensor indices = input.reshape({n});
  Tensor bag_of = bag_numbers(input, o, bags);
  if (padding_idx) bag_of = where(eq(indices, Scalar(*padding_idx)), Scalar(bags), bag_of);
  Tensor rows = ember::embedding(weight, indices, padding_idx);  // [n, dim]
  if (o.mode == "max") return bag_max(rows, bag_of, bags);
  if (o.scale_grad_by_freq) detail::scale_grad_by_frequency(rows, indices, num_embeddings);

  // 16-bit tables sum in float32 and round once (PyTorch's output_fp32 buffer; CUDA's accscalar_t)
  const DType accumulate = compute_dtype(weight.dtype());
  rows = rows.to(accumulate);
  if (o.per_sample_weights.defined()) rows = mul(rows, o.per_sample_weights.to(accumulate).reshape({n, 1}));
  const Tensor sums = index_add(zeros({bags + 1, dim}, TensorOptions(accumulate).device(weight.device())), 0, bag_of,
                                rows)
                          .narrow(0, 0, bags);
  if (o.mode == "sum") return sums.to(weight.dtype());
  const TensorOptions int64_opts = TensorOptions().dtype(kInt64).device(input.device());
  const Tensor counts = scatter_add(zeros({bags + 1}, int64_opts), 0, bag_of, ones({n}, int64_opts));
  return div(sums, clamp(counts.narrow(0, 0, bags), Scalar(1), std::nullopt).to(accumulate).unsqueeze(1))
      .to(weight.dtype());
}

}  // namespace ember::nn::functional
