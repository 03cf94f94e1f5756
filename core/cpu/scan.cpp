// CPU scans along one dim: cumsum/cumprod/logcumsumexp (inclusive, forward or reverse;
// floats in double, integers in int64), cummax/cummin, and cumprod's gradient, exact where the input has zeros.
// Each line is walked in order by one thread; lines run in parallel. Also the positions
// of a mask's trues (a count per block, their prefix, then each block's positions).
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "core/cpu/kernels.h"
#include "core/parallel.h"
#include "core/reduce_functors.h"
#include "core/scan_layout.h"

namespace ember::cpu {
namespace {

template <ScanOp Op, typename T, typename OutT>
void scan_lines(const T* in, OutT* out, const LineLayout<2>& layout, bool reverse) {
  using Acc = functors::ScanAcc<T>;
  const int64_t n = layout.length;
  const int64_t s_in = layout.stride[0], s_out = layout.stride[1];
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, n));
  parallel_for(0, layout.lines.numel, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t l = lo; l < hi; ++l) {
      const T* p = in + layout.line_offset(l, 0);
      OutT* q = out + layout.line_offset(l, 1);
      Acc acc = functors::scan_identity<Op, Acc>();
      for (int64_t i = 0; i < n; ++i) {
        const int64_t j = reverse ? n - 1 - i : i;
        acc = functors::scan_combine<Op>(acc, static_cast<Acc>(p[j * s_in]));
        q[j * s_out] = static_cast<OutT>(acc);
      }
    }
  });
}

// grad_in[i] = P[i - 1] * S[i] in scan order, with P the exclusive product prefix of x
// and S[i] = g[i] + x[i + 1] * S[i + 1] (Horner from the line's end): no division, so
// zeros in x need no special case. S is kept in grad_in between the two passes.
template <typename T>
void cumprod_grad_lines(const T* x, const T* g, T* gi, const LineLayout<3>& layout, bool reverse) {
  const int64_t n = layout.length;
  const int64_t sx = layout.stride[0], sg = layout.stride[1], so = layout.stride[2];
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, 2 * n));
  parallel_for(0, layout.lines.numel, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t l = lo; l < hi; ++l) {
      const T* xl = x + layout.line_offset(l, 0);
      const T* gl = g + layout.line_offset(l, 1);
      T* ol = gi + layout.line_offset(l, 2);
      const auto at = [&](int64_t i) { return reverse ? n - 1 - i : i; };
      double s = 0.0;
      for (int64_t i = n - 1; i >= 0; --i) {
        const int64_t j = at(i);
        s = i == n - 1 ? static_cast<double>(gl[j * sg])
                       : static_cast<double>(gl[j * sg]) + static_cast<double>(xl[at(i + 1) * sx]) * s;
        ol[j * so] = static_cast<T>(s);
      }
      double prefix = 1.0;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t j = at(i);
        ol[j * so] = static_cast<T>(prefix * static_cast<double>(ol[j * so]));
        prefix *= static_cast<double>(xl[j * sx]);
      }
    }
  });
}

// cummax/cummin, lines in parallel, each walked by functors::cumulative_extreme_line.
template <ArgReduceOp Op, typename T>
void extreme_lines(const T* in, T* values, int64_t* indices, const LineLayout<3>& layout) {
  const int64_t n = layout.length;
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, n));
  parallel_for(0, layout.lines.numel, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t l = lo; l < hi; ++l)
      functors::cumulative_extreme_line<Op>(in + layout.line_offset(l, 0), layout.stride[0], n,
                                            values + layout.line_offset(l, 1), layout.stride[1],
                                            indices + layout.line_offset(l, 2), layout.stride[2]);
  });
}

// true_positions works in blocks of this many mask elements: each block's trues are
// counted, then written from the block's prefix of the counts, blocks in parallel.
constexpr int64_t kMaskBlock = 1 << 14;
// Positions are first written to a buffer of this many, one per mask element with the
// pointer advanced by the element (no branch on it), then copied out.
constexpr int64_t kPositionChunk = 256;

// The mask is read as bytes, any nonzero byte true: a bool tensor's bytes are 0 or 1, but a
// stray one (empty() never written) must not move the writes below past their buffer.
int64_t count_true(const uint8_t* m, int64_t n) {
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) count += static_cast<int64_t>(m[i] != 0);
  return count;
}

// The positions first + i of the trues among m[0, n), in order, to out.
void write_true_positions(const uint8_t* m, int64_t n, int64_t first, int64_t* out) {
  int64_t buffer[kPositionChunk];
  for (int64_t start = 0; start < n; start += kPositionChunk) {
    const int64_t length = std::min(kPositionChunk, n - start);
    int64_t kept = 0;
    for (int64_t i = 0; i < length; ++i) {
      buffer[kept] = first + start + i;
      kept += static_cast<int64_t>(m[start + i] != 0);
    }
    std::copy_n(buffer, kept, out);
    out += kept;
  }
}

}  // namespace

