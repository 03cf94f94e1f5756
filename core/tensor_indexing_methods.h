// Tensor's indexing methods beyond index_select / gather / scatter (libtorch spellings):
// a fragment of class Tensor's body, which core/tensor.h includes inside the class (so no
// include guard and no includes here; don't include it anywhere else). Each is the free
// function of core/ops.h (autograd/functions/index_ops.cpp, scatter_reduce.cpp); x.op_() returns x.

// PyTorch's x[...] (libtorch's spelling): x.index({Slice(), idx}) and x.index_put_({mask}, 0.0) take
// integers, Slice, None, Ellipsis, bool and int64 / bool tensors (core/tensor_index.h; Note [Indexing]
// in autograd/functions/advanced_indexing.cpp): views for basic entries alone, copies with tensors.
// accumulate adds (duplicate positions add up) where PyTorch's index_put_(..., accumulate=True) does.
Tensor index(const std::vector<indexing::TensorIndex>& indices) const;
Tensor& index_put_(const std::vector<indexing::TensorIndex>& indices, const Tensor& values, bool accumulate = false);
Tensor& index_put_(const std::vector<indexing::TensorIndex>& indices, const Scalar& value);
Tensor index_put(const std::vector<indexing::TensorIndex>& index, const Tensor& values, bool accumulate = false) const;
Tensor operator[](const Tensor& index) const;  // index({index})
// torch.take / Tensor.put_: the elements of the flattened tensor at index (int64 of any shape,
// negative from the end); put_ writes source's elements there (accumulate: adds).
Tensor take(const Tensor& index) const;
Tensor put(const Tensor& index, const Tensor& source, bool accumulate = false) const;
Tensor& put_(const Tensor& index, const Tensor& source, bool accumulate = false);

// index_add / index_copy / index_fill along dim at index (int64, a vector or a scalar).
Tensor index_add(int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha = 1) const;
Tensor index_copy(int64_t dim, const Tensor& index, const Tensor& source) const;
Tensor index_fill(int64_t dim, const Tensor& index, const Scalar& value) const;
Tensor index_fill(int64_t dim, const Tensor& index, const Tensor& value) const;  // value 0-dim
Tensor& index_add_(int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha = 1);
Tensor& index_copy_(int64_t dim, const Tensor& index, const Tensor& source);
Tensor& index_fill_(int64_t dim, const Tensor& index, const Scalar& value);
Tensor& index_fill_(int64_t dim, const Tensor& index, const Tensor& value);
// torch.Tensor.index_reduce: source's slices reduced into self's at index ("prod", "mean",
// "amax", "amin"; core/ops.h).
Tensor index_reduce(int64_t dim, const Tensor& index, const Tensor& source, std::string_view reduce,
                    bool include_self = true) const;
Tensor& index_reduce_(int64_t dim, const Tensor& index, const Tensor& source, std::string_view reduce,
                      bool include_self = true);
// the elements where mask (kBool, broadcast with self) is true, as a 1-D tensor; self with
// source's elements (in order) written where mask is true
Tensor masked_select(const Tensor& mask) const;
Tensor masked_scatter(const Tensor& mask, const Tensor& source) const;
Tensor& masked_scatter_(const Tensor& mask, const Tensor& source);
Tensor take_along_dim(const Tensor& indices, std::optional<int64_t> dim = std::nullopt) const;
// reduce: "sum", "prod", "mean", "amax", "amin" (scatter_reduce); "add", "multiply" (scatter)
Tensor scatter_reduce(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                      bool include_self = true) const;
Tensor& scatter_reduce_(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                        bool include_self = true);
Tensor scatter(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce) const;
Tensor scatter(int64_t dim, const Tensor& index, const Scalar& value, std::string_view reduce) const;
Tensor& scatter_(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce);
Tensor& scatter_(int64_t dim, const Tensor& index, const Scalar& value, std::string_view reduce);
// each element (slice along dim; no dim: of the flattened tensor) repeated repeats times
Tensor repeat_interleave(int64_t repeats, std::optional<int64_t> dim = std::nullopt,
                         std::optional<int64_t> output_size = std::nullopt) const;
Tensor repeat_interleave(const Tensor& repeats, std::optional<int64_t> dim = std::nullopt,
                         std::optional<int64_t> output_size = std::nullopt) const;
