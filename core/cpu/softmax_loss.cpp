// CPU softmax_rows, cross_entropy_rows and class_loss_backward: rows in parallel, each
// row reduced in double with its max taken out first; the per-element math is
// core/optim_math.h's, shared with the CUDA kernels (cuda/softmax_loss.cu), the row's
// max and double exps vectorised (core/cpu/vector_math.h's row primitives).
#include <algorithm>
#include <vector>
#include <cmath>

#include "core/cpu/kernels.h"
#include "core/cpu/vector_math.h"
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

// A row's max and sum_j exp(x_j - max), the exps kept in e when it is not null (then
// softmax's values are e_j / sum, one exp per element). An infinite max decides the
// logsumexp alone: then nothing is summed and e is not written.
struct RowExps {
  double max = 0.0, sum = 0.0;
  bool max_decides() const { return fused::max_decides_logsumexp(max); }
  double logsumexp() const { return fused::logsumexp_from(max, sum); }
};
template <typename T>
RowExps row_exps(const T* x, int64_t n, double* e = nullptr) {
  RowExps r;
  r.max = static_cast<double>(vector_math::max_ignoring_nan(x, n));
  if (!r.max_decides()) r.sum = vector_math::sum_exp_shifted(x, n, r.max, e);
  return r;
}

// y = softmax of the row x from its row_exps (with e kept): e_j * (1 / sum), or where the
// max decides, exp(x_j - logsumexp): NaN for the whole row (a +inf or every element -inf),
// as PyTorch.
template <typename T>
void write_softmax(const T* x, int64_t n, const RowExps& r, const double* e, T* y) {
  if (r.max_decides()) return vector_math::exp_shifted(x, n, r.logsumexp(), y);
  const double inverse = 1.0 / r.sum;
  for (int64_t j = 0; j < n; ++j) y[j] = static_cast<T>(e[j] * inverse);
}

// Every target must be a class index, or the ignore_index; checked before anything is written.
void check_targets(const Tensor& targets, int64_t rows, int64_t classes, const Tensor& like,
                   const ClassLossTerms& terms) {
  check_target_layout(targets, rows, like);
  const int64_t* t = targets.data_ptr<int64_t>();
  for (int64_t i = 0; i < rows; ++i) {
    EMBER_CHECK(fused::is_class_index(t[i], classes) ||
                    fused::is_ignored_target(t[i], terms.has_ignore_index, terms.ignore_index),
                "Target ", t[i], " is out of bounds.");
  }
}

// terms.weight's data (nullptr without class weights), checked against the [rows, c] operand.
template <typename T>
const T* class_weights(const ClassLossTerms& terms, int64_t classes, const Tensor& like) {
  if (!terms.weight.defined()) return nullptr;
  EMBER_INTERNAL_ASSERT(terms.weight.is_contiguous() && terms.weight.numel() == classes &&
                            terms.weight.dtype() == like.dtype() && terms.weight.device() == like.device(),
                        "class loss: the weight must be contiguous, one per class, like the input");
  return terms.weight.data_ptr<T>();
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
      std::vector<double> e(log ? 0 : static_cast<size_t>(n));
      for (int64_t r = lo; r < hi; ++r) {
        const T* x = src + r * n;
        T* y = dst + r * n;
        if (log) {
          const double lse = row_exps(x, n).logsumexp();
          for (int64_t j = 0; j < n; ++j) y[j] = fused::softmax_element(x[j], lse, true);
        } else {
          write_softmax(x, n, row_exps(x, n, e.data()), e.data(), y);
        }
      }
    });
  });
}

