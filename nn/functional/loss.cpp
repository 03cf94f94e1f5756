// Losses and (log-)softmax: per-row CPU loops over contiguous data (parallel over
// rows), one recorded node each. cross_entropy is fused: one pass gives the loss and,
// only when recording, the softmax probabilities its backward needs.
#include "nn/functional/loss.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "autograd/function_node.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/parallel.h"

namespace ember::nn::functional {

using autograd::InputMeta;
using autograd::needs_grad;
using autograd::record;
using autograd::tensor_list;
using autograd::will_record;

namespace {

// t's values on the CPU in row-major order (a copy only when needed).
Tensor host_contiguous(const Tensor& t) {
  Tensor h = t.is_cpu() ? t : native::to_device(t, Device::cpu());
  return h.is_contiguous() ? h : native::clone(h);
}

Tensor to_device_of(const Tensor& t, Device device) { return t.device() == device ? t : native::to_device(t, device); }

// Rows of `width` elements: enough rows per chunk that a chunk is worth a thread.
template <typename Fn>
void parallel_rows(int64_t rows, int64_t width, const Fn& fn) {
  parallel_for(0, rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, width)), fn);
}

// log(sum_j exp(x[j * stride])), stable: the max is taken out first.
template <typename T>
double row_logsumexp(const T* x, int64_t n, int64_t stride) {
  double m = -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < n; ++j) m = std::max(m, static_cast<double>(x[j * stride]));
  if (std::isinf(m)) return m;  // all -inf (or an inf): the result is that inf, as in PyTorch
  double s = 0.0;
  for (int64_t j = 0; j < n; ++j) s += std::exp(static_cast<double>(x[j * stride]) - m);
  return m + std::log(s);
}

// ---------------------------------------------------------------- softmax
int64_t softmax_dim(const Tensor& x, int64_t dim) { return wrap_dim(dim, std::max<int64_t>(1, x.dim())); }

// (log-)softmax of x along dim: x seen as [outer, n, inner], one row per (outer, inner).
Tensor softmax_forward(const Tensor& x, int64_t dim, bool log) {
  const int64_t d = softmax_dim(x, dim);
  Tensor in = host_contiguous(x);
  Tensor out = make_empty(in.sizes(), in.dtype(), Device::cpu());
  const int64_t n = x.dim() == 0 ? 1 : in.size(d);
  int64_t inner = 1;
  for (int64_t i = d + 1; i < in.dim(); ++i) inner *= in.size(i);
  const int64_t rows = n == 0 ? 0 : in.numel() / n;
  visit_floating(in.dtype(), log ? "log_softmax" : "softmax", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = in.data_ptr<T>();
    T* dst = out.data_ptr<T>();
    parallel_rows(rows, n, [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const int64_t base = (r / inner) * n * inner + r % inner;
        const double lse = row_logsumexp(src + base, n, inner);
        for (int64_t j = 0; j < n; ++j) {
          const double v = static_cast<double>(src[base + j * inner]) - lse;
          dst[base + j * inner] = static_cast<T>(log ? v : std::exp(v));
        }
      }
    });
  });
  return to_device_of(out, x.device());
}

// ---------------------------------------------------------------- class-index losses
struct ClassShape {
  int64_t n;  // rows
  int64_t c;  // classes
};

// Checks input [N, C] (or [C]) against int64 targets [N] (or 0-dim) and that every
// target is a class index. Returns the shape; `host` gets the targets on the CPU.
ClassShape check_targets(const char* op, const Tensor& input, const Tensor& targets, Tensor& host) {
  EMBER_CHECK(input.dim() == 1 || input.dim() == 2, op, ": expected input of shape [N, C] or [C], but got ",
              input.sizes());
  EMBER_CHECK(targets.dtype() == kInt64, op, ": expected scalar type Long but found ",
              dtype_torch_name(targets.dtype()), " (targets are int64 class indices)");
  const ClassShape shape{input.dim() == 2 ? input.size(0) : 1, input.size(input.dim() - 1)};
  EMBER_CHECK(targets.dim() == input.dim() - 1, op, ": expected targets with ", input.dim() - 1,
              " dimension(s) for input of shape ", input.sizes(), ", but got shape ", targets.sizes());
  EMBER_CHECK(targets.numel() == shape.n, "Expected input batch_size (", shape.n, ") to match target batch_size (",
              targets.numel(), ").");
  host = host_contiguous(targets);
  const int64_t* t = host.data_ptr<int64_t>();
  for (int64_t i = 0; i < shape.n; ++i) EMBER_CHECK(t[i] >= 0 && t[i] < shape.c, "Target ", t[i], " is out of bounds.");
  return shape;
}

