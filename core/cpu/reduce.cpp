// CPU reductions: sum/mean/max/min/prod and Welford moments (var_mean) over any set
// of dims and argmax/argmin over one dim, on strided input. Dims are ordered by input
// stride and merged; then each output walks its own elements (row mode) or input rows are
// folded into a buffer of neighbouring outputs (column mode), whichever reads memory in order.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <type_traits>

#include "core/cpu/kernels.h"
#include "core/cpu/select_bits.h"
#include "core/cpu/vector_math.h"
#include "core/reduce_functors.h"
#include "core/reduce_layout.h"
#include "core/parallel.h"

namespace ember::cpu {
namespace {

// A long reduction is cut into partials of this many elements, combined in order, so
// a result depends on the shape and strides only, never on the thread count.
constexpr int64_t kBlock = 16384;
// Column mode is chosen only when the innermost output dim has kColumnMin elements or
// more; it folds chunks of kMinColumnChunk to kMaxColumnChunk neighbouring outputs.
constexpr int64_t kColumnMin = 16;
constexpr int64_t kMinColumnChunk = 64;
constexpr int64_t kMaxColumnChunk = 2048;
// Independent accumulators for contiguous runs (lets the compiler vectorise); floating
// sums take vector_math::accumulate_run's sixteen double lanes instead.
constexpr int kLanes = 8;

constexpr int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

template <typename T>
constexpr bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(x);
  else return false;
}

// The lowest / highest value of T (infinities for floating types).
template <typename T>
constexpr T lowest_value() {
  if constexpr (std::is_floating_point_v<T>) return -std::numeric_limits<T>::infinity();
  else return std::numeric_limits<T>::lowest();
}
template <typename T>
constexpr T highest_value() {
  if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<T>::infinity();
  else return std::numeric_limits<T>::max();
}

// ---------------------------------------------------------------- reducers
// A reducer folds elements into an Acc with step(acc, x, index), joins two partial
// results with merge(earlier, later) and writes a result with store(acc, off0, off1).

template <typename T, typename OutT, ReduceOp Op>
struct ValueReducer {
  static constexpr bool kAccumulates = Op == ReduceOp::Sum || Op == ReduceOp::Mean;
  static constexpr bool kUseLanes = true;
  static constexpr bool kMax = Op == ReduceOp::Max;
  static constexpr bool kExtremeOfFloats = std::is_floating_point_v<T> && (kMax || Op == ReduceOp::Min);
  static constexpr bool kWide = kAccumulates || Op == ReduceOp::Prod;  // double / int64 accumulator
  using Acc = std::conditional_t<kWide, functors::ScanAcc<T>, T>;

  OutT* out;
  int64_t count;  // elements per output (Mean divides by it)

  Acc identity() const {
    if constexpr (kAccumulates) return Acc(0);
    else if constexpr (Op == ReduceOp::Prod) return Acc(1);
    else if constexpr (Op == ReduceOp::Max) return lowest_value<T>();
    else return highest_value<T>();
  }
  Acc step(Acc acc, T x, int64_t /*index*/) const {
    if constexpr (kAccumulates) return acc + static_cast<Acc>(x);
    else if constexpr (Op == ReduceOp::Prod) return functors::scan_combine<ScanOp::Prod>(acc, static_cast<Acc>(x));
    else return takes(acc, x) ? x : acc;
  }
  // Max / min: whether x replaces acc. Bitwise | (no branch) lets the lanes vectorise; a
  // NaN acc stays NaN.
  static bool takes(T acc, T x) {
    if constexpr (kMax) return (x > acc) | is_nan(x);
    else return (x < acc) | is_nan(x);
  }
  Acc merge(Acc earlier, Acc later) const {
    if constexpr (kAccumulates) return earlier + later;
    else if constexpr (Op == ReduceOp::Prod) return functors::scan_combine<ScanOp::Prod>(earlier, later);
    else return step(earlier, later, 0);
  }
  void store(Acc acc, int64_t offset, int64_t /*unused*/) const {
    if constexpr (Op == ReduceOp::Mean) out[offset] = static_cast<OutT>(static_cast<double>(acc) / static_cast<double>(count));
    else out[offset] = static_cast<OutT>(acc);
  }
};

// Welford moments (Note [Accumulating variance]): var into out0, the mean into out1
// when mean is not null.
template <typename T>
struct MomentsReducer {
  static constexpr bool kAccumulates = false;
  static constexpr bool kUseLanes = true;
  using Acc = functors::WelfordAcc;

  T* var;
  T* mean;
  double correction;

