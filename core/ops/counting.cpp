// Counting ops made of native ops, so they run on every device: nonzero, count_nonzero,
// bincount, histc, searchsorted/bucketize (the device's searchsorted kernel) and
// unique/unique_consecutive. None is differentiable (PyTorch's are not either); results
// whose length depends on the values read one count to the host (unique of integers also
// their min and max, to count them instead of sorting).
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/dispatch.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/native_indexing.h"
#include "core/ops.h"
#include "core/ops/elementwise_ops.h"

namespace ember {
namespace {

TensorOptions int64_on(const Tensor& t) { return TensorOptions(kInt64).device(t.device()); }

// The (values, inverse, counts) of unique and unique_consecutive from `in_order`, the
// slices along dim 0 ([n] or [n, r]) with equal ones together, and `order`, the permutation
// that brought them together (nullopt: they were together already). A run starts at slice 0
// and wherever a slice differs from the one before it (NaN differs from NaN, so each NaN is
// its own value); the runs' first positions are one true_positions, whose count is the one
// host read.
std::tuple<Tensor, Tensor, Tensor> unique_runs(const Tensor& in_order, const std::optional<Tensor>& order,
                                               bool return_inverse, bool return_counts) {
  const int64_t n = in_order.size(0);
  const TensorOptions longs = int64_on(in_order);
  if (n == 0) {
    return {native::clone(in_order), return_inverse ? zeros({0}, longs) : Tensor(),
            return_counts ? zeros({0}, longs) : Tensor()};
  }
  Tensor changed = native::ne(native::narrow(in_order, 0, 1, n - 1), native::narrow(in_order, 0, 0, n - 1));
  if (in_order.dim() == 2) changed = native::any(changed, 1);
  const Tensor starts = native::cat({ones({1}, TensorOptions(kBool).device(in_order.device())), changed}, 0);
  const Tensor first = native::true_positions(starts);
  const int64_t groups = first.size(0);
  Tensor inverse, counts;
  if (return_inverse) {
    const Tensor group = native::sub(native::cumsum(starts, 0), Scalar(1));  // each slice's run
    inverse = order ? native::scatter(zeros({n}, longs), 0, *order, group) : group;
  }
  if (return_counts) {  // the next run's first position (n after the last) minus this one's
    const Tensor next = native::cat({native::narrow(first, 0, 1, groups - 1), full({1}, Scalar(n), longs)}, 0);
    counts = native::sub(next, first);
  }
  return {native::index_select(in_order, 0, first), inverse, counts};
}

// x with dim moved first and the rest flattened: [x.size(dim), rest], contiguous.
Tensor slices_along(const Tensor& x, int64_t dim) {
  Tensor moved = native::clone(native::transpose(x, 0, dim));
  return native::reshape(moved, {x.size(dim), x.size(dim) == 0 ? 0 : x.numel() / x.size(dim)});
}

// The inverse of slices_along for k slices.
Tensor slices_back(const Tensor& rows, const Tensor& x, int64_t dim) {
  Dims shape = x.sizes();
  std::swap(shape[0], shape[static_cast<size_t>(dim)]);
  shape[0] = rows.size(0);
  return native::clone(native::transpose(native::reshape(rows, shape), 0, dim));
}

// A stable lexicographic order of the rows of [n, r]: stable sorts by the last column
// first, then each earlier one.
Tensor lexicographic_order(const Tensor& rows) {
  Tensor order = arange(rows.size(0), int64_on(rows));
  for (int64_t c = rows.size(1) - 1; c >= 0; --c) {
    Tensor column = native::index_select(native::select(rows, 1, c), 0, order);
    order = native::index_select(order, 0, std::get<1>(native::sort(column, 0, false)));
  }
  return order;
}

// unique of integers (bool too) whose values span at most n + 65536 (max - min): one count
// per value in [min, max] (a scatter_add), the counted ones in order are the values, and a
// value's rank among them (the running count of counted ones) is its inverse: O(n + span)
// native ops on any device, in about as many bytes as sorting takes, where sorting is
// O(n log n) (1M int64 in [0, 1000): 1.5 ms against 29 ms sorted, bench_rows). min and max
// come to the host in one read. nullopt for any other input, which unique sorts.
std::optional<std::tuple<Tensor, Tensor, Tensor>> unique_by_counting(const Tensor& flat, bool return_inverse,
                                                                     bool return_counts) {
  const int64_t n = flat.numel();
  if (n == 0 || !is_integral(flat.dtype(), /*include_bool=*/true)) return std::nullopt;
  const Tensor wide = native::to_dtype(flat, kInt64);
  const std::vector<int64_t> bounds =
      native::stack({native::amin(wide, {}, false), native::amax(wide, {}, false)}, 0).to_vector<int64_t>();
  const int64_t lo = bounds[0], hi = bounds[1];
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);  // hi >= lo: no wrap
  if (span > static_cast<uint64_t>(n) + 65536) return std::nullopt;
  const TensorOptions longs = int64_on(flat);
  const Tensor bin = lo == 0 ? wide : native::sub(wide, Scalar(lo));
  const Tensor per_bin = native::scatter_add(zeros({static_cast<int64_t>(span) + 1}, longs), 0, bin,
                                             native::expand(ones({1}, longs), {n}));
  const Tensor present = native::gt(per_bin, Scalar(0));
  const Tensor present_bins = native::true_positions(present);
  Tensor values = native::to_dtype(lo == 0 ? present_bins : native::add(present_bins, Scalar(lo)), flat.dtype());
  Tensor inverse, counts;
  if (return_inverse) {
    inverse = native::index_select(native::sub(native::cumsum(present, 0), Scalar(1)), 0, bin);
  }
  if (return_counts) counts = native::index_select(per_bin, 0, present_bins);
  return std::tuple{values, inverse, counts};
}

std::tuple<Tensor, Tensor, Tensor> unique_impl(const char* op, const Tensor& x, bool sort_first,
                                               bool return_inverse, bool return_counts,
                                               std::optional<int64_t> dim) {
  EMBER_CHECK(x.defined(), op, ": expected a defined tensor");
  if (!dim) {
    Tensor flat = native::reshape(x, {x.numel()});
    auto counted = sort_first ? unique_by_counting(flat, return_inverse, return_counts) : std::nullopt;
    if (counted) {
      auto& [values, inverse, counts] = *counted;
      if (inverse.defined()) inverse = native::reshape(inverse, x.sizes());
      return {values, inverse, counts};
    }
    std::optional<Tensor> order;
    if (sort_first) std::tie(flat, order) = native::sort(flat, 0, false);  // the sorted values and their order
    auto [values, inverse, counts] = unique_runs(flat, order, return_inverse, return_counts);
    if (inverse.defined()) inverse = native::reshape(inverse, x.sizes());
    return {values, inverse, counts};
  }
  EMBER_CHECK(x.dim() > 0, op, ": dim given for a 0-dim tensor");
  const int64_t d = wrap_dim(*dim, x.dim());
  // PyTorch's _unique_dim_cpu_template: an empty selected dim must be the only empty one, and
  // no other may be empty
  const int64_t zero_dims = std::count(x.sizes().begin(), x.sizes().end(), int64_t{0});
  if (x.size(d) == 0) {
    EMBER_CHECK(zero_dims == 1, "Number of zero sized dimensions is more than one, so unique cannot be applied");
    return {native::clone(x), return_inverse ? zeros({0}, int64_on(x)) : Tensor(),
            return_counts ? zeros({0}, int64_on(x)) : Tensor()};
  }
  EMBER_CHECK(zero_dims == 0, "There are 0 sized dimensions, and they aren't selected, so unique cannot be applied");
  Tensor rows = slices_along(x, d);
  std::optional<Tensor> order;
  if (sort_first) {
    order = lexicographic_order(rows);
    rows = native::index_select(rows, 0, *order);
  }
  auto [values, inverse, counts] = unique_runs(rows, order, return_inverse, return_counts);
  return {slices_back(values, x, d), inverse, counts};
}

}  // namespace