Tensor true_positions(const Tensor& mask) {
  EMBER_INTERNAL_ASSERT(mask.dtype() == kBool && mask.dim() == 1 && mask.is_contiguous(),
                        "true_positions: expected a contiguous 1-D bool mask, got ", mask.sizes());
  const auto* m = static_cast<const uint8_t*>(mask.data_ptr());
  const int64_t n = mask.numel();
  const int64_t blocks = (n + kMaskBlock - 1) / kMaskBlock;
  std::vector<int64_t> starts(static_cast<size_t>(blocks) + 1, 0);  // block b's first slot
  parallel_for(0, blocks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b)
      starts[static_cast<size_t>(b) + 1] = count_true(m + b * kMaskBlock, std::min(kMaskBlock, n - b * kMaskBlock));
  });
  for (size_t b = 1; b < starts.size(); ++b) starts[b] += starts[b - 1];
  Tensor positions = make_empty({starts.back()}, kInt64, Device::cpu());
  int64_t* out = positions.data_ptr<int64_t>();
  parallel_for(0, blocks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b)
      write_true_positions(m + b * kMaskBlock, std::min(kMaskBlock, n - b * kMaskBlock), b * kMaskBlock,
                           out + starts[static_cast<size_t>(b)]);
  });
  return positions;
}

void scan(ScanOp op, const Tensor& in, int64_t dim, bool reverse, const Tensor& out) {
  const LineLayout<2> layout = make_line_layout<2>({&in, &out}, dim);
  visit_dtype_except_reduced(in.dtype(), "scan", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(in.data_ptr());
    const auto run = [&](auto* dst) {
      if (op == ScanOp::Sum) scan_lines<ScanOp::Sum>(src, dst, layout, reverse);
      else if (op == ScanOp::Prod) scan_lines<ScanOp::Prod>(src, dst, layout, reverse);
      else if constexpr (functors::scans_type<ScanOp::LogSumExp, T>)
        scan_lines<ScanOp::LogSumExp>(src, dst, layout, reverse);
      else EMBER_INTERNAL_ASSERT(false, "scan: logcumsumexp of ", dtype_name(in.dtype()));
    };
    if constexpr (std::is_floating_point_v<T>) {
      EMBER_INTERNAL_ASSERT(out.dtype() == in.dtype(), "scan: output dtype ", dtype_name(out.dtype()));
      run(static_cast<T*>(out.data_ptr()));
    } else {  // integers and bool scan into int64
      EMBER_INTERNAL_ASSERT(out.dtype() == kInt64, "scan: output dtype ", dtype_name(out.dtype()));
      run(static_cast<int64_t*>(out.data_ptr()));
    }
  });
}

void cumulative_extreme(ArgReduceOp op, const Tensor& in, int64_t dim, const Tensor& values, const Tensor& indices) {
  EMBER_INTERNAL_ASSERT(values.dtype() == in.dtype() && indices.dtype() == kInt64, "cumulative_extreme: dtypes");
  const LineLayout<3> layout = make_line_layout<3>({&in, &values, &indices}, dim);
  if (layout.length == 0) return;
  visit_dtype_except_reduced(in.dtype(), "cumulative_extreme", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(in.data_ptr());
    T* val = static_cast<T*>(values.data_ptr());
    auto* idx = static_cast<int64_t*>(indices.data_ptr());
    if (op == ArgReduceOp::ArgMax) extreme_lines<ArgReduceOp::ArgMax>(src, val, idx, layout);
    else extreme_lines<ArgReduceOp::ArgMin>(src, val, idx, layout);
  });
}

void cumprod_backward(const Tensor& x, const Tensor& grad, int64_t dim, bool reverse, const Tensor& grad_in) {
  EMBER_INTERNAL_ASSERT(is_floating(x.dtype()) && grad.dtype() == x.dtype() && grad_in.dtype() == x.dtype(),
                        "cumprod_backward: dtypes");
  const LineLayout<3> layout = make_line_layout<3>({&x, &grad, &grad_in}, dim);
  visit_dtype_except_reduced(x.dtype(), "cumprod_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>)
      cumprod_grad_lines(static_cast<const T*>(x.data_ptr()), static_cast<const T*>(grad.data_ptr()),
                         static_cast<T*>(grad_in.data_ptr()), layout, reverse);
  });
}

}  // namespace ember::cpu
