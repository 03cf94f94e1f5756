// CPU softmax_rows, cross_entropy_rows and class_loss_backward: rows in parallel, each
// row reduced in double with its max taken out first; the per-element math is
// core/optim_math.h's, shared with the CUDA kernels (cuda/softmax_loss.cu).
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/cpu/kernels.h"
#include "core/fused_operands.h"
#include "core/optim_math.h"
#include "core/parallel.h"

namespace ember::cpu {

namespace {

using fused::check_matrix;
using fused::check_target_layout;

// Rows of `width` elements: enough rows per chunk that a chunk is worth a thread.
template <typename Fn>
void parallel_rows(int64_t rows, int64_t width, const Fn& fn) {
  parallel_for(0, rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, width)), fn);
}

template <typename T>
double row_logsumexp(const T* x, int64_t n) {
  double row_max = -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < n; ++j) row_max = fused::max_ignoring_nan(row_max, static_cast<double>(x[j]));
  if (fused::max_decides_logsumexp(row_max)) return row_max;
  double sum_exp = 0.0;
  for (int64_t j = 0; j < n; ++j) sum_exp += fused::exp_shifted(static_cast<double>(x[j]), row_max);
  return fused::logsumexp_from(row_max, sum_exp);
}

// Every target must be a class index; checked before anything is written.
void check_targets(const Tensor& targets, int64_t rows, int64_t classes, const Tensor& like) {
  check_target_layout(targets, rows, like);
  const int64_t* t = targets.data_ptr<int64_t>();
  for (int64_t i = 0; i < rows; ++i) {
    EMBER_CHECK(fused::is_class_index(t[i], classes), "Target ", t[i], " is out of bounds.");
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
    const T* src = in.data_ptr<T>();
    T* dst = out.data_ptr<T>();
    parallel_rows(rows, n, [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const T* x = src + r * n;
        T* y = dst + r * n;
        const double lse = row_logsumexp(x, n);
        for (int64_t j = 0; j < n; ++j) y[j] = fused::softmax_element(x[j], lse, log);
      }
    });
  });
}

void cross_entropy_rows(const Tensor& logits, const Tensor& targets, double smoothing, const Tensor& losses,
                        const Tensor& probs) {
  check_matrix("cross_entropy_rows", "logits", logits, logits);
  if (probs.defined()) check_matrix("cross_entropy_rows", "probs", probs, logits);
  const int64_t rows = logits.size(0), c = logits.size(1);
  EMBER_INTERNAL_ASSERT(losses.is_contiguous() && losses.numel() == rows && losses.dtype() == logits.dtype(),
                        "cross_entropy_rows: losses must be contiguous, one per row, in the logits' dtype");
  check_targets(targets, rows, c, logits);
  if (rows == 0) return;
  visit_floating(logits.dtype(), "cross_entropy", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = logits.data_ptr<T>();
    const int64_t* t = targets.data_ptr<int64_t>();
    T* loss = losses.data_ptr<T>();
    T* p = probs.defined() ? probs.data_ptr<T>() : nullptr;
    parallel_rows(rows, c, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        const T* row = x + i * c;
        const double lse = row_logsumexp(row, c);
        double sum_logp = 0.0;  // for the uniform part of the smoothed target
        for (int64_t j = 0; j < c; ++j) {
          const double logp = static_cast<double>(row[j]) - lse;
          sum_logp += logp;
          if (p) p[i * c + j] = fused::softmax_element(row[j], lse, false);
        }
        const double target_logp = static_cast<double>(row[t[i]]) - lse;
        loss[i] = static_cast<T>(fused::cross_entropy_loss(target_logp, sum_logp, smoothing, c));
      }
    });
  });
}

void class_loss_backward(const Tensor& probs, const Tensor& targets, const Tensor& g, LossGradScale scale,
                         double smoothing, const Tensor& grad_in) {
  check_matrix("class_loss_backward", "grad_in", grad_in, grad_in);
  if (probs.defined()) check_matrix("class_loss_backward", "probs", probs, grad_in);
  const int64_t rows = grad_in.size(0), c = grad_in.size(1);
  EMBER_INTERNAL_ASSERT(
      g.is_contiguous() && g.dtype() == grad_in.dtype() && g.numel() == (scale == LossGradScale::PerRow ? rows : 1),
      "class_loss_backward: g must be contiguous in grad_in's dtype, one per row or one in all");
  check_targets(targets, rows, c, grad_in);
  if (rows == 0 || c == 0) return;
  visit_floating(grad_in.dtype(), "loss backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pp = probs.defined() ? probs.data_ptr<T>() : nullptr;
    const T* gg = g.data_ptr<T>();
    const int64_t* t = targets.data_ptr<int64_t>();
    T* out = grad_in.data_ptr<T>();
    parallel_rows(rows, c, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        const double row_scale = fused::loss_grad_scale(gg, i, rows, scale);
        for (int64_t j = 0; j < c; ++j) {
          const double prob = pp ? static_cast<double>(pp[i * c + j]) : 0.0;
          out[i * c + j] = fused::class_loss_grad<T>(row_scale, prob, j == t[i], smoothing, c);
        }
      }
    });
  });
}

}  // namespace ember::cpu