void cross_entropy_rows(const Tensor& logits, const Tensor& targets, const ClassLossTerms& terms, const Tensor& losses,
                        const Tensor& probs, const Tensor& row_weights) {
  check_matrix("cross_entropy_rows", "logits", logits, logits);
  if (probs.defined()) check_matrix("cross_entropy_rows", "probs", probs, logits);
  const int64_t rows = logits.size(0), c = logits.size(1);
  EMBER_INTERNAL_ASSERT(losses.is_contiguous() && losses.numel() == rows && losses.dtype() == logits.dtype(),
                        "cross_entropy_rows: losses must be contiguous, one per row, in the logits' dtype");
  EMBER_INTERNAL_ASSERT(!row_weights.defined() || (row_weights.is_contiguous() && row_weights.numel() == rows &&
                                                   row_weights.dtype() == logits.dtype()),
                        "cross_entropy_rows: row_weights must be contiguous, one per row, in the logits' dtype");
  check_targets(targets, rows, c, logits, terms);
  if (rows == 0) return;
  visit_floating(logits.dtype(), "cross_entropy", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = logits.data_ptr<T>();
    const T* w = class_weights<T>(terms, c, logits);
    const int64_t* t = targets.data_ptr<int64_t>();
    T* loss = losses.data_ptr<T>();
    T* p = probs.defined() ? probs.data_ptr<T>() : nullptr;
    T* row_w = row_weights.defined() ? row_weights.data_ptr<T>() : nullptr;
    parallel_rows(rows, c, [&](int64_t lo, int64_t hi) {
      std::vector<double> e(p && !terms.input_is_log_probs ? static_cast<size_t>(c) : 0);
      for (int64_t i = lo; i < hi; ++i) {
        const T* row = x + i * c;
        const RowExps exps = terms.input_is_log_probs ? RowExps{} : row_exps(row, c, p ? e.data() : nullptr);
        const double lse = terms.input_is_log_probs ? 0.0 : exps.logsumexp();
        double sum_wlogp = 0.0;  // for the uniform part of the smoothed target
        if (terms.smoothing > 0.0) {
          for (int64_t j = 0; j < c; ++j) sum_wlogp += fused::class_weight(w, j) * (static_cast<double>(row[j]) - lse);
        }
        if (p && terms.input_is_log_probs) vector_math::exp_shifted(row, c, 0.0, p + i * c);
        else if (p) write_softmax(row, c, exps, e.data(), p + i * c);  // softmax_rows' values
        if (fused::is_ignored_target(t[i], terms.has_ignore_index, terms.ignore_index)) {
          loss[i] = T(0);
          if (row_w) row_w[i] = T(0);
          continue;
        }
        const double target_w = fused::class_weight(w, t[i]);
        const double target_logp = static_cast<double>(row[t[i]]) - lse;
        loss[i] = static_cast<T>(fused::cross_entropy_loss(target_logp, sum_wlogp, terms.smoothing, c, target_w));
        if (row_w) row_w[i] = static_cast<T>(target_w);
      }
    });
  });
}

void class_loss_backward(const Tensor& probs, const Tensor& targets, const Tensor& g, LossGradScale scale,
                         const ClassLossTerms& terms, const Tensor& grad_in) {
  check_matrix("class_loss_backward", "grad_in", grad_in, grad_in);
  if (probs.defined()) check_matrix("class_loss_backward", "probs", probs, grad_in);
  const int64_t rows = grad_in.size(0), c = grad_in.size(1);
  EMBER_INTERNAL_ASSERT(
      g.is_contiguous() && g.dtype() == grad_in.dtype() && g.numel() == (scale == LossGradScale::PerRow ? rows : 1),
      "class_loss_backward: g must be contiguous in grad_in's dtype, one per row or one in all");
  check_targets(targets, rows, c, grad_in, terms);
  const bool weighted_probs = terms.weight.defined() && probs.defined();
  EMBER_INTERNAL_ASSERT(!weighted_probs || terms.smoothing == 0.0 || terms.weight_sum.defined(),
                        "class_loss_backward: a weight with smoothing needs weight_sum");
  if (rows == 0 || c == 0) return;
  visit_floating(grad_in.dtype(), "loss backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pp = probs.defined() ? probs.data_ptr<T>() : nullptr;
    const T* gg = g.data_ptr<T>();
    const T* w = class_weights<T>(terms, c, grad_in);
    const double weight_sum =
        weighted_probs && terms.smoothing > 0.0 ? static_cast<double>(terms.weight_sum.data_ptr<T>()[0]) : 0.0;
    const int64_t* t = targets.data_ptr<int64_t>();
    T* out = grad_in.data_ptr<T>();
    parallel_rows(rows, c, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        T* row = out + i * c;
        if (fused::is_ignored_target(t[i], terms.has_ignore_index, terms.ignore_index)) {
          std::fill(row, row + c, T(0));
          continue;
        }
        const double row_scale = fused::loss_grad_scale(gg, i, rows, scale);
        const double target_w = fused::class_weight(w, t[i]);
        const double prob_factor = fused::weighted_prob_factor(weighted_probs, target_w, weight_sum, terms.smoothing, c);
        for (int64_t j = 0; j < c; ++j) {
          const double prob = pp ? static_cast<double>(pp[i * c + j]) : 0.0;
          row[j] = fused::class_loss_grad<T>(row_scale, prob, j == t[i], terms.smoothing, c, prob_factor,
                                             fused::class_weight(w, j), target_w);
        }
      }
    });
  });
}

}  // namespace ember::cpu