Tensor nonzero(const Tensor& x) {
  EMBER_CHECK(x.defined(), "nonzero(): expected a defined tensor");
  // flat, row-major; a bool x is its own mask
  const Tensor positions = native::true_positions(x.dtype() == kBool ? x : native::ne(x, Scalar(0)));
  const int64_t count = positions.size(0);
  if (x.dim() == 0) return zeros({count, 0}, int64_on(x));
  if (x.dim() == 1) return native::reshape(positions, {count, 1});  // the positions are the coordinates
  // Each dim's coordinate of every element (arange along the dim, broadcast), at the positions.
  std::vector<Tensor> columns;
  for (int64_t d = 0; d < x.dim(); ++d) {
    Dims line = Dims::filled(static_cast<size_t>(x.dim()), 1);
    line[static_cast<size_t>(d)] = x.size(d);
    Tensor coordinate = native::reshape(native::expand(native::view(arange(x.size(d), int64_on(x)), line), x.sizes()),
                                        {x.numel()});
    columns.push_back(native::index_select(coordinate, 0, positions));
  }
  return native::stack(columns, 1);
}

Tensor argwhere(const Tensor& x) { return nonzero(x); }

std::vector<Tensor> where(const Tensor& condition) {
  EMBER_CHECK(condition.defined(), "where(): expected a defined tensor");
  const Tensor x = condition.dim() == 0 ? native::reshape(condition, {1}) : condition;
  const Tensor coordinates = nonzero(x);  // [count, dims]
  std::vector<Tensor> out;
  for (int64_t d = 0; d < x.dim(); ++d) out.push_back(native::clone(native::select(coordinates, 1, d)));
  return out;
}

