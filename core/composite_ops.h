// Free-function forms of the shape, product and set utilities made of other ops (libtorch
// names): meshgrid, cartesian_prod, tensordot, kron, block_diag, rot90, movedim, swapaxes,
// ravel, tensor_split, the stacks and splits (hstack, hsplit, ...), fliplr / flipud, take,
// heaviside, dist, msort, triu_indices / tril_indices, combinations, trapezoid, cov /
// corrcoef, float_power, ldexp, frexp, gradient, the free split / chunk / unbind, diagflat.
// Each is composed in autograd/functions/composite*.cpp (gradient in finite_differences.cpp),
// so it runs on any device and differentiates through its parts. Included by core/ops.h.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace ember {

// torch.atleast_1d / 2d / 3d: a view with leading (and, for 3d, trailing) size-1 dims added;
// the list forms apply it to each tensor.
Tensor atleast_1d(const Tensor& a);
Tensor atleast_2d(const Tensor& a);
Tensor atleast_3d(const Tensor& a);
std::vector<Tensor> atleast_1d(const std::vector<Tensor>& tensors);
std::vector<Tensor> atleast_2d(const std::vector<Tensor>& tensors);
std::vector<Tensor> atleast_3d(const std::vector<Tensor>& tensors);
// The free forms of Tensor's chunk, split (a size, or the sizes), split_with_sizes and
// unbind: views along dim.
std::vector<Tensor> chunk(const Tensor& a, int64_t chunks, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& a, int64_t split_size, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& a, const std::vector<int64_t>& split_sizes, int64_t dim = 0);
std::vector<Tensor> split_with_sizes(const Tensor& a, const std::vector<int64_t>& split_sizes, int64_t dim = 0);
std::vector<Tensor> unbind(const Tensor& a, int64_t dim = 0);
// torch.diagflat: the flattened input on diagonal `offset` of a square matrix.
Tensor diagflat(const Tensor& a, int64_t offset = 0);
// torch.hstack (cat along dim 1; 1-D inputs along 0), vstack / row_stack (along 0, of atleast_2d),
// dstack (along 2, of atleast_3d) and column_stack (0-D and 1-D inputs as columns, then hstack).
Tensor hstack(const std::vector<Tensor>& tensors);
Tensor vstack(const std::vector<Tensor>& tensors);
Tensor row_stack(const std::vector<Tensor>& tensors);
Tensor dstack(const std::vector<Tensor>& tensors);
Tensor column_stack(const std::vector<Tensor>& tensors);
// torch.hsplit (dim 1; 1-D: dim 0), vsplit (dim 0; 2+ dims) and dsplit (dim 2; 3+ dims): tensor_split
// into `sections` equal views (the dim must divide, PyTorch's message) or at the indices.
std::vector<Tensor> hsplit(const Tensor& a, int64_t sections);
std::vector<Tensor> hsplit(const Tensor& a, const std::vector<int64_t>& indices);
std::vector<Tensor> vsplit(const Tensor& a, int64_t sections);
std::vector<Tensor> vsplit(const Tensor& a, const std::vector<int64_t>& indices);
std::vector<Tensor> dsplit(const Tensor& a, int64_t sections);
std::vector<Tensor> dsplit(const Tensor& a, const std::vector<int64_t>& indices);
// torch.fliplr (dim 1; 2+ dims) and flipud (dim 0; 1+ dims): flip copies.
Tensor fliplr(const Tensor& a);
Tensor flipud(const Tensor& a);
// torch.select_scatter, slice_scatter and diagonal_scatter: a copy of `a` (its layout kept)
// with src copied into that view (src's shape must be the view's, PyTorch's check);
// differentiable in both, as the copy and the in-place write into its view record.
Tensor select_scatter(const Tensor& a, const Tensor& src, int64_t dim, int64_t index);
Tensor slice_scatter(const Tensor& a, const Tensor& src, int64_t dim = 0, std::optional<int64_t> start = std::nullopt,
                     std::optional<int64_t> end = std::nullopt, int64_t step = 1);
