// CUDA softmax_rows, cross_entropy_rows and class_loss_backward. Row sums are in
// double, as on the CPU: a warp per row up to 1024 columns, a block per row beyond,
// reduced with shuffles (and shared memory across a block's warps). core/optim_math.h
// has the per-element math both devices share. Bad targets go to the device error word.
#include <cuda_runtime.h>

#include <limits>
#include <type_traits>

#include "core/fused_operands.h"
#include "core/optim_math.h"
#include "cuda/cuda_internal.h"
#include "cuda/row_range.cuh"

namespace ember::cuda_kernels {

namespace {

using cuda::detail::blocks_for;
using fused::check_matrix;
using fused::check_target_layout;
using cuda::detail::current_raw_stream;

constexpr int kWarpSize = 32;
constexpr int kWarpRowBlockThreads = 256;   // a warp-per-row launch: 8 rows per block
constexpr int kBlockRowThreads = 512;       // a block-per-row launch
constexpr int64_t kWarpRowMaxWidth = 1024;  // rows up to this wide get one warp
constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr double kQuietNaN = std::numeric_limits<double>::quiet_NaN();

struct MaxIgnoringNan {
  __device__ double operator()(double a, double b) const { return fused::max_ignoring_nan(a, b); }
};
struct Plus {
  __device__ double operator()(double a, double b) const { return a + b; }
};

// The threads that share a row: a warp (kRowThreads == 32) or the whole block
// (kRowThreads == blockDim.x). reduce() combines one value per thread and gives every
// thread of the row the same result (the xor butterfly combines equal pairs on both
// sides, so all lanes hold identical bits). All the row's threads must call it.
template <int kRowThreads>
struct RowThreads {
  static_assert(kRowThreads % kWarpSize == 0, "rows are reduced by whole warps");
  static constexpr int kWarps = kRowThreads / kWarpSize;
  double* scratch;  // kWarps doubles of shared memory (used when kWarps > 1)

  __device__ int rank() const { return static_cast<int>(threadIdx.x % kRowThreads); }

  template <typename Op>
  __device__ double reduce(double v, Op op) const {
    for (int offset = kWarpSize / 2; offset > 0; offset /= 2) v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
    if constexpr (kWarps > 1) {
      const int lane = static_cast<int>(threadIdx.x % kWarpSize), warp = static_cast<int>(threadIdx.x / kWarpSize);
      __syncthreads();  // the previous reduction's reads of scratch are done
      if (lane == 0) scratch[warp] = v;
      __syncthreads();
      v = scratch[0];
      for (int w = 1; w < kWarps; ++w) v = op(v, scratch[w]);
    }
    return v;
  }