  Acc identity() const { return {}; }
  Acc step(Acc acc, T x, int64_t /*index*/) const { return functors::welford_step(acc, static_cast<double>(x)); }
  Acc merge(Acc earlier, Acc later) const { return functors::welford_merge(earlier, later); }
  void store(Acc acc, int64_t var_offset, int64_t mean_offset) const {
    var[var_offset] = static_cast<T>(functors::welford_var(acc, correction));
    if (mean != nullptr) mean[mean_offset] = static_cast<T>(functors::welford_mean(acc));
  }
};

template <typename T, bool kMax>
struct ArgReducer {
  static constexpr bool kAccumulates = false;
  static constexpr bool kUseLanes = false;
  // Contiguous runs find the extreme value by ValueReducer's lanes, then its first index.
  using ValueReducerOfRuns = ValueReducer<T, T, kMax ? ReduceOp::Max : ReduceOp::Min>;
  struct Acc {
    T value;
    int64_t index;  // -1: nothing seen yet
  };

  T* values;
  int64_t* indices;

  Acc identity() const { return {T{}, -1}; }
  // NaN beats everything; equal values keep the smaller index.
  Acc step(Acc acc, T x, int64_t index) const {
    if (acc.index < 0) return {x, index};
    bool better;
    if (is_nan(acc.value)) better = is_nan(x) && index < acc.index;
    else if (is_nan(x)) better = true;
    else if (x == acc.value) better = index < acc.index;
    else better = kMax ? x > acc.value : x < acc.value;
    return better ? Acc{x, index} : acc;
  }
  Acc merge(Acc earlier, Acc later) const { return later.index < 0 ? earlier : step(earlier, later.value, later.index); }
  void store(Acc acc, int64_t value_offset, int64_t index_offset) const {
    values[value_offset] = acc.value;
    indices[index_offset] = acc.index;
  }
};

// ---------------------------------------------------------------- layout

// Walks a DimSet in row-major order from a linear start, tracking the element offset
// of each of its K operands.
template <int K>
class Cursor {
 public:
  Cursor(const DimSet<K>& set, int64_t start) : set_(set) {
    for (int d = set_.ndim; d-- > 0 && start > 0;) {
      index_[d] = start % set_.size[d];
      start /= set_.size[d];
      for (int k = 0; k < K; ++k) offset_[k] += index_[d] * set_.stride[k][d];
    }
  }
  int64_t offset(int k) const { return offset_[k]; }
  void next() {
    for (int d = set_.ndim; d-- > 0;) {
      for (int k = 0; k < K; ++k) offset_[k] += set_.stride[k][d];
      if (++index_[d] < set_.size[d]) return;
      for (int k = 0; k < K; ++k) offset_[k] -= set_.stride[k][d] * set_.size[d];
      index_[d] = 0;
    }
  }

 private:
  const DimSet<K>& set_;
  std::array<int64_t, kMaxDims> index_{};
  std::array<int64_t, K> offset_{};
};

using Layout = ReduceLayout;

// ---------------------------------------------------------------- loops

// The lanes loop of fold_run for max / min of floats as 16-byte vectors (GCC's vector
// extension; its vectoriser leaves this loop scalar): lane by lane exactly
// ValueReducer::step, so the result is the scalar lanes' to the bit. Returns the number
// of elements folded (a multiple of kLanes).
template <typename T, bool kMax>
int64_t fold_extreme_lanes(T (&lanes)[kLanes], const T* p, int64_t n) {
  typedef T Vec __attribute__((vector_size(16)));
  constexpr int kWidth = static_cast<int>(sizeof(Vec) / sizeof(T));
  Vec acc[kLanes / kWidth];
  std::memcpy(acc, lanes, sizeof(acc));
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int v = 0; v < kLanes / kWidth; ++v) {
      Vec x;
      std::memcpy(&x, p + i + v * kWidth, sizeof(Vec));
      if constexpr (kMax) acc[v] = ((x > acc[v]) | (x != x)) ? x : acc[v];
      else acc[v] = ((x < acc[v]) | (x != x)) ? x : acc[v];
    }
  }
  std::memcpy(lanes, acc, sizeof(acc));
  return i;
}

