// Gradient clipping as PyTorch computes it (2.6's get_total_norm, then clip_grads_with_norm_):
// a norm per gradient, the norm of those norms, a clamped scale multiplied in on the device
// (never read on the host unless error_if_nonfinite). Runs no recorded op: gradients are data here.
#include "nn/clip_grad.h"

#include <cmath>
#include <limits>

#include "core/factories.h"
#include "core/native.h"
#include "nn/diagnostics.h"
#include "nn/repr.h"

namespace ember::nn::utils {
namespace {

// torch.linalg.vector_norm(x, p) over all elements, a 0-dim tensor in x's dtype. A 16-bit x
// is summed in float32 and its norm rounded once, as PyTorch's: float16's squares would
// overflow past a norm of 256.
Tensor vector_norm(const Tensor& x, double p) {
  if (is_reduced_float(x.dtype())) return native::to_dtype(vector_norm(native::to_dtype(x, kFloat32), p), x.dtype());
  if (x.numel() == 0) return zeros({}, TensorOptions(x.dtype()).device(x.device()));
  if (p == 2.0) return native::sqrt(native::sum(native::mul(x, x)));  // the default: no |x| pass
  if (p == 0.0) return native::to_dtype(native::sum(native::ne(x, 0.0)), x.dtype());
  const Tensor a = native::abs(x);
  if (p == std::numeric_limits<double>::infinity()) return native::amax(a, {});
  if (p == -std::numeric_limits<double>::infinity()) return native::amin(a, {});
  if (p == 1.0) return native::sum(a);
  return native::pow(native::sum(native::pow(a, p)), 1.0 / p);
}

std::vector<Tensor> grads_of(const std::vector<Tensor>& parameters) {
  std::vector<Tensor> grads;
  for (const Tensor& p : parameters) {
    if (p.defined() && p.grad().defined()) grads.push_back(p.grad());
  }
  return grads;
}

}  // namespace

Tensor get_total_norm(const std::vector<Tensor>& tensors, double norm_type, bool error_if_nonfinite,
                      std::optional<bool> /*foreach*/) {
  EMBER_CHECK(!std::isnan(norm_type), "get_total_norm: norm_type must not be NaN");
  std::vector<Tensor> defined;
  for (const Tensor& t : tensors) {
    if (t.defined()) defined.push_back(t);
  }
  if (defined.empty()) return zeros({});
  const Device device = defined[0].device();
  std::vector<Tensor> norms;
  norms.reserve(defined.size());
  for (const Tensor& t : defined) norms.push_back(native::to_device(vector_norm(t, norm_type), device));
  const Tensor total = vector_norm(native::stack(norms, 0), norm_type);
  if (error_if_nonfinite) {
    EMBER_CHECK(std::isfinite(total.item<double>()), "The total norm of order ", detail::python_float(norm_type),
                " for gradients from `parameters` is non-finite, so it cannot be clipped. To disable this error and "
                "scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`");
  }
  return total;
}

Tensor get_total_norm(const Tensor& tensor, double norm_type, bool error_if_nonfinite,
                      std::optional<bool> /*foreach*/) {
  return get_total_norm(std::vector<Tensor>{tensor}, norm_type, error_if_nonfinite);
}

void clip_grads_with_norm_(const std::vector<Tensor>& parameters, double max_norm, const Tensor& total_norm,
                           std::optional<bool> /*foreach*/) {
  EMBER_CHECK(!std::isnan(max_norm), "clip_grads_with_norm_: max_norm must not be NaN");
  EMBER_CHECK(total_norm.defined() && total_norm.numel() == 1,
              "clip_grads_with_norm_: total_norm must be a tensor of one element (get_total_norm's), but got ",
              total_norm.defined() ? total_norm.sizes().str() : std::string("an undefined tensor"));
  const std::vector<Tensor> grads = grads_of(parameters);
  if (grads.empty()) return;
  const Tensor norm = is_floating(total_norm.dtype()) ? total_norm : native::to_dtype(total_norm, kFloat32);
  const Tensor scale = native::clamp(native::rdiv(native::add(norm, 1e-6), max_norm), std::nullopt, 1.0);
  const diagnostics::detail::GradRewrite rewrite(parameters);  // Note [Mode diagnostics]: not a new gradient
  for (const Tensor& g : grads)
    native::mul_(g, g.device() == scale.device() ? scale : native::to_device(scale, g.device()));
  rewrite.done();
}

void clip_grads_with_norm_(const Tensor& parameter, double max_norm, const Tensor& total_norm,
                           std::optional<bool> /*foreach*/) {
  clip_grads_with_norm_(std::vector<Tensor>{parameter}, max_norm, total_norm);
}

Tensor clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite, std::optional<bool> /*foreach*/) {
  EMBER_CHECK(!std::isnan(max_norm) && !std::isnan(norm_type), "clip_grad_norm_: max_norm and norm_type must not be ",
              "NaN, but got max_norm=", max_norm, " and norm_type=", norm_type);
  const Tensor total = get_total_norm(grads_of(parameters), norm_type, error_if_nonfinite);
  clip_grads_with_norm_(parameters, max_norm, total);
  return total;
}

Tensor clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type, bool error_if_nonfinite,
                       std::optional<bool> /*foreach*/) {
  return clip_grad_norm_(std::vector<Tensor>{parameter}, max_norm, norm_type, error_if_nonfinite);
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value, std::optional<bool> /*foreach*/) {
  EMBER_CHECK(clip_value >= 0.0, "clip_grad_value_: clip_value must be non-negative, but got ", clip_value);
  const diagnostics::detail::GradRewrite rewrite(parameters);
  for (const Tensor& g : grads_of(parameters)) native::clamp_(g, -clip_value, clip_value);
  rewrite.done();
}

void clip_grad_value_(const Tensor& parameter, double clip_value, std::optional<bool> /*foreach*/) {
  clip_grad_value_(std::vector<Tensor>{parameter}, clip_value);
}

}  // namespace ember::nn::utils