// Per-row losses -> the reduced output (shape `none_shape` for Reduction::None).
Tensor reduce_losses(const std::vector<double>& losses, Reduction reduction, DType dtype, const Dims& none_shape) {
  if (reduction == Reduction::None) return tensor(losses, none_shape, TensorOptions(dtype));
  double total = 0.0;
  for (double l : losses) total += l;
  if (reduction == Reduction::Mean) total /= static_cast<double>(losses.size());
  return scalar_tensor(total, TensorOptions(dtype));
}

// The factor each row's gradient is multiplied by: g_i, or g (sum), or g / N (mean).
std::vector<double> row_scales(const Tensor& g, Reduction reduction, int64_t n) {
  std::vector<double> gv = host_contiguous(g).to_vector<double>();
  if (reduction == Reduction::None) return gv;
  return std::vector<double>(n, reduction == Reduction::Mean ? gv.at(0) / static_cast<double>(n) : gv.at(0));
}

// Gradient w.r.t. the [N, C] input of a class-index loss:
// scale_i * (probs[i, j] - smoothing / C - (1 - smoothing) [j == t_i]); probs undefined = 0 (nll_loss).
Tensor class_loss_grad(const Tensor& probs, const Tensor& targets, const Tensor& g, Reduction reduction,
                       double smoothing, const InputMeta& meta) {
  const int64_t c = meta.shape[meta.shape.size() - 1];
  const int64_t n = shape_numel(meta.shape) / std::max<int64_t>(1, c);
  const std::vector<double> scale = row_scales(g, reduction, n);
  Tensor t = host_contiguous(targets);
  Tensor p = probs.defined() ? host_contiguous(probs) : Tensor();
  Tensor grad = make_empty(meta.shape, meta.dtype, Device::cpu());
  visit_floating(meta.dtype, "loss backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pp = p.defined() ? p.template data_ptr<T>() : nullptr;
    const int64_t* tt = t.data_ptr<int64_t>();
    T* out = grad.data_ptr<T>();
    parallel_rows(n, c, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        for (int64_t j = 0; j < c; ++j) {
          const double q = smoothing / static_cast<double>(c) + (j == tt[i] ? 1.0 - smoothing : 0.0);
          out[i * c + j] = static_cast<T>(scale[i] * ((pp ? static_cast<double>(pp[i * c + j]) : 0.0) - q));
        }
      }
    });
  });
  return to_device_of(grad, meta.device);
}

}  // namespace

Reduction reduction_from_string(std::string_view name) {
  if (name == "none") return Reduction::None;
  if (name == "mean") return Reduction::Mean;
  if (name == "sum") return Reduction::Sum;
  EMBER_FAIL(name, " is not a valid value for reduction (expected \"none\", \"mean\" or \"sum\")");
}

Tensor log_softmax(const Tensor& x, int64_t dim) {
  Tensor out = softmax_forward(x, dim, true);
  if (will_record(x)) {
    const int64_t d = softmax_dim(x, dim);
    record("LogSoftmaxBackward", {&x}, {&out}, {out}, [d](const tensor_list& g, const tensor_list& s, const auto&) {
      // g - exp(out) * sum(g, dim)
      return tensor_list{native::sub(g[0], native::mul(native::exp(s[0]), native::sum(g[0], {d}, true)))};
    });
  }
  return out;
}