// Folds n elements p[0], p[stride], ... (indices first_index, first_index + 1, ...).
template <typename T, typename R>
typename R::Acc fold_run(const R& r, typename R::Acc acc, const T* p, int64_t n, int64_t stride, int64_t first_index) {
  if constexpr (R::kAccumulates && std::is_floating_point_v<T>) {  // sum, mean: 16 double lanes
    // Shorter runs fill no lane: accumulate_run adds them in order, as this loop does.
    if (stride == 1 && n >= vector_math::kAccumulateLanes) return vector_math::accumulate_run(acc, p, n);
  }
  if constexpr (requires { typename R::ValueReducerOfRuns; }) {  // argmax / argmin
    if (stride == 1 && n >= 4 * kLanes) {  // shorter runs: the one pass below is faster
      const typename R::ValueReducerOfRuns value_reducer{nullptr, n};
      const T best = fold_run(value_reducer, value_reducer.identity(), p, n, 1, 0);
      int64_t i = 0;  // the first element equal to best (or the first NaN) ends the search
      if (is_nan(best)) {
        while (!is_nan(p[i])) ++i;
      } else {
        while (!(p[i] == best)) ++i;
      }
      return r.merge(acc, {p[i], first_index + i});  // the element itself: the lanes may pick another 0 or NaN
    }
  }
  if constexpr (R::kUseLanes) {
    if (stride == 1 && n >= 2 * kLanes) {
      typename R::Acc lanes[kLanes];
      for (auto& lane : lanes) lane = r.identity();
      int64_t i = 0;
      if constexpr (requires { requires R::kExtremeOfFloats; })
        i = fold_extreme_lanes<T, R::kMax>(lanes, p, n);
      for (; i + kLanes <= n; i += kLanes)
        for (int l = 0; l < kLanes; ++l) lanes[l] = r.step(lanes[l], p[i + l], 0);
      for (const auto& lane : lanes) acc = r.merge(acc, lane);
      for (; i < n; ++i) acc = r.step(acc, p[i], 0);
      return acc;
    }
  }
  if constexpr (requires { requires R::kExtremeOfFloats; }) {  // short or strided runs of max / min
    for (int64_t i = 0; i < n; ++i) acc = select_bits(R::takes(acc, p[i * stride]), p[i * stride], acc);
    return acc;
  }
  if (stride == 1) {
    for (int64_t i = 0; i < n; ++i) acc = r.step(acc, p[i], first_index + i);
  } else {
    for (int64_t i = 0; i < n; ++i) acc = r.step(acc, p[i * stride], first_index + i);
  }
  return acc;
}

// Folds the reduced elements [lo, hi) (row-major order of the reduced dims) of the
// output whose first input element is `base`.
template <typename T, typename R>
typename R::Acc fold_range(const R& r, const T* base, const DimSet<1>& reduced, int64_t lo, int64_t hi) {
  typename R::Acc acc = r.identity();
  if (lo >= hi) return acc;
  const int inner_dim = reduced.ndim - 1;
  const int64_t inner_size = reduced.size[inner_dim];
  const int64_t inner_stride = reduced.stride[0][inner_dim];
  const DimSet<1> outer_dims = reduced.outer();
  Cursor<1> outer(outer_dims, lo / inner_size);
  for (int64_t pos = lo, start = lo % inner_size; pos < hi; start = 0, outer.next()) {
    const int64_t run = std::min(inner_size - start, hi - pos);
    acc = fold_run(r, acc, base + outer.offset(0) + start * inner_stride, run, inner_stride, pos);
    pos += run;
  }
  return acc;
}

// All reduced elements of one output; long ones as fixed-size blocks, in parallel
// when the caller is not already parallel.
template <typename T, typename R>
typename R::Acc fold_output(const R& r, const T* base, const DimSet<1>& reduced) {
  const int64_t n = reduced.numel;
  // One reduced dim (the common case): fold it directly, without fold_range's cursor.
  if (n <= kBlock && reduced.ndim == 1) return fold_run(r, r.identity(), base, n, reduced.stride[0][0], 0);
  if (n <= kBlock) return fold_range(r, base, reduced, 0, n);
  const int64_t blocks = ceil_div(n, kBlock);
  // Not std::vector: vector<bool> packs bits, and threads write neighbouring partials.
  const auto partials = std::make_unique<typename R::Acc[]>(static_cast<size_t>(blocks));
  parallel_for(0, blocks, std::max<int64_t>(1, kParallelGrain / kBlock), [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b)
      partials[b] = fold_range(r, base, reduced, b * kBlock, std::min(n, (b + 1) * kBlock));
  });
  typename R::Acc acc = r.identity();
  for (int64_t b = 0; b < blocks; ++b) acc = r.merge(acc, partials[b]);
  return acc;
}