  // log(sum_j exp(x_j)) of a row of n, the same value in every thread of the row.
  template <typename T>
  __device__ double logsumexp(const T* x, int64_t n) const {
    double row_max = kNegInf;
    for (int64_t j = rank(); j < n; j += kRowThreads) {
      row_max = fused::max_ignoring_nan(row_max, static_cast<double>(x[j]));
    }
    row_max = reduce(row_max, MaxIgnoringNan{});
    if (fused::max_decides_logsumexp(row_max)) return fused::logsumexp_from(row_max, 0.0);  // uniform over the row
    double sum_exp = 0.0;
    for (int64_t j = rank(); j < n; j += kRowThreads) sum_exp += fused::exp_shifted(static_cast<double>(x[j]), row_max);
    return fused::logsumexp_from(row_max, reduce(sum_exp, Plus{}));
  }
};

using cuda::detail::RowRange;

__device__ void report_bad_target(unsigned long long* error_word, int64_t target) {
  cuda::detail::report_device_error(error_word, cuda::detail::kTargetOutOfBounds, target);
}

template <typename T, int kRowThreads>
__global__ void softmax_rows_kernel(const T* __restrict__ in, T* __restrict__ out, int64_t rows, int64_t n, bool log) {
  __shared__ double scratch[RowThreads<kRowThreads>::kWarps];
  const RowThreads<kRowThreads> row_threads{scratch};
  const RowRange<kRowThreads> range;
  for (int64_t r = range.first; r < rows; r += range.stride) {
    const T* x = in + r * n;
    T* y = out + r * n;
    const double lse = row_threads.logsumexp(x, n);
    for (int64_t j = row_threads.rank(); j < n; j += kRowThreads) y[j] = fused::softmax_element(x[j], lse, log);
  }
}

// The class-weight and ignore_index part of ClassLossTerms, as the kernels read it.
template <typename T>
struct DeviceClassTerms {
  const T* weight;  // nullptr: every class weighs 1
  double smoothing;
  bool has_ignore_index;
  int64_t ignore_index;
  __device__ bool ignored(int64_t t) const { return fused::is_ignored_target(t, has_ignore_index, ignore_index); }
};

template <typename T, int kRowThreads>
__global__ void cross_entropy_rows_kernel(const T* __restrict__ logits, const int64_t* __restrict__ targets,
                                          DeviceClassTerms<T> terms, bool input_is_log_probs, T* __restrict__ losses,
                                          T* __restrict__ probs, T* __restrict__ row_weights, int64_t rows, int64_t c,
                                          unsigned long long* error_word) {
  __shared__ double scratch[RowThreads<kRowThreads>::kWarps];
  const RowThreads<kRowThreads> row_threads{scratch};
  const RowRange<kRowThreads> range;
  for (int64_t r = range.first; r < rows; r += range.stride) {
    const T* x = logits + r * c;
    const double lse = input_is_log_probs ? 0.0 : row_threads.logsumexp(x, c);
    double sum_wlogp = 0.0;  // for the uniform part of the smoothed target
    if (terms.smoothing > 0.0 || probs != nullptr) {  // uniform over the row: kernel arguments
      for (int64_t j = row_threads.rank(); j < c; j += kRowThreads) {
        sum_wlogp += fused::class_weight(terms.weight, j) * (static_cast<double>(x[j]) - lse);
        if (probs != nullptr) probs[r * c + j] = fused::softmax_element(x[j], lse, false);
      }
    }
    if (terms.smoothing > 0.0) sum_wlogp = row_threads.reduce(sum_wlogp, Plus{});  // uniform condition
    if (row_threads.rank() == 0) {
      const int64_t t = targets[r];
      double loss = 0.0, target_w = 0.0;  // an ignored row
      if (fused::is_class_index(t, c)) {
        if (!terms.ignored(t)) {
          target_w = fused::class_weight(terms.weight, t);
          loss = fused::cross_entropy_loss(static_cast<double>(x[t]) - lse, sum_wlogp, terms.smoothing, c, target_w);
        }
      } else if (!terms.ignored(t)) {
        loss = kQuietNaN;
        report_bad_target(error_word, t);
      }
      losses[r] = static_cast<T>(loss);
      if (row_weights != nullptr) row_weights[r] = static_cast<T>(target_w);
    }
  }
}

template <typename T>
__global__ void class_loss_backward_kernel(const T* __restrict__ probs, const int64_t* __restrict__ targets,
                                           const T* __restrict__ g, LossGradScale scale, DeviceClassTerms<T> terms,
                                           const T* __restrict__ weight_sum, T* __restrict__ grad_in, int64_t rows,
                                           int64_t c, unsigned long long* error_word) {
  const int64_t total = rows * c;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const bool weighted_probs = terms.weight != nullptr && probs != nullptr;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total; idx += stride) {
    const int64_t i = idx / c, j = idx - i * c;
    const int64_t t = targets[i];
    if (terms.ignored(t)) {
      grad_in[idx] = T(0);
      continue;
    }
    if (!fused::is_class_index(t, c)) {
      if (j == 0) report_bad_target(error_word, t);
      grad_in[idx] = static_cast<T>(kQuietNaN);
      continue;
    }
    const double prob = probs != nullptr ? static_cast<double>(probs[idx]) : 0.0;
    const double target_w = fused::class_weight(terms.weight, t);
    const double sum_w = weight_sum != nullptr ? static_cast<double>(*weight_sum) : 0.0;
    const double prob_factor = fused::weighted_prob_factor(weighted_probs, target_w, sum_w, terms.smoothing, c);
    grad_in[idx] = fused::class_loss_grad<T>(fused::loss_grad_scale(g, i, rows, scale), prob, j == t, terms.smoothing,
                                             c, prob_factor, fused::class_weight(terms.weight, j), target_w);
  }
}

// ---------------------------------------------------------------- host side

// Launches kernel<kRowThreads> for `rows` rows of `width`: a warp per row when narrow.
template <typename LaunchFn>
void launch_rows(int64_t rows, int64_t width, const LaunchFn& launch) {
  if (width <= kWarpRowMaxWidth) {
    constexpr int rows_per_block = kWarpRowBlockThreads / kWarpSize;
    launch(std::integral_constant<int, kWarpSize>{}, blocks_for(rows, rows_per_block), kWarpRowBlockThreads);
  } else {
    launch(std::integral_constant<int, kBlockRowThreads>{}, blocks_for(rows, 1), kBlockRowThreads);
  }
}

}  // namespace

void softmax_rows(const Tensor& in, const Tensor& out, bool log) {
  check_matrix("softmax_rows", "in", in, in);
  check_matrix("softmax_rows", "out", out, in);
  const int64_t rows = in.size(0), n = in.size(1);
  if (rows == 0 || n == 0) return;
  visit_floating(in.dtype(), log ? "log_softmax" : "softmax", [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch_rows(rows, n, [&](auto row_threads, unsigned blocks, int threads) {
      softmax_rows_kernel<T, decltype(row_threads)::value>
          <<<blocks, threads, 0, current_raw_stream()>>>(in.data_ptr<T>(), out.data_ptr<T>(), rows, n, log);
      EMBER_CUDA_LAUNCH_CHECK();
    });
  });
}

