// Free-function forms of the order statistics and counting ops (libtorch names):
// kthvalue, mode, median, nanmedian, quantile, nanquantile (differentiable; made of sort and
// gather), and nonzero, argwhere, count_nonzero, bincount, histc, histogram, searchsorted,
// bucketize, unique, unique_consecutive (not differentiable). Included by core/ops.h.
#pragma once
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace ember {

// ---- order statistics (autograd/functions/order_statistics.cpp) ----
// The k-th smallest (1-based) along dim and its index, NaN counted as the largest; ties
// give the first index in input order (PyTorch leaves which one unspecified). The
// gradient goes to that index. k outside [1, size] is "kthvalue(): selected number k out
// of range for dimension".
std::tuple<Tensor, Tensor> kthvalue(const Tensor& x, int64_t k, int64_t dim = -1, bool keepdim = false);
// The most frequent value along dim (the smallest of equally frequent ones; every NaN its
// own value, as PyTorch's kernel) and the index of its last occurrence, PyTorch's choice.
// An empty dim is "mode(): Expected reduction dim 0 to have non-zero size.". Note [mode by
// runs of the sorted row] in autograd/functions/order_statistics.cpp.
std::tuple<Tensor, Tensor> mode(const Tensor& x, int64_t dim = -1, bool keepdim = false);
// The lower of the two middle values (no averaging, as PyTorch's). median propagates NaN
// (a row with a NaN gives NaN at its first NaN's index); nanmedian ignores NaN (an
// all-NaN row gives NaN). The dim-less forms reduce the flattened tensor.
Tensor median(const Tensor& x);
std::tuple<Tensor, Tensor> median(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor nanmedian(const Tensor& x);
std::tuple<Tensor, Tensor> nanmedian(const Tensor& x, int64_t dim, bool keepdim = false);
// torch.quantile: q in [0, 1] (a number, or a 0-/1-D float tensor of x's dtype whose
// values lead the result's dims); dim nullopt: the flattened tensor; interpolation
// "linear", "lower", "higher", "midpoint" or "nearest" (ties to even, as PyTorch's
// round). x float32/float64. A row with a NaN gives NaN (quantile) or is quantiled
// without its NaNs (nanquantile; all-NaN gives NaN). Differentiable through the two
// order statistics each quantile lies between.
Tensor quantile(const Tensor& x, double q, std::optional<int64_t> dim = std::nullopt, bool keepdim = false,
                std::string_view interpolation = "linear");
Tensor quantile(const Tensor& x, const Tensor& q, std::optional<int64_t> dim = std::nullopt, bool keepdim = false,
                std::string_view interpolation = "linear");
Tensor nanquantile(const Tensor& x, double q, std::optional<int64_t> dim = std::nullopt, bool keepdim = false,
                   std::string_view interpolation = "linear");
Tensor nanquantile(const Tensor& x, const Tensor& q, std::optional<int64_t> dim = std::nullopt,
                   bool keepdim = false, std::string_view interpolation = "linear");

// ---- counting (core/ops/counting.cpp); results whose size depends on the values read
// one count to the host (a CUDA synchronisation, as PyTorch's) ----
// The int64 coordinates [count, x.dim()] of the nonzero (true) elements, row-major
// (torch.nonzero; argwhere is the same). count_nonzero: int64 counts over dims ({}: all).
Tensor nonzero(const Tensor& x);
Tensor argwhere(const Tensor& x);
// torch.where(condition) (nonzero(as_tuple=True)): one int64 index tensor per dim of x (a
// 0-dim x counts as 1-D).
std::vector<Tensor> where(const Tensor& condition);
Tensor count_nonzero(const Tensor& x, const Dims& dims = {});
// torch.bincount of non-negative int64 x (1-D): counts (int64), or sums of weights (x's
// shape; float32 or float64, the result in their dtype), length max(x) + 1 or minlength.
Tensor bincount(const Tensor& x, const Tensor& weights = Tensor(), int64_t minlength = 0);
// torch.histc: counts of x's elements in `bins` equal bins over [min, max] (the last bin
// closed; outside and NaN ignored); min = max: the data's range (widened by 1 each way
// when that is one value). x floating; the result in x's dtype.
Tensor histc(const Tensor& x, int64_t bins = 100, double min = 0, double max = 0);
// torch.histogram: (hist, bin_edges) of x's elements in `bins` equal bins over range (min,
// max), by default the data's (empty x: [0, 1]; one value v: [v - 0.5, v + 0.5]). The edges
// are linspace in x's dtype and each element goes to the bin its edges hold (the last bin
// closed; outside and NaN left out), as PyTorch's CPU kernel. weight: x's size, summed
// instead of counts; density: hist divided by its total and by each bin's width. The edges
// form takes the increasing 1-D edges instead. x float32 or float64 (16-bit: counted in
// float32). Not differentiable.
std::tuple<Tensor, Tensor> histogram(const Tensor& x, int64_t bins = 100,
                                     std::optional<std::pair<double, double>> range = std::nullopt,
                                     const Tensor& weight = Tensor(), bool density = false);
std::tuple<Tensor, Tensor> histogram(const Tensor& x, const Tensor& bins, const Tensor& weight = Tensor(),
                                     bool density = false);
// torch.searchsorted: for each value, the index in its row of sorted_sequence (1-D: one
// row for all values; else rows matching values' leading dims) where it would go to keep
// the row sorted: before equal boundaries (right = false) or after them. side ("left" or
// "right", libtorch's argument after right) says the same; opposite to right = true is
// PyTorch's error. sorter: int64 indices that sort each row (argsort's). NaN: Note
// [searchsorted and NaN] in core/sorted_position.h. int64 results; out_int32 = true is an
// error (ember has no int32).
Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& values, bool out_int32 = false, bool right = false,
                    std::optional<std::string_view> side = std::nullopt, const Tensor& sorter = Tensor());
Tensor searchsorted(const Tensor& sorted_sequence, const Scalar& value, bool out_int32 = false, bool right = false,
                    std::optional<std::string_view> side = std::nullopt, const Tensor& sorter = Tensor());
// torch.bucketize: searchsorted with 1-D boundaries, the arguments the other way round.
Tensor bucketize(const Tensor& values, const Tensor& boundaries, bool out_int32 = false, bool right = false);
// A number's bucket as a 0-dim tensor (searchsorted's wrapped-number rules).
Tensor bucketize(const Scalar& value, const Tensor& boundaries, bool out_int32 = false, bool right = false);
// torch.unique: (values, inverse, counts); inverse (x's shape, or [x.size(dim)]) and counts
// are undefined unless asked for. The values are sorted (sorted = false gives the same,
// as PyTorch's CPU). dim: unique slices along dim, ordered lexicographically. Every NaN is
// its own value (PyTorch 1.13 merges their counts inconsistently).
std::tuple<Tensor, Tensor, Tensor> unique(const Tensor& x, bool sorted = true, bool return_inverse = false,
                                          bool return_counts = false, std::optional<int64_t> dim = std::nullopt);
// torch.unique_consecutive: runs of equal values (or slices along dim) kept once.
std::tuple<Tensor, Tensor, Tensor> unique_consecutive(const Tensor& x, bool return_inverse = false,
                                                      bool return_counts = false,
                                                      std::optional<int64_t> dim = std::nullopt);

}  // namespace ember
