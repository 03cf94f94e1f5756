// Reduction and scan math shared by the CPU kernels (core/cpu/reduce.cpp, scan.cpp)
// and the CUDA ones (cuda/reduce.cu, scan.cu), so the GPU's math is tested on the CPU:
// Welford moments (var/std/var_mean), the scans' accumulator types and combine step, and
// cummax/cummin's step.
// No tensor headers here: this compiles under nvcc.
#pragma once
#include <cstdint>
#include <limits>
#include <type_traits>

#include "core/macros.h"
#include "core/math_functors.h"
#include "core/op_kinds.h"

namespace ember::functors {

// Note [Accumulating variance]
// var/std/var_mean/std_mean fold every input (float32 and float64 alike) into a Welford
// accumulator of doubles: the running mean and the sum of squared deviations from it
// (m2), merged across blocks, lanes and threads with Chan et al.'s pairwise formula. The
// deviations are taken from the running mean, never sum(x^2) - n mean^2, so a large
// mean costs no digits (1e4 + noise of 1e-2 keeps its variance to ~1e-12 relative), and
// a float32 result is rounded once at the end. An empty reduction gives mean NaN and var
// NaN (0 / 0), as PyTorch; a divisor n - correction <= 0 gives var = m2 / 0 (inf, or NaN
// when m2 is 0), as PyTorch's max(0, n - correction).
// No default member initializers: CUDA keeps these in __shared__ memory. WelfordAcc{}
// is the empty accumulator.
struct WelfordAcc {
  double mean;
  double m2;
  int64_t n;
};

EMBER_HD_INLINE WelfordAcc welford_step(WelfordAcc acc, double x) {
  acc.n += 1;
  const double delta = x - acc.mean;
  acc.mean += delta / static_cast<double>(acc.n);
  acc.m2 += delta * (x - acc.mean);
  return acc;
}

// Joins two disjoint partial results (Chan et al.); either may be empty.
EMBER_HD_INLINE WelfordAcc welford_merge(WelfordAcc a, WelfordAcc b) {
  if (a.n == 0) return b;
  if (b.n == 0) return a;
  const int64_t n = a.n + b.n;
  const double delta = b.mean - a.mean;
  const double wb = static_cast<double>(b.n) / static_cast<double>(n);
  WelfordAcc out;
  out.n = n;
  out.mean = a.mean + delta * wb;
  out.m2 = a.m2 + b.m2 + delta * delta * static_cast<double>(a.n) * wb;
  return out;
}

// The mean, NaN when nothing was folded (PyTorch's mean of an empty tensor).
EMBER_HD_INLINE double welford_mean(const WelfordAcc& acc) {
  return acc.n == 0 ? std::numeric_limits<double>::quiet_NaN() : acc.mean;
}

// m2 / max(0, n - correction), as PyTorch.
EMBER_HD_INLINE double welford_var(const WelfordAcc& acc, double correction) {
  const double divisor = static_cast<double>(acc.n) - correction;
  return acc.m2 / (divisor > 0.0 ? divisor : 0.0);
}

// Scans: floats accumulate in double (as PyTorch's CPU cumsum), integers and bool in int64
// (wrapping on overflow like PyTorch's, so the products multiply as unsigned).
template <typename T>
using ScanAcc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

template <ScanOp Op, typename Acc>
EMBER_HD_INLINE Acc scan_identity() {
  if constexpr (Op == ScanOp::LogSumExp) return -std::numeric_limits<Acc>::infinity();
  else return Op == ScanOp::Sum ? Acc(0) : Acc(1);
}

template <ScanOp Op, typename Acc>
EMBER_HD_INLINE Acc scan_combine(Acc a, Acc b) {
  if constexpr (Op == ScanOp::Sum) {
    if constexpr (std::is_integral_v<Acc>) return static_cast<Acc>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
    else return a + b;
  } else if constexpr (Op == ScanOp::Prod) {
    if constexpr (std::is_integral_v<Acc>) return static_cast<Acc>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
    else return a * b;
  } else {  // LogSumExp, floating only
    static_assert(std::is_floating_point_v<Acc>, "logcumsumexp scans floats");
    return LogAddExp{}(a, b);
  }
}

// Whether the scan op has a kernel for T: logcumsumexp is for floating T only.
template <ScanOp Op, typename T>
inline constexpr bool scans_type = Op != ScanOp::LogSumExp || std::is_floating_point_v<T>;

// cummax (ArgMax) / cummin (ArgMin), PyTorch's rule: x replaces the running extreme `best`
// when x is NaN (so the index is the latest NaN's), never when best is NaN otherwise, and on
// a tie (so the index is the latest of equal values).
template <ArgReduceOp Op>
struct CumulativeExtreme {
  template <typename T>
  EMBER_HD_INLINE static bool replaces(T x, T best) {
    if constexpr (std::is_floating_point_v<T>) {
      if (x != x) return true;
      if (best != best) return false;
    }
    if constexpr (Op == ArgReduceOp::ArgMax) return x >= best;
    else return x <= best;
  }
};

// One line of cummax/cummin, in order: the running extreme and its index at each step (the
// CPU's loop and CUDA's thread-per-line kernel).
template <ArgReduceOp Op, typename T>
EMBER_HD_INLINE void cumulative_extreme_line(const T* in, int64_t in_stride, int64_t n, T* values,
                                             int64_t values_stride, int64_t* indices, int64_t indices_stride) {
  T best = in[0];
  int64_t at = 0;
  for (int64_t i = 0; i < n; ++i) {
    const T x = in[i * in_stride];
    if (CumulativeExtreme<Op>::replaces(x, best)) {
      best = x;
      at = i;
    }
    values[i * values_stride] = best;
    indices[i * indices_stride] = at;
  }
}

// cummax/cummin's running extreme as a (value, index) pair, for scans that combine pieces
// (CUDA's block scan of long lines). combine(earlier, later) keeps the later pair when its
// value replaces the earlier one's: the pair with the largest (is NaN, value) key, ties to
// the later, which is associative, so a scan of pieces gives the loop's answer. Index -1 is
// the empty pair, which every pair replaces.
template <typename T>
struct ExtremeAt {
  T value;
  int64_t index;
};
template <ArgReduceOp Op>
struct CombineExtremes {
  template <typename T>
  EMBER_HD_INLINE ExtremeAt<T> operator()(const ExtremeAt<T>& earlier, const ExtremeAt<T>& later) const {
    if (later.index < 0) return earlier;
    if (earlier.index < 0) return later;
    return CumulativeExtreme<Op>::replaces(later.value, earlier.value) ? later : earlier;
  }
};

}  // namespace ember::functors