namespace {

// terms as the kernels read them; the weight checked against the [rows, c] operand.
template <typename T>
DeviceClassTerms<T> device_terms(const ClassLossTerms& terms, int64_t classes, const Tensor& like) {
  const Tensor& w = terms.weight;
  EMBER_INTERNAL_ASSERT(!w.defined() || (w.is_contiguous() && w.numel() == classes && w.dtype() == like.dtype() &&
                                         w.device() == like.device()),
                        "class loss: the weight must be contiguous, one per class, like the input");
  return DeviceClassTerms<T>{w.defined() ? w.data_ptr<T>() : nullptr, terms.smoothing, terms.has_ignore_index,
                             terms.ignore_index};
}

}  // namespace

void cross_entropy_rows(const Tensor& logits, const Tensor& targets, const ClassLossTerms& terms, const Tensor& losses,
                        const Tensor& probs, const Tensor& row_weights) {
  check_matrix("cross_entropy_rows", "logits", logits, logits);
  if (probs.defined()) check_matrix("cross_entropy_rows", "probs", probs, logits);
  const int64_t rows = logits.size(0), c = logits.size(1);
  check_target_layout(targets, rows, logits);
  EMBER_INTERNAL_ASSERT(losses.is_contiguous() && losses.numel() == rows && losses.dtype() == logits.dtype() &&
                            losses.device() == logits.device(),
                        "cross_entropy_rows: losses must be contiguous, one per row, like the logits");
  EMBER_INTERNAL_ASSERT(!row_weights.defined() ||
                            (row_weights.is_contiguous() && row_weights.numel() == rows &&
                             row_weights.dtype() == logits.dtype() && row_weights.device() == logits.device()),
                        "cross_entropy_rows: row_weights must be contiguous, one per row, like the logits");
  if (rows == 0) return;
  unsigned long long* error_word = cuda::detail::device_error_word();
  visit_floating(logits.dtype(), "cross_entropy", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* probs_data = probs.defined() ? probs.data_ptr<T>() : nullptr;
    T* row_weight_data = row_weights.defined() ? row_weights.data_ptr<T>() : nullptr;
    const DeviceClassTerms<T> kernel_terms = device_terms<T>(terms, c, logits);
    launch_rows(rows, c, [&](auto row_threads, unsigned blocks, int threads) {
      cross_entropy_rows_kernel<T, decltype(row_threads)::value><<<blocks, threads, 0, current_raw_stream()>>>(
          logits.data_ptr<T>(), targets.data_ptr<int64_t>(), kernel_terms, terms.input_is_log_probs,
          losses.data_ptr<T>(), probs_data, row_weight_data, rows, c, error_word);
      EMBER_CUDA_LAUNCH_CHECK();
    });
  });
}

void class_loss_backward(const Tensor& probs, const Tensor& targets, const Tensor& g, LossGradScale scale,
                         const ClassLossTerms& terms, const Tensor& grad_in) {
  check_matrix("class_loss_backward", "grad_in", grad_in, grad_in);
  if (probs.defined()) check_matrix("class_loss_backward", "probs", probs, grad_in);
  const int64_t rows = grad_in.size(0), c = grad_in.size(1);
  check_target_layout(targets, rows, grad_in);
  EMBER_INTERNAL_ASSERT(g.is_contiguous() && g.dtype() == grad_in.dtype() && g.device() == grad_in.device() &&
                            g.numel() == (scale == LossGradScale::PerRow ? rows : 1),
                        "class_loss_backward: g must be contiguous like grad_in, one per row or one in all");
  const bool needs_weight_sum = terms.weight.defined() && probs.defined() && terms.smoothing > 0.0;
  EMBER_INTERNAL_ASSERT(!needs_weight_sum || (terms.weight_sum.defined() && terms.weight_sum.numel() == 1 &&
                                              terms.weight_sum.dtype() == grad_in.dtype() &&
                                              terms.weight_sum.device() == grad_in.device()),
                        "class_loss_backward: a weight with smoothing needs weight_sum, like grad_in");
  if (rows == 0 || c == 0) return;
  unsigned long long* error_word = cuda::detail::device_error_word();
  visit_floating(grad_in.dtype(), "loss backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* probs_data = probs.defined() ? probs.data_ptr<T>() : nullptr;
    const T* weight_sum = needs_weight_sum ? terms.weight_sum.data_ptr<T>() : nullptr;
    class_loss_backward_kernel<T><<<blocks_for(rows * c), cuda::detail::kThreadsPerBlock, 0, current_raw_stream()>>>(
        probs_data, targets.data_ptr<int64_t>(), g.data_ptr<T>(), scale, device_terms<T>(terms, c, grad_in),
        weight_sum, grad_in.data_ptr<T>(), rows, c, error_word);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember::cuda_kernels