Tensor count_nonzero(const Tensor& x, const Dims& dims) {
  EMBER_CHECK(x.defined(), "count_nonzero(): expected a defined tensor");
  Tensor ones_where = native::to_dtype(native::ne(x, Scalar(0)), kInt64);
  return dims.empty() ? native::sum(ones_where) : native::sum(ones_where, dims, false);
}

Tensor bincount(const Tensor& x, const Tensor& weights, int64_t minlength) {
  EMBER_CHECK(x.defined() && x.dim() == 1 && is_integral(x.dtype()),
              "bincount only supports 1-d non-negative integral inputs.");
  EMBER_CHECK(minlength >= 0, "minlength should be >= 0");
  if (weights.defined()) {
    EMBER_CHECK(weights.dim() == 1 && weights.size(0) == x.size(0),
                "weights should be 1-d and have the same length as input");
    native::check_same_device(x, {&weights}, "bincount");
  }
  int64_t length = minlength;
  Tensor index = native::to_dtype(x, kInt64);
  if (x.numel() > 0) {
    EMBER_CHECK(native::amin(index, {}, false).item<int64_t>() >= 0,
                "bincount only supports 1-d non-negative integral inputs.");
    length = std::max(length, native::amax(index, {}, false).item<int64_t>() + 1);
  }
  if (!weights.defined()) {
    return native::scatter_add(zeros({length}, int64_on(x)), 0, index, ones({x.size(0)}, int64_on(x)));
  }
  const DType dtype = weights.dtype() == kFloat32 ? kFloat32 : kFloat64;  // PyTorch: double unless float
  return native::scatter_add(zeros({length}, TensorOptions(dtype).device(x.device())), 0, index,
                             native::to_dtype(weights, dtype));
}

Tensor histc(const Tensor& x, int64_t bins, double min, double max) {
  EMBER_CHECK(x.defined() && is_floating(x.dtype()), "\"histogram_cpu\" not implemented for '",
              x.defined() ? dtype_torch_name(x.dtype()) : "undefined", "'");
  EMBER_CHECK(bins > 0, "torch.histc(): bins must be > 0, but got ", bins, " for dimension 0");
  EMBER_CHECK(!(min > max), "torch.histc(): max must be larger than min");
  if (min == max && x.numel() > 0) {
    min = native::amin(x, {}, false).item<double>();
    max = native::amax(x, {}, false).item<double>();
  }
  EMBER_CHECK(std::isfinite(min) && std::isfinite(max), "torch.histc(): range of [", min, ", ", max,
              "] is not finite");
  const bool constant = min == max;
  if (constant) {
    min -= 1;
    max += 1;
  }
  // PyTorch's bins_edges_correction (float32 and float64): where the widening of a constant
  // by 1 rounded away in x's dtype (1e8 in float32), each edge moves to the next value the
  // dtype holds, as its nexttoward.
  const auto in_dtype = [&](double v) { return full({}, v, TensorOptions(x.dtype())).item<double>(); };
  if (constant && (x.dtype() == kFloat32 || x.dtype() == kFloat64) && in_dtype(min) == in_dtype(max)) {
    const double edge = in_dtype(min);
    const auto next = [&](double direction) {
      double step = std::max(std::abs(edge), std::numeric_limits<double>::min()) * 0x1p-60;
      while (in_dtype(edge + direction * step) == edge) step *= 2;
      return in_dtype(edge + direction * step);
    };
    min = next(-1.0);
    max = next(1.0);
  }
  Tensor flat = native::reshape(x, {x.numel()});
  // PyTorch's bin of an element: trunc((x - left) * bins / (right - left)), every step in x's
  // dtype with the edges rounded to it (its histogramdd kernel); max itself goes to the last bin.
  const Tensor left = full({}, min, TensorOptions(x.dtype()).device(x.device()));
  const Tensor right = full({}, max, TensorOptions(x.dtype()).device(x.device()));
  Tensor position =
      native::floor(native::div(native::mul(native::sub(flat, left), Scalar(bins)), native::sub(right, left)));
  Tensor inside = native::bitwise_and(native::ge(flat, left), native::le(flat, right));
  Tensor bin = native::to_dtype(native::clamp(native::where(inside, position, Scalar(0)), Scalar(0), Scalar(bins - 1)),
                                kInt64);
  return native::scatter_add(zeros({bins}, x.options()), 0, bin, native::to_dtype(inside, x.dtype()));
}