// Row mode: each output folds its own elements; parallel over outputs.
template <typename T, typename R>
void reduce_rows(const R& r, const T* in, const Layout& layout) {
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, layout.reduced.numel));
  parallel_for(0, layout.kept.numel, grain, [&](int64_t lo, int64_t hi) {
    Cursor<3> out(layout.kept, lo);
    for (int64_t i = lo; i < hi; ++i, out.next())
      r.store(fold_output(r, in + out.offset(0), layout.reduced), out.offset(1), out.offset(2));
  });
}

// acc[j] = step(acc[j], row[j * stride], index) for j < n.
template <typename T, typename R>
void fold_into(const R& r, typename R::Acc* acc, const T* row, int64_t n, int64_t stride, int64_t index) {
  if (stride == 1) {
    for (int64_t j = 0; j < n; ++j) acc[j] = r.step(acc[j], row[j], index);
  } else {
    for (int64_t j = 0; j < n; ++j) acc[j] = r.step(acc[j], row[j * stride], index);
  }
}

// Folds kRowsPerPass consecutive reduced rows (indices index, index + 1, ...) into acc
// in one pass, so acc is loaded and stored once per pass; each column still sees its
// rows in order, so the result is the same as folding them one by one.
constexpr int kRowsPerPass = 4;
template <typename T, typename R>
void fold_rows_into(const R& r, typename R::Acc* acc, const std::array<const T*, kRowsPerPass>& rows, int64_t n,
                    int64_t index) {
  for (int64_t j = 0; j < n; ++j) {
    typename R::Acc a = acc[j];
    for (int k = 0; k < kRowsPerPass; ++k) a = r.step(a, rows[k][j], index + k);
    acc[j] = a;
  }
}

// Wide chunks read each input row in long runs (few pages per row); but no wider than
// it takes to give every thread a chunk.
int64_t column_chunk(int64_t inner_size, int64_t outer_count) {
  const int64_t chunks_per_row = ceil_div(get_num_threads(), outer_count);
  return std::clamp(ceil_div(inner_size, chunks_per_row), kMinColumnChunk, kMaxColumnChunk);
}

// Column mode: the innermost output dim is also the input's innermost; chunks of it
// accumulate input rows one reduced index at a time. Parallel over chunks.
template <typename T, typename R>
void reduce_columns(const R& r, const T* in, const Layout& layout) {
  const DimSet<3>& kept = layout.kept;
  const int inner_dim = kept.ndim - 1;
  const int64_t inner_size = kept.size[inner_dim];
  const int64_t inner_stride = kept.stride[0][inner_dim];
  const DimSet<3> outer_dims = kept.outer();
  const int64_t chunk = column_chunk(inner_size, kept.numel / inner_size);
  const int64_t chunks_per_row = ceil_div(inner_size, chunk);
  const int64_t work_items = kept.numel / inner_size * chunks_per_row;
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / (layout.reduced.numel * chunk));
  parallel_for(0, work_items, grain, [&](int64_t lo, int64_t hi) {
    const auto acc = std::make_unique<typename R::Acc[]>(static_cast<size_t>(chunk));
    for (int64_t item = lo; item < hi; ++item) {
      const Cursor<3> outer(outer_dims, item / chunks_per_row);
      const int64_t first = item % chunks_per_row * chunk;
      const int64_t n = std::min(chunk, inner_size - first);
      std::fill_n(acc.get(), n, r.identity());
      const T* first_input = in + outer.offset(0) + first * inner_stride;
      Cursor<1> row(layout.reduced, 0);
      int64_t index = 0;
      for (; inner_stride == 1 && index + kRowsPerPass <= layout.reduced.numel; index += kRowsPerPass) {
        std::array<const T*, kRowsPerPass> rows;
        for (auto& p : rows) {
          p = first_input + row.offset(0);
          row.next();
        }
        fold_rows_into(r, acc.get(), rows, n, index);
      }
      for (; index < layout.reduced.numel; ++index, row.next())
        fold_into(r, acc.get(), first_input + row.offset(0), n, inner_stride, index);
      for (int64_t j = 0; j < n; ++j)
        r.store(acc[j], outer.offset(1) + (first + j) * kept.stride[1][inner_dim],
                outer.offset(2) + (first + j) * kept.stride[2][inner_dim]);
    }
  });
}

template <typename T, typename R>
void run_reduction(const R& r, const T* in, const Layout& layout) {
  if (layout.kept.numel == 0) return;
  const int inner_kept = layout.kept.ndim - 1;
  const int inner_reduced = layout.reduced.ndim - 1;
  const bool columns = layout.reduced.numel > 1 && layout.kept.size[inner_kept] >= kColumnMin &&
                       layout.kept.stride[0][inner_kept] < layout.reduced.stride[0][inner_reduced];
  if (columns) reduce_columns(r, in, layout);
  else reduce_rows(r, in, layout);
}