Tensor diagonal_scatter(const Tensor& a, const Tensor& src, int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1);
// torch.take: a.take(index), the flattened a's elements at index.
Tensor take(const Tensor& a, const Tensor& index);
// torch.meshgrid: for N 1-D (or 0-D) tensors, N tensors of shape [n0, ..., nN-1] ("ij") or
// with the first two swapped ("xy", NumPy's), each an expanded view of one input.
std::vector<Tensor> meshgrid(const std::vector<Tensor>& tensors, std::string_view indexing = "ij");
// torch.cartesian_prod: every combination of the 1-D inputs' elements, [product of sizes, N]
// (one input: itself).
Tensor cartesian_prod(const std::vector<Tensor>& tensors);
// torch.tensordot: contracts a's last `dims` dims with b's first `dims` (or the listed
// pairs), the rest in order: a's free dims then b's; one mm for a floating dtype, products
// summed for integers.
Tensor tensordot(const Tensor& a, const Tensor& b, int64_t dims = 2);
Tensor tensordot(const Tensor& a, const Tensor& b, const std::vector<int64_t>& dims_a,
                 const std::vector<int64_t>& dims_b);
// torch.kron: the Kronecker product (the shorter shape padded with leading 1s):
// out[i * b.size + j] = a[i] * b[j] in every dim; up to 5 dims (a view of twice as many).
Tensor kron(const Tensor& a, const Tensor& b);
// torch.block_diag: the 0-, 1- or 2-D inputs (a 1-D one is one row) on the diagonal of a
// zero matrix, in their result type (no inputs: [1, 0], as PyTorch).
Tensor block_diag(const std::vector<Tensor>& tensors);
// torch.rot90: k quarter turns in the plane of dims (from dims[0] toward dims[1]); k any
// integer. A new tensor (flip and transpose).
Tensor rot90(const Tensor& a, int64_t k = 1, const std::vector<int64_t>& dims = {0, 1});
// torch.movedim / moveaxis: dims source moved to destination, the rest in order (a view);
// swapaxes / swapdims: transpose.
Tensor movedim(const Tensor& a, const std::vector<int64_t>& source, const std::vector<int64_t>& destination);
Tensor movedim(const Tensor& a, int64_t source, int64_t destination);
Tensor moveaxis(const Tensor& a, const std::vector<int64_t>& source, const std::vector<int64_t>& destination);
Tensor moveaxis(const Tensor& a, int64_t source, int64_t destination);
Tensor swapaxes(const Tensor& a, int64_t dim0, int64_t dim1);
Tensor swapdims(const Tensor& a, int64_t dim0, int64_t dim1);
// torch.ravel: the flattened tensor (a view when contiguous, else a copy).
Tensor ravel(const Tensor& a);
// torch.tensor_split: `sections` views along dim, the first size % sections one longer
// (NumPy's array_split; sections may exceed the size), or views between the indices
// (clamped to the dim, as Python slices).
std::vector<Tensor> tensor_split(const Tensor& a, int64_t sections, int64_t dim = 0);
std::vector<Tensor> tensor_split(const Tensor& a, const std::vector<int64_t>& indices, int64_t dim = 0);
// torch.heaviside: values where a == 0, else 1 where a > 0 and 0 elsewhere (NaN included,
// as PyTorch's kernel); a and values of one dtype, broadcasting. Recorded, but its backward
// is PyTorch's error ("the derivative for 'heaviside' is not implemented.").
Tensor heaviside(const Tensor& a, const Tensor& values);
// torch.dist: the p-norm of a - b (broadcast); p = inf / -inf / 0 as vector_norm's.
Tensor dist(const Tensor& a, const Tensor& b, double p = 2);
// torch.msort: sorted along dim 0 (the values of sort(a, 0)).
Tensor msort(const Tensor& a);
// torch.triu_indices / tril_indices: the [2, count] int64 coordinates of the upper (lower)
// triangle of a row x col matrix from diagonal `offset`, row by row.
Tensor triu_indices(int64_t row, int64_t col, int64_t offset = 0, TensorOptions options = {});
Tensor tril_indices(int64_t row, int64_t col, int64_t offset = 0, TensorOptions options = {});
// torch.combinations: the r-element combinations of a 1-D tensor's elements in order,
// [count, r] (with_replacement: an element may repeat); r = 0: an empty [0]. Gathers a's
// elements, so differentiable.
Tensor combinations(const Tensor& a, int64_t r = 2, bool with_replacement = false);
// torch.trapezoid (trapz): the trapezoidal rule along dim, with spacing dx or sample points
// x (1-D of y's size along dim, or broadcasting with y); an empty dim gives 0.
// cumulative_trapezoid: the running sums, one shorter along dim.
Tensor trapezoid(const Tensor& y, const Tensor& x, int64_t dim = -1);
Tensor trapezoid(const Tensor& y, double dx = 1, int64_t dim = -1);
Tensor trapz(const Tensor& y, const Tensor& x, int64_t dim = -1);
Tensor trapz(const Tensor& y, double dx = 1, int64_t dim = -1);
Tensor cumulative_trapezoid(const Tensor& y, const Tensor& x, int64_t dim = -1);
Tensor cumulative_trapezoid(const Tensor& y, double dx = 1, int64_t dim = -1);
// torch.cov: the covariance of the rows (variables) of a 1-D or 2-D input over its columns
// (observations), divided by N - correction (or, with weights, PyTorch's weighted
// normaliser); fweights integer and aweights floating, one per observation. Degrees of
// freedom <= 0 warn and give inf / NaN, as PyTorch. corrcoef: cov scaled to correlations,
// clipped to [-1, 1].
Tensor cov(const Tensor& input, int64_t correction = 1, const Tensor& fweights = Tensor(),
           const Tensor& aweights = Tensor());