namespace {

// right = true, or side "right" (PyTorch's check that the two do not contradict).
bool search_right(bool right, std::optional<std::string_view> side) {
  if (!side) return right;
  EMBER_CHECK(*side == "left" || *side == "right", "torch.searchsorted(): side can only be 'left' or 'right' but got ",
              *side);
  EMBER_CHECK(!right || *side == "right",
              "torch.searchsorted(): side and right can't be set to opposites, got side of ", *side,
              " while right was True");
  return *side == "right";
}

}  // namespace

Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& values, bool out_int32, bool right_in,
                    std::optional<std::string_view> side, const Tensor& sorter) {
  const bool right = search_right(right_in, side);
  EMBER_CHECK(sorted_sequence.defined() && values.defined(), "torch.searchsorted(): expected defined tensors");
  EMBER_CHECK(!out_int32, "torch.searchsorted(): out_int32=true asks for int32 indices, a dtype ember does not have;",
              " use the int64 result");
  EMBER_CHECK(sorted_sequence.dim() >= 1, "torch.searchsorted(): boundaries tensor should have positive dimension,",
              " but got 0 dimension");
  native::check_same_device(sorted_sequence, {&values}, "searchsorted");
  const bool one_row = sorted_sequence.dim() == 1;
  if (!one_row) {
    bool leading_match = values.dim() == sorted_sequence.dim();
    for (int64_t d = 0; leading_match && d + 1 < values.dim(); ++d) leading_match = values.size(d) == sorted_sequence.size(d);
    EMBER_CHECK(leading_match, "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 ",
                "dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor ",
                sorted_sequence.sizes().str(), " and input value tensor ", values.sizes().str());
  }
  // PyTorch's searchsorted_maybe_trim_input_tensors: result_type, so a 0-dim value does not
  // widen the boundaries (nor a float32 one round float64 boundaries' queries)
  const DType dtype = native::detail::result_type(sorted_sequence, values);
  EMBER_CHECK(dtype != kBool, "torch.searchsorted(): boundaries and input value tensors of dtype bool are not supported");
  Tensor boundaries = native::to_dtype(sorted_sequence, dtype);
  if (sorter.defined()) {
    EMBER_CHECK(sorter.dtype() == kInt64 && sorter.sizes() == sorted_sequence.sizes(),
                "torch.searchsorted(): sorter should be an int64 tensor of the boundaries' shape ",
                sorted_sequence.sizes().str(), ", but got ", dtype_name(sorter.dtype()), " ",
                sorter.sizes().str());
    if (sorter.numel() > 0) {  // PyTorch's pre-check (a host read of the extremes)
      const int64_t lowest = native::amin(sorter, {}, false).item<int64_t>();
      const int64_t highest = native::amax(sorter, {}, false).item<int64_t>();
      EMBER_CHECK(lowest >= 0 && highest < sorter.sizes().back(), "torch.searchsorted(): sorter index out of range");
    }
    boundaries = native::gather(boundaries, -1, sorter);
  }
  const int64_t m = boundaries.sizes().back();
  const int64_t n = values.dim() == 0 ? 1 : values.sizes().back();
  if (!boundaries.is_contiguous()) boundaries = native::clone(boundaries);
  boundaries = native::reshape(boundaries, {boundaries.numel() / std::max<int64_t>(m, 1), m});
  if (m == 0) boundaries = native::reshape(boundaries, {1, 0});
  Tensor value_rows = native::to_dtype(values, dtype);
  if (!value_rows.is_contiguous()) value_rows = native::clone(value_rows);
  value_rows = native::reshape(value_rows, {values.numel() / std::max<int64_t>(n, 1), n});
  Tensor out = make_empty(values.sizes(), kInt64, values.device());
  device_ops(values.device()).searchsorted(boundaries, value_rows, right, native::reshape(out, value_rows.sizes()));
  return out;
}

