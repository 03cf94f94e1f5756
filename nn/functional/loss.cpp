// Losses and (log-)softmax on the tensors' own device through the fused row kernels
// of DeviceOps (softmax_rows, cross_entropy_rows, class_loss_backward), one recorded
// node each. cross_entropy is fused: one pass gives the losses and, only when
// recording, the softmax probabilities its backward needs.
#include "nn/functional/loss.h"

#include <algorithm>
#include <optional>

#include "autograd/function_node.h"
#include "core/autocast.h"
#include "core/dispatch.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"
#include "core/profiler.h"

namespace ember::nn::functional {

using autograd::InputMeta;
using autograd::needs_grad;
using autograd::record;
using autograd::tensor_list;
using autograd::will_record;
using autograd::will_record_into;

namespace {

// t itself when contiguous, else a contiguous copy on t's device (never recorded).
Tensor contiguous_data(const Tensor& t) { return t.is_contiguous() ? t : native::clone(t); }

// The fused kernels take float32/float64 only: other dtypes are an error naming `op`.
void check_floating(DType dtype, const char* op) {
  visit_floating(dtype, op, [](auto) {});
}

// ---------------------------------------------------------------- softmax
int64_t softmax_dim(const Tensor& x, int64_t dim) { return wrap_dim(dim, std::max<int64_t>(1, x.dim())); }

// (log-)softmax of x along dim on x's device: rows along dim, which is moved last
// (and back) when other dims of size > 1 follow it.
Tensor softmax_forward(const Tensor& x, int64_t dim, bool log) {
  const int64_t d = softmax_dim(x, dim);
  check_floating(x.dtype(), log ? "log_softmax" : "softmax");
  if (x.numel() == 0) return make_empty(x.sizes(), x.dtype(), x.device());
  int64_t inner = 1;
  for (int64_t i = d + 1; i < x.dim(); ++i) inner *= x.size(i);
  const int64_t last = std::max<int64_t>(0, x.dim() - 1);
  const bool move_dim = inner != 1;
  Tensor in = contiguous_data(move_dim ? native::transpose(x, d, last) : x);
  const int64_t n = x.dim() == 0 ? 1 : x.size(d);
  const int64_t rows = in.numel() / n;
  Tensor out = make_empty(in.sizes(), in.dtype(), in.device());
  device_ops(x.device()).softmax_rows(native::view(in, {rows, n}), native::view(out, {rows, n}), log);
  return move_dim ? native::clone(native::transpose(out, d, last)) : out;
}

// ---------------------------------------------------------------- class-index losses
struct ClassShape {
  int64_t n;  // rows
  int64_t c;  // classes
};

// Checks input [N, C] (or [C]) against int64 targets [N] (or 0-dim). The kernels
// check that every target is a class index (the CPU's at once; CUDA's through the
// device error word, thrown at the next synchronising point, so no device-to-host
// copy is made); CPU targets for an input on another device, or for every input when
// check_host_values (the composed path, which has no such kernel), are checked here, at
// once, a target equal to `ignore` excepted.
ClassShape check_targets(const char* op, const Tensor& input, const Tensor& targets,
                         std::optional<int64_t> ignore = std::nullopt, bool check_host_values = false) {
  EMBER_CHECK(input.dim() == 1 || input.dim() == 2, op, ": expected input of shape [N, C] or [C], but got ",
              input.sizes());
  EMBER_CHECK(targets.dtype() == kInt64, op, ": expected scalar type Long but found ",
              dtype_torch_name(targets.dtype()), " (targets are int64 class indices)");
  const ClassShape shape{input.dim() == 2 ? input.size(0) : 1, input.size(input.dim() - 1)};
  EMBER_CHECK(targets.dim() == input.dim() - 1, op, ": expected targets with ", input.dim() - 1,
              " dimension(s) for input of shape ", input.sizes(), ", but got shape ", targets.sizes());
  EMBER_CHECK(targets.numel() == shape.n, "Expected input batch_size (", shape.n, ") to match target batch_size (",
              targets.numel(), ").");
  if (targets.is_cpu() && (!input.is_cpu() || check_host_values)) {
    const Tensor host = contiguous_data(targets);
    const int64_t* t = host.data_ptr<int64_t>();
    for (int64_t i = 0; i < shape.n; ++i) {
      EMBER_CHECK((ignore && t[i] == *ignore) || (t[i] >= 0 && t[i] < shape.c), "Target ", t[i], " is out of bounds.");
    }
  }
  return shape;
}

// The targets as the kernels take them: contiguous [N] on `device`.
Tensor kernel_targets(const Tensor& targets, Device device, int64_t rows) {
  const Tensor t = targets.device() == device ? targets : native::to_device(targets, device);
  return native::view(contiguous_data(t), {rows});
}

// Per-row losses (in the targets' shape) -> the reduced output, on their device.
Tensor reduce_losses(const Tensor& losses, Reduction reduction) {
  if (reduction == Reduction::None) return losses;
  return reduction == Reduction::Sum ? native::sum(losses) : native::mean(losses);
}

// Gradient w.r.t. the [N, C] (or [C]) input of a class-index loss, on its device:
// scale_i * (probs[i, j] - smoothing / C - (1 - smoothing) [j == t_i]); probs undefined = 0 (nll_loss).
Tensor class_loss_grad(const Tensor& probs, const Tensor& targets, const Tensor& g, Reduction reduction,
                       double smoothing, const InputMeta& meta) {
  const int64_t c = meta.shape.back();
  const int64_t n = meta.shape.size() == 2 ? meta.shape[0] : 1;
  Tensor grad = make_empty(meta.shape, meta.dtype, meta.device);
  Tensor scale = g.dtype() == meta.dtype ? g : native::to_dtype(g, meta.dtype);
  if (scale.device() != meta.device) scale = native::to_device(scale, meta.device);
  const LossGradScale kind = reduction == Reduction::None  ? LossGradScale::PerRow
                             : reduction == Reduction::Sum ? LossGradScale::Sum
                                                           : LossGradScale::Mean;
  device_ops(meta.device)
      .class_loss_backward(probs.defined() ? native::view(probs, {n, c}) : Tensor(), targets, contiguous_data(scale),
                           kind, smoothing, native::view(grad, {n, c}));
  return grad;
}

}  // namespace

Reduction reduction_from_string(std::string_view name) {
  if (name == "none") return Reduction::None;
  if (name == "mean") return Reduction::Mean;
  if (name == "sum") return Reduction::Sum;
  EMBER_FAIL(name, " is not a valid value for reduction (expected \"none\", \"mean\" or \"sum\")");
}

Tensor log_softmax(const Tensor& x_in, int64_t dim) {
  EMBER_PROFILE_OP("log_softmax");
  const Tensor x = autocast::cast(autocast::CastPolicy::Float32, x_in);
  Tensor out = softmax_forward(x, dim, true);
  if (will_record_into(out, x)) {
    const int64_t d = softmax_dim(x, dim);
    record("LogSoftmaxBackward", {&x}, {&out}, {out}, [d](const tensor_list& g, const tensor_list& s, const auto&) {
      // g - exp(out) * sum(g, dim)
      return tensor_list{native::sub(g[0], native::mul(native::exp(s[0]), native::sum(g[0], {d}, true)))};
    });
  }
  return out;
}

Tensor softmax(const Tensor& x_in, int64_t dim) {
  EMBER_PROFILE_OP("softmax");
  const Tensor x = autocast::cast(autocast::CastPolicy::Float32, x_in);
  Tensor out = softmax_forward(x, dim, false);
  if (will_record_into(out, x)) {
    const int64_t d = softmax_dim(x, dim);
    record("SoftmaxBackward", {&x}, {&out}, {out}, [d](const tensor_list& g, const tensor_list& s, const auto&) {
      // out * (g - sum(g * out, dim))
      return tensor_list{native::mul(s[0], native::sub(g[0], native::sum(native::mul(g[0], s[0]), {d}, true)))};
    });
  }
  return out;
}

Tensor nll_loss(const Tensor& log_probs_in, const Tensor& targets, Reduction reduction) {
  EMBER_PROFILE_OP("nll_loss");
  const Tensor log_probs = autocast::cast(autocast::CastPolicy::Float32, log_probs_in);
  const ClassShape shape = check_targets("nll_loss", log_probs, targets);
  check_floating(log_probs.dtype(), "nll_loss");
  const Device device = log_probs.device();
  const Tensor t = kernel_targets(targets, device, shape.n);
  // -log_probs[i, t_i], picked with a mask: class_loss_backward without probs and with
  // a scale of 1 writes -1 at each row's target and 0 elsewhere (and flags bad targets).
  Tensor neg_one_hot = make_empty({shape.n, shape.c}, log_probs.dtype(), device);
  const Tensor one = scalar_tensor(1.0, TensorOptions(log_probs.dtype()).device(device));
  device_ops(device).class_loss_backward(Tensor(), t, one, LossGradScale::Sum, 0.0, neg_one_hot);
  const Tensor is_target = native::lt(native::view(neg_one_hot, log_probs.sizes()), 0.0);
  const Tensor picked = native::where(is_target, log_probs, 0.0);
  Tensor out = reduce_losses(native::neg(native::sum(picked, {log_probs.dim() - 1})), reduction);
  if (will_record_into(out, log_probs)) {
    record("NllLossBackward", {&log_probs}, {&out}, {t},
           [reduction](const tensor_list& g, const tensor_list& s, const auto& in_meta) {
             return tensor_list{class_loss_grad(Tensor(), s[0], g[0], reduction, 0.0, in_meta[0])};
           });
  }
  return out;
}

Tensor cross_entropy(const Tensor& logits_in, const Tensor& targets, Reduction reduction, double label_smoothing) {
  EMBER_PROFILE_OP("cross_entropy");
  const Tensor logits = autocast::cast(autocast::CastPolicy::Float32, logits_in);
  EMBER_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0,
              "label_smoothing must be between 0.0 and 1.0. Got: ", label_smoothing);
  const ClassShape shape = check_targets("cross_entropy", logits, targets);
  check_floating(logits.dtype(), "cross_entropy");
  const Device device = logits.device();
  const Tensor in = native::view(contiguous_data(logits), {shape.n, shape.c});
  const Tensor t = kernel_targets(targets, device, shape.n);
  const bool recording = will_record(logits);
  Tensor probs = recording ? make_empty({shape.n, shape.c}, logits.dtype(), device) : Tensor();
  Tensor losses = make_empty(targets.sizes(), logits.dtype(), device);  // one per row, in the targets' shape
  device_ops(device).cross_entropy_rows(in, t, label_smoothing, native::view(losses, {shape.n}), probs);
  Tensor out = reduce_losses(losses, reduction);
  if (recording) {
    record("CrossEntropyLossBackward", {&logits}, {&out}, {probs, t},
           [reduction, label_smoothing](const tensor_list& g, const tensor_list& s, const auto& in_meta) {
             return tensor_list{class_loss_grad(s[0], s[1], g[0], reduction, label_smoothing, in_meta[0])};
           });
  } else {
    autograd::note_untracked(out, {&logits});
  }
  return out;
}

