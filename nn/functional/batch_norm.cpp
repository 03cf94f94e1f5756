// nn::functional::batch_norm: one recorded "NativeBatchNormBackward" node and the
// running-statistics update (in training whatever the grad mode). CPU float input goes
// through the fused kernels of batch_norm_cpu.cpp; other input through native ops.
#include <algorithm>

#include "autograd/function_node.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "nn/functional/basic.h"
#include "nn/functional/batch_norm_cpu.h"

namespace ember::nn::functional {

using autograd::needs_grad;
using autograd::tensor_list;

namespace {

struct Layout {
  Dims reduce;      // every dim but 1
  Dims stat_shape;  // [1, C, 1, ...] broadcasts a per-channel vector against x
  int64_t count;    // values per channel
};

Layout layout_of(const Tensor& x) {
  EMBER_CHECK(x.dim() >= 2, "batch_norm: expected at least 2D input (got ", x.dim(), "D input)");
  Layout l{{}, Dims(std::vector<int64_t>(static_cast<size_t>(x.dim()), 1)), x.numel() / std::max<int64_t>(x.size(1), 1)};
  l.stat_shape[1] = x.size(1);
  for (int64_t d = 0; d < x.dim(); ++d)
    if (d != 1) l.reduce.push_back(d);
  return l;
}

Tensor per_channel(const Tensor& v, const Layout& l) { return native::view(v, l.stat_shape); }

// running = (1 - f) * running + f * batch, in place (dtype kept).
void blend_into(const Tensor& running, const Tensor& batch, double f) {
  native::copy_(running, native::add(native::mul(running, 1.0 - f), native::mul(batch, f)));
}

void update_running(const Tensor& mean, const Tensor& var, const Tensor& running_mean, const Tensor& running_var,
                    std::optional<double> momentum, const Tensor& num_batches_tracked, const Layout& l) {
  if (!running_mean.defined() && !running_var.defined()) return;
  NoGradGuard no_grad;
  EMBER_CHECK(momentum || num_batches_tracked.defined(),
              "batch_norm: momentum=None (cumulative average) needs num_batches_tracked");
  const double f = momentum ? *momentum : 1.0 / num_batches_tracked.item<double>();
  const int64_t c = mean.numel();
  const double unbias = static_cast<double>(l.count) / static_cast<double>(l.count - 1);
  if (running_mean.defined()) blend_into(running_mean, native::view(mean, {c}), f);
  if (running_var.defined()) blend_into(running_var, native::mul(native::view(var, {c}), unbias), f);
}

// The standard BatchNorm backward. s = {xhat, invstd, weight}.
tensor_list batch_norm_backward(const Tensor& g, const tensor_list& s, const std::vector<autograd::InputMeta>& in,
                                const Layout& l, bool training) {
  const Tensor& xhat = s[0];
  Tensor gx, gw, gb;
  Tensor sum_g = native::sum(g, l.reduce, true);
  Tensor sum_gx = native::sum(native::mul(g, xhat), l.reduce, true);
  if (needs_grad(in, 0)) {
    Tensor scale = s[2].defined() ? native::mul(per_channel(s[2], l), s[1]) : s[1];
    if (training) {  // (w * invstd / N) * (N*g - sum(g) - xhat * sum(g*xhat))
      const auto n = static_cast<double>(l.count);
      Tensor inner = native::sub(native::sub(native::mul(g, n), sum_g), native::mul(xhat, sum_gx));
      gx = native::mul(native::div(scale, n), inner);
    } else {
      gx = native::mul(g, scale);
    }
  }
  if (in.size() > 1 && needs_grad(in, 1)) gw = native::view(sum_gx, {sum_gx.numel()});
  if (in.size() > 2 && needs_grad(in, 2)) gb = native::view(sum_g, {sum_g.numel()});
  return {gx, gw, gb};
}

Tensor contiguous(const Tensor& t) { return !t.defined() || t.is_contiguous() ? t : native::clone(t); }

bool fused_applies(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const auto fits = [&](const Tensor& t) { return !t.defined() || (t.is_cpu() && t.dtype() == x.dtype()); };
  return x.is_cpu() && is_floating(x.dtype()) && fits(weight) && fits(bias);
}

// The CPU path: statistics, then normalize + affine in one pass; saves x, mean, invstd
// and weight (not a normalized copy of x) and recomputes xhat in the backward.
Tensor batch_norm_fused(const Tensor& x_in, const Tensor& running_mean, const Tensor& running_var,
                        const Tensor& weight, const Tensor& bias, bool training, std::optional<double> momentum,
                        double eps, const Tensor& num_batches_tracked, const Layout& l) {
  const Tensor x = contiguous(x_in);
  const Tensor w = contiguous(weight), b = contiguous(bias);
  Tensor mean, invstd, out;
  if (training) {
    detail::BatchNormTrainForward f = detail::batch_norm_train_forward_cpu(x, w, b, eps);
    update_running(f.mean, f.var, running_mean, running_var, momentum, num_batches_tracked, l);
    mean = f.mean, invstd = f.invstd, out = f.out;
  } else {
    // A copy: the saved mean must not follow later updates of the running statistics.
    mean = native::clone(native::to_dtype(running_mean, x.dtype()));
    invstd = native::rdiv(native::sqrt(native::add(native::to_dtype(running_var, x.dtype()), eps)), 1.0);
    out = detail::batch_norm_forward_cpu(x, mean, invstd, w, b);
  }
  if (autograd::will_record(x_in, weight, bias)) {
    autograd::record("NativeBatchNormBackward", {&x_in, &weight, &bias}, {&out}, {x, mean, invstd, w},
                     [training](const tensor_list& g, const tensor_list& s, const auto& in) {
                       auto [gx, gw, gb] = detail::batch_norm_backward_cpu(
                           contiguous(g[0]), s[0], s[1], s[2], s[3], training, needs_grad(in, 0),
                           in.size() > 1 && needs_grad(in, 1), in.size() > 2 && needs_grad(in, 2));
                       return tensor_list{gx, gw, gb};
                     });
  }
  return out;
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, std::optional<double> momentum, double eps,
                  const Tensor& num_batches_tracked) {
  const Layout l = layout_of(x);
  if (training) {
    EMBER_CHECK(l.count > 1, "Expected more than 1 value per channel when training, got input size ", x.sizes());
  } else {
    EMBER_CHECK(running_mean.defined() && running_var.defined(),
                "batch_norm: running_mean and running_var must be defined in eval mode");
  }
  if (fused_applies(x, weight, bias))
    return batch_norm_fused(x, running_mean, running_var, weight, bias, training, momentum, eps, num_batches_tracked, l);
  // Memory: one full-size tensor is allocated for the output (plus one for xhat
  // when recording, since backward keeps it); everything else is per channel or
  // updated in place, so no_grad / eval forwards stay at input + output.
  Tensor mean, var, xhat;
  if (training) {
    mean = native::mean(x, l.reduce, true);
    xhat = native::sub(x, mean);
    {
      Tensor squared = native::mul(xhat, xhat);
      var = native::mean(squared, l.reduce, true);  // biased
    }
    update_running(mean, var, running_mean, running_var, momentum, num_batches_tracked, l);
  } else {
    mean = native::to_dtype(per_channel(running_mean, l), x.dtype());
    var = native::to_dtype(per_channel(running_var, l), x.dtype());
    xhat = native::sub(x, mean);
  }
  Tensor invstd = native::rdiv(native::sqrt(native::add(var, eps)), 1.0);
  native::mul_(xhat, invstd);
  const bool recording = autograd::will_record(x, weight, bias);
  Tensor out = xhat;
  if (weight.defined()) {
    if (recording) out = native::mul(xhat, per_channel(weight, l));
    else native::mul_(out, per_channel(weight, l));
  }
  if (bias.defined()) {
    if (recording && out.is_same(xhat)) out = native::add(out, per_channel(bias, l));
    else native::add_(out, per_channel(bias, l), 1);
  }
  if (recording) {
    autograd::record("NativeBatchNormBackward", {&x, &weight, &bias}, {&out}, {xhat, invstd, weight},
                     [l, training](const tensor_list& g, const tensor_list& s, const auto& in) {
                       return batch_norm_backward(g[0], s, in, l, training);
                     });
  }
  return out;
}

}  // namespace ember::nn::functional