Tensor searchsorted(const Tensor& sorted_sequence, const Scalar& value, bool out_int32, bool right,
                    std::optional<std::string_view> side, const Tensor& sorter) {
  EMBER_CHECK(sorted_sequence.defined(), "torch.searchsorted(): expected defined tensors");
  EMBER_CHECK(sorted_sequence.dim() == 1, "torch.searchsorted(): input value can be a scalar only when boundaries ",
              "tensor dimension is 1, but we got boundaries tensor dim(", sorted_sequence.dim(), ")");
  // PyTorch's wrapped number: made in float64 (int64, bool), then a float cast unchecked to the
  // boundaries' floating dtype (float32 beside integers), so it is rounded once, to the dtype
  // the search runs in (1e5 against float16 boundaries is inf)
  const DType wide = value.is_bool() ? kBool : value.is_floating() ? kFloat64 : kInt64;
  const DType boundaries = sorted_sequence.dtype();
  const DType narrow = !value.is_floating() ? wide : is_floating(boundaries) ? boundaries : kFloat32;
  const Tensor number = full({}, value, TensorOptions(wide).device(sorted_sequence.device()));
  return searchsorted(sorted_sequence, native::to_dtype(number, narrow), out_int32, right, side, sorter);
}

Tensor bucketize(const Tensor& values, const Tensor& boundaries, bool out_int32, bool right) {
  EMBER_CHECK(boundaries.defined() && boundaries.dim() == 1, "boundaries tensor must be 1 dimension, but got dim(",
              boundaries.defined() ? boundaries.dim() : 0, ")");
  return searchsorted(boundaries, values, out_int32, right);
}

Tensor bucketize(const Scalar& value, const Tensor& boundaries, bool out_int32, bool right) {
  EMBER_CHECK(boundaries.defined() && boundaries.dim() == 1, "boundaries tensor must be 1 dimension, but got dim(",
              boundaries.defined() ? boundaries.dim() : 0, ")");
  return searchsorted(boundaries, value, out_int32, right);
}

std::tuple<Tensor, Tensor, Tensor> unique(const Tensor& x, bool /*sorted: always*/, bool return_inverse,
                                          bool return_counts, std::optional<int64_t> dim) {
  return unique_impl("unique", x, true, return_inverse, return_counts, dim);
}

std::tuple<Tensor, Tensor, Tensor> unique_consecutive(const Tensor& x, bool return_inverse, bool return_counts,
                                                      std::optional<int64_t> dim) {
  return unique_impl("unique_consecutive", x, false, return_inverse, return_counts, dim);
}

Tensor Tensor::nonzero() const { return ember::nonzero(*this); }
Tensor Tensor::argwhere() const { return ember::argwhere(*this); }
Tensor Tensor::count_nonzero(const Dims& dims) const { return ember::count_nonzero(*this, dims); }
Tensor Tensor::bincount(const Tensor& weights, int64_t minlength) const {
  return ember::bincount(*this, weights, minlength);
}
Tensor Tensor::histc(int64_t bins, double min, double max) const { return ember::histc(*this, bins, min, max); }
std::tuple<Tensor, Tensor, Tensor> Tensor::unique(bool sorted, bool return_inverse, bool return_counts,
                                                  std::optional<int64_t> dim) const {
  return ember::unique(*this, sorted, return_inverse, return_counts, dim);
}
std::tuple<Tensor, Tensor, Tensor> Tensor::unique_consecutive(bool return_inverse, bool return_counts,
                                                              std::optional<int64_t> dim) const {
  return ember::unique_consecutive(*this, return_inverse, return_counts, dim);
}

}  // namespace ember