namespace {

// nll_loss / cross_entropy with ClassLossOptions (the formulas in loss.h), from log_probs
// [N, C] or [C]; every op records itself.
Tensor composed_class_loss(const char* op, const Tensor& log_probs, const Tensor& targets,
                           const ClassLossOptions& o) {
  const ClassShape shape = check_targets(op, log_probs, targets, o.ignore_index, /*check_host_values=*/true);
  check_floating(log_probs.dtype(), op);
  const Device device = log_probs.device();
  const TensorOptions floats = TensorOptions(log_probs.dtype()).device(device);
  if (o.weight.defined()) {
    EMBER_CHECK(o.weight.dim() == 1 && o.weight.numel() == shape.c, op,
                ": weight tensor should be defined either for all ", shape.c,
                " classes or no classes but got weight tensor of shape: ", o.weight.sizes());
    EMBER_CHECK(o.weight.device() == device && o.weight.dtype() == log_probs.dtype(), op, ": expected a weight of ",
                dtype_name(log_probs.dtype()), " on ", device, ", but got ", dtype_name(o.weight.dtype()), " on ",
                o.weight.device());
  }
  const Tensor t = kernel_targets(targets, device, shape.n);
  const Tensor kept = o.ignore_index ? ne(t, *o.ignore_index) : ones({shape.n}, TensorOptions(kBool).device(device));
  // CUDA targets: index_select below reports a bad one at the next synchronisation.
  const Tensor safe = where(kept, t, 0);  // ignored rows read class 0, then count nothing
  const Tensor w = o.weight.defined() ? o.weight : ones({shape.c}, floats);
  const Tensor row_weight = index_select(w, 0, safe) * kept.to(log_probs.dtype());
  const Tensor one_hot = eq(arange(0, shape.c, 1, TensorOptions(kInt64).device(device)).view({1, shape.c}),
                            safe.view({shape.n, 1}))
                             .to(log_probs.dtype());
  const Tensor logp = log_probs.reshape({shape.n, shape.c});
  Tensor losses = -(logp * one_hot).sum({1}) * row_weight;
  if (o.label_smoothing > 0.0) {
    const Tensor smooth = -(logp * w.view({1, shape.c})).sum({1}) * kept.to(log_probs.dtype());
    losses = losses * (1.0 - o.label_smoothing) + smooth * (o.label_smoothing / static_cast<double>(shape.c));
  }
  losses = losses.reshape(targets.sizes());
  if (o.reduction == Reduction::None) return losses;
  return o.reduction == Reduction::Sum ? losses.sum() : losses.sum() / row_weight.sum();
}

}  // namespace