template <typename T, typename OutT>
void reduce_values(ReduceOp op, const T* in, OutT* out, const Layout& layout) {
  const int64_t count = layout.reduced.numel;
  switch (op) {
    case ReduceOp::Sum: return run_reduction(ValueReducer<T, OutT, ReduceOp::Sum>{out, count}, in, layout);
    case ReduceOp::Mean: return run_reduction(ValueReducer<T, OutT, ReduceOp::Mean>{out, count}, in, layout);
    case ReduceOp::Prod: return run_reduction(ValueReducer<T, OutT, ReduceOp::Prod>{out, count}, in, layout);
    case ReduceOp::Max:
    case ReduceOp::Min:
      if constexpr (std::is_same_v<T, OutT>) {
        if (op == ReduceOp::Max) return run_reduction(ValueReducer<T, T, ReduceOp::Max>{out, count}, in, layout);
        return run_reduction(ValueReducer<T, T, ReduceOp::Min>{out, count}, in, layout);
      }
      break;
  }
  EMBER_INTERNAL_ASSERT(false, "reduce: unsupported op/dtype combination");
}

}  // namespace

void reduce(ReduceOp op, const Tensor& in, const Tensor& out) {
  EMBER_CHECK(op != ReduceOp::Mean || is_floating(in.dtype()), "mean(): expected a floating-point input, but got ",
              dtype_name(in.dtype()));
  const Layout layout = make_reduce_layout(in, out, out);
  visit_dtype_except_reduced(in.dtype(), "reduce", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(in.data_ptr());
    if (out.dtype() == in.dtype()) return reduce_values(op, src, static_cast<T*>(out.data_ptr()), layout);
    // Sums and products of integers and bools widen to int64.
    EMBER_INTERNAL_ASSERT(!std::is_floating_point_v<T> && out.dtype() == kInt64 &&
                              (op == ReduceOp::Sum || op == ReduceOp::Prod),
                          "reduce: output dtype ", dtype_name(out.dtype()), " for input ", dtype_name(in.dtype()));
    if constexpr (!std::is_floating_point_v<T>) reduce_values(op, src, static_cast<int64_t*>(out.data_ptr()), layout);
  });
}

void var_mean(const Tensor& in, double correction, const Tensor& var_out, const Tensor& mean_out) {
  EMBER_INTERNAL_ASSERT(is_floating(in.dtype()) && !is_reduced_float(in.dtype()) && var_out.dtype() == in.dtype() &&
                            (!mean_out.defined() || mean_out.dtype() == in.dtype()),
                        "var_mean: dtypes ", dtype_name(in.dtype()), " -> ", dtype_name(var_out.dtype()));
  const Layout layout = make_reduce_layout(in, var_out, mean_out.defined() ? mean_out : var_out);
  visit_dtype_except_reduced(in.dtype(), "var_mean", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      T* mean = mean_out.defined() ? static_cast<T*>(mean_out.data_ptr()) : nullptr;
      run_reduction(MomentsReducer<T>{static_cast<T*>(var_out.data_ptr()), mean, correction},
                    static_cast<const T*>(in.data_ptr()), layout);
    }
  });
}

void arg_reduce(ArgReduceOp op, const Tensor& in, int64_t dim, const Tensor& values, const Tensor& indices) {
  Dims expected = in.sizes();
  EMBER_INTERNAL_ASSERT(dim >= 0 && dim < in.dim(), "arg_reduce: dim ", dim, " for shape ", in.sizes());
  expected[static_cast<size_t>(dim)] = 1;
  EMBER_INTERNAL_ASSERT(values.sizes() == expected && indices.sizes() == expected && values.dtype() == in.dtype() &&
                            indices.dtype() == kInt64,
                        "arg_reduce: outputs do not fit input ", in.sizes());
  const Layout layout = make_reduce_layout(in, values, indices);
  visit_dtype_except_reduced(in.dtype(), "arg_reduce", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(in.data_ptr());
    T* vals = static_cast<T*>(values.data_ptr());
    int64_t* idx = static_cast<int64_t*>(indices.data_ptr());
    if (op == ArgReduceOp::ArgMax) run_reduction(ArgReducer<T, true>{vals, idx}, src, layout);
    else run_reduction(ArgReducer<T, false>{vals, idx}, src, layout);
  });
}

}  // namespace ember::cpu