Tensor softmax(const Tensor& x, int64_t dim) {
  Tensor out = softmax_forward(x, dim, false);
  if (will_record(x)) {
    const int64_t d = softmax_dim(x, dim);
    record("SoftmaxBackward", {&x}, {&out}, {out}, [d](const tensor_list& g, const tensor_list& s, const auto&) {
      // out * (g - sum(g * out, dim))
      return tensor_list{native::mul(s[0], native::sub(g[0], native::sum(native::mul(g[0], s[0]), {d}, true)))};
    });
  }
  return out;
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& targets, Reduction reduction) {
  Tensor t;
  const ClassShape shape = check_targets("nll_loss", log_probs, targets, t);
  Tensor in = host_contiguous(log_probs);
  std::vector<double> losses(static_cast<size_t>(shape.n));
  visit_floating(in.dtype(), "nll_loss", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = in.data_ptr<T>();
    const int64_t* tt = t.data_ptr<int64_t>();
    for (int64_t i = 0; i < shape.n; ++i) losses[i] = -static_cast<double>(x[i * shape.c + tt[i]]);
  });
  Tensor out = to_device_of(reduce_losses(losses, reduction, in.dtype(), targets.sizes()), log_probs.device());
  if (will_record(log_probs)) {
    record("NllLossBackward", {&log_probs}, {&out}, {targets},
           [reduction](const tensor_list& g, const tensor_list& s, const auto& in_meta) {
             return tensor_list{class_loss_grad(Tensor(), s[0], g[0], reduction, 0.0, in_meta[0])};
           });
  }
  return out;
}

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, Reduction reduction, double label_smoothing) {
  EMBER_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0,
              "label_smoothing must be between 0.0 and 1.0. Got: ", label_smoothing);
  Tensor t;
  const ClassShape shape = check_targets("cross_entropy", logits, targets, t);
  Tensor in = host_contiguous(logits);
  const bool recording = will_record(logits);
  Tensor probs = recording ? make_empty(in.sizes(), in.dtype(), Device::cpu()) : Tensor();
  std::vector<double> losses(static_cast<size_t>(shape.n));
  visit_floating(in.dtype(), "cross_entropy", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = in.data_ptr<T>();
    const int64_t* tt = t.data_ptr<int64_t>();
    T* p = recording ? probs.template data_ptr<T>() : nullptr;
    const int64_t c = shape.c;
    parallel_rows(shape.n, c, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        const T* row = x + i * c;
        const double lse = row_logsumexp(row, c, 1);
        double sum_logp = 0.0;  // for the uniform part of the smoothed target
        for (int64_t j = 0; j < c; ++j) {
          const double logp = static_cast<double>(row[j]) - lse;
          sum_logp += logp;
          if (p) p[i * c + j] = static_cast<T>(std::exp(logp));
        }
        const double target_logp = static_cast<double>(row[tt[i]]) - lse;
        losses[i] = -(1.0 - label_smoothing) * target_logp -
                    (label_smoothing > 0.0 ? label_smoothing / static_cast<double>(c) * sum_logp : 0.0);
      }
    });
  });
  Tensor out = to_device_of(reduce_losses(losses, reduction, in.dtype(), targets.sizes()), logits.device());
  if (recording) {
    record("CrossEntropyLossBackward", {&logits}, {&out}, {to_device_of(probs, logits.device()), targets},
           [reduction, label_smoothing](const tensor_list& g, const tensor_list& s, const auto& in_meta) {
             return tensor_list{class_loss_grad(s[0], s[1], g[0], reduction, label_smoothing, in_meta[0])};
           });
  }
  return out;
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  EMBER_CHECK(input.is_floating_point() && target.is_floating_point(),
              "mse_loss: expected floating-point input and target, but got ", dtype_name(input.dtype()), " and ",
              dtype_name(target.dtype()));
  Tensor diff = native::sub(input, target);
  Tensor squared = native::mul(diff, diff);
  Tensor out = reduction == Reduction::None  ? squared
               : reduction == Reduction::Sum ? native::sum(squared)
                                             : native::mean(squared);
  if (will_record(input, target)) {
    const double factor = reduction == Reduction::Mean ? 2.0 / static_cast<double>(diff.numel()) : 2.0;
    record("MseLossBackward", {&input, &target}, {&out}, {diff},
           [factor](const tensor_list& g, const tensor_list& s, const auto& in) {
             Tensor grad = native::mul(native::mul(s[0], g[0]), factor);  // 2 (input - target) g [/ numel]
             return tensor_list{needs_grad(in, 0) ? grad : Tensor(), needs_grad(in, 1) ? native::neg(grad) : Tensor()};
           });
  }
  return out;
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& targets, std::string_view reduction) {
  return nll_loss(log_probs, targets, reduction_from_string(reduction));
}
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, std::string_view reduction, double label_smoothing) {
  return cross_entropy(logits, targets, reduction_from_string(reduction), label_smoothing);
}
Tensor mse_loss(const Tensor& input, const Tensor& target, std::string_view reduction) {
  return mse_loss(input, target, reduction_from_string(reduction));
}

}  // namespace ember::nn::functional