Tensor cross_entropy(const Tensor& logits_in, const Tensor& targets, const ClassLossOptions& options) {
  if (!options.weight.defined() && !options.ignore_index)
    return cross_entropy(logits_in, targets, options.reduction, options.label_smoothing);
  EMBER_PROFILE_OP("cross_entropy");
  EMBER_CHECK(options.label_smoothing >= 0.0 && options.label_smoothing <= 1.0,
              "label_smoothing must be between 0.0 and 1.0. Got: ", options.label_smoothing);
  const Tensor logits = autocast::cast(autocast::CastPolicy::Float32, logits_in);
  EMBER_CHECK(logits.dim() == 1 || logits.dim() == 2, "cross_entropy: expected input of shape [N, C] or [C], but got ",
              logits.sizes());
  return composed_class_loss("cross_entropy", log_softmax(logits, -1), targets, options);
}

Tensor nll_loss(const Tensor& log_probs_in, const Tensor& targets, const ClassLossOptions& options) {
  EMBER_CHECK(options.label_smoothing == 0.0, "nll_loss: label_smoothing is an option of cross_entropy only");
  if (!options.weight.defined() && !options.ignore_index) return nll_loss(log_probs_in, targets, options.reduction);
  EMBER_PROFILE_OP("nll_loss");
  const Tensor log_probs = autocast::cast(autocast::CastPolicy::Float32, log_probs_in);
  return composed_class_loss("nll_loss", log_probs, targets, options);
}

Tensor mse_loss(const Tensor& input_in, const Tensor& target_in, Reduction reduction) {
  EMBER_PROFILE_OP("mse_loss");
  const auto [input, target] = autocast::cast_inputs(autocast::CastPolicy::Float32, input_in, target_in);
  EMBER_CHECK(input.is_floating_point() && target.is_floating_point(),
              "mse_loss: expected floating-point input and target, but got ", dtype_name(input.dtype()), " and ",
              dtype_name(target.dtype()));
  Tensor diff = native::sub(input, target);
  Tensor squared = native::mul(diff, diff);
  Tensor out = reduction == Reduction::None  ? squared
               : reduction == Reduction::Sum ? native::sum(squared)
                                             : native::mean(squared);
  if (will_record_into(out, input, target)) {
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