Tensor corrcoef(const Tensor& input);
// torch.float_power: pow computed in float64 (both operands cast first); ldexp: a * 2^b in
// a floating result type.
Tensor float_power(const Tensor& a, const Tensor& b);
Tensor float_power(const Tensor& a, const Scalar& b);
Tensor float_power(const Scalar& a, const Tensor& b);
Tensor ldexp(const Tensor& a, const Tensor& b);
// torch.frexp: (mantissa in x's dtype, int64 exponent: PyTorch's is int32, which ember
// lacks) with x = mantissa * 2^exponent and 0.5 <= |mantissa| < 1; zeros, infinities and NaN
// give (x, 0). Floating x only (PyTorch's "torch.frexp() only supports floating-point
// dtypes"); the mantissa's gradient is g / 2^e.
std::tuple<Tensor, Tensor> frexp(const Tensor& x);

// torch.gradient: the derivative estimated by central differences along each dim (all dims, the
// one dim, or the dims listed), one-sided at the edges (edge_order 1 or 2). spacing: one number
// for every dim, one number per dim, or one 1-D coordinate tensor per dim (uneven steps). Each
// differenced dim needs at least edge_order + 1 points; uint8 is refused; PyTorch's messages.
// (autograd/functions/finite_differences.cpp). Dims must be spelled Dims{0, 1}: a bare {0, 1}
// would also read as a list of spacings.
std::vector<Tensor> gradient(const Tensor& input, const std::optional<Scalar>& spacing = std::nullopt,
                             std::optional<int64_t> dim = std::nullopt, int64_t edge_order = 1);
std::vector<Tensor> gradient(const Tensor& input, const Scalar& spacing, const Dims& dim, int64_t edge_order = 1);
std::vector<Tensor> gradient(const Tensor& input, const Dims& dim, int64_t edge_order = 1);
std::vector<Tensor> gradient(const Tensor& input, const std::vector<Scalar>& spacing,
                             std::optional<int64_t> dim = std::nullopt, int64_t edge_order = 1);
std::vector<Tensor> gradient(const Tensor& input, const std::vector<Scalar>& spacing, const Dims& dim,
                             int64_t edge_order = 1);
std::vector<Tensor> gradient(const Tensor& input, const std::vector<Tensor>& spacing,
                             std::optional<int64_t> dim = std::nullopt, int64_t edge_order = 1);
std::vector<Tensor> gradient(const Tensor& input, const std::vector<Tensor>& spacing, const Dims& dim,
                             int64_t edge_order = 1);

}  // namespace ember
