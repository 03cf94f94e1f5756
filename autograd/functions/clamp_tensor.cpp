// Bounds given as tensors: torch.clamp / clip / clamp_min / clamp_max with tensor bounds
// (out of place and in place) and torch.fmax / fmin, with PyTorch's values at NaN and its
// gradients (clamp_backward / clamp_backward_min_max, fmax's masked gradients).
#include <optional>
#include <vector>

#include "autograd/function_node.h"
#include "autograd/functions/inplace_record.h"
#include "core/ops.h"
#include "core/ops/elementwise_ops.h"

namespace ember {

using autograd::composed_inplace;
using autograd::needs_grad;
using autograd::record;
using autograd::tensor_list;
using autograd::value_before_write;

namespace {
Tensor given(const std::optional<Tensor>& bound) { return bound && bound->defined() ? *bound : Tensor(); }
}  // namespace

// Values: min(max(x, min), max) with maximum / minimum, which propagate NaN as PyTorch's
// clamp kernel does (a NaN x or bound gives NaN); min > max gives max. The result dtype
// is the result_type of x and the given bounds.
Tensor clamp(const Tensor& a, const std::optional<Tensor>& min_in, const std::optional<Tensor>& max_in) {
  const Tensor lo = given(min_in), hi = given(max_in);
  EMBER_CHECK(lo.defined() || hi.defined(), "torch.clamp: At least one of 'min' or 'max' must not be None");
  std::vector<Tensor> operands{a};
  for (const Tensor* bound : {&lo, &hi}) {
    if (!bound->defined()) continue;
    native::check_same_device(a, {bound}, "clamp");
    operands.push_back(*bound);
  }
  const DType dtype = native::detail::result_type(operands);
  EMBER_CHECK(dtype != kBool, "\"clamp", a.is_cuda() ? "_cuda" : "_cpu", "\" not implemented for 'Bool'");
  const auto in = [dtype](const Tensor& t) { return t.dtype() == dtype ? t : native::to_dtype(t, dtype); };
  Tensor out = in(a);
  if (lo.defined()) out = native::maximum(out, in(lo));
  if (hi.defined()) out = native::minimum(out, in(hi));
  if (!autograd::will_record_into(out, a, lo, hi)) return out;
  record("ClampBackward", {&a, &lo, &hi}, {&out}, {a, lo, hi},
         [](const tensor_list& g, const tensor_list& s, const auto& inputs) {
           const Tensor &x = s[0], &min = s[1], &max = s[2];
           const auto pass = [&](const Tensor& mask) { return where(mask, g[0], Scalar(0.0)); };
           tensor_list grads(3);
           if (needs_grad(inputs, 0)) {
             if (min.defined() && max.defined())
               grads[0] = pass(logical_and(ge(x, min), le(x, max)));
             else
               grads[0] = pass(min.defined() ? ge(x, min) : le(x, max));
           }
           if (min.defined() && needs_grad(inputs, 1))
             grads[1] = pass(max.defined() ? logical_and(lt(x, min), lt(min, max)) : lt(x, min));
           if (max.defined() && needs_grad(inputs, 2))
             grads[2] = pass(min.defined() ? logical_or(gt(x, max), lt(max, min)) : gt(x, max));
           return grads;
         })
      ->set_differentiable_backward();
  return out;
}
Tensor clamp_min(const Tensor& a, const Tensor& min) { return clamp(a, min, std::nullopt); }
Tensor clamp_max(const Tensor& a, const Tensor& max) { return clamp(a, std::nullopt, max); }
Tensor clip(const Tensor& a, const std::optional<Tensor>& min, const std::optional<Tensor>& max) {
  return clamp(a, min, max);
}

Tensor Tensor::clamp(const std::optional<Tensor>& min, const std::optional<Tensor>& max) const {
  return ember::clamp(*this, min, max);
}
Tensor Tensor::clamp_min(const Tensor& min) const { return ember::clamp_min(*this, min); }
Tensor Tensor::clamp_max(const Tensor& max) const { return ember::clamp_max(*this, max); }
Tensor Tensor::clip(const std::optional<Tensor>& min, const std::optional<Tensor>& max) const {
  return ember::clamp(*this, min, max);
}
// In place: self's value before the write is what the gradient reads (a copy when recording).
Tensor& Tensor::clamp_(const std::optional<Tensor>& min, const std::optional<Tensor>& max) {
  return composed_inplace("ClampBackward", *this,
                          [&] { return ember::clamp(value_before_write(*this, given(min), given(max)), min, max); });
}
Tensor& Tensor::clamp_min_(const Tensor& min) { return clamp_(min, std::nullopt); }
Tensor& Tensor::clamp_max_(const Tensor& max) { return clamp_(std::nullopt, max); }
Tensor& Tensor::clip_(const std::optional<Tensor>& min, const std::optional<Tensor>& max) { return clamp_(min, max); }

// fmax / fmin: a where a >= b (a <= b) or b is NaN, else b, as one where; where's gradient
// is then PyTorch's (all of it to a at ties and where b is NaN).
namespace {
Tensor nan_ignoring_extreme(const Tensor& a, const Tensor& b, bool larger) {
  native::check_same_device(a, {&b}, larger ? "fmax" : "fmin");
  const DType dtype = native::detail::result_type(a, b);
  if (!is_floating(dtype)) return larger ? maximum(a, b) : minimum(a, b);  // no NaN: PyTorch's fmax kernel does so
  const Tensor ac = a.dtype() == dtype ? a : a.to(dtype), bc = b.dtype() == dtype ? b : b.to(dtype);
  const Tensor keep_a = logical_or(larger ? ge(ac, bc) : le(ac, bc), isnan(bc));
  return where(keep_a, ac, bc);
}
}  // namespace
Tensor fmax(const Tensor& a, const Tensor& b) { return nan_ignoring_extreme(a, b, true); }
Tensor fmin(const Tensor& a, const Tensor& b) { return nan_ignoring_extreme(a, b, false); }
Tensor Tensor::fmax(const Tensor& other) const { return ember::fmax(*this, other); }
Tensor Tensor::fmin(const Tensor& other) const { return ember::fmin(*this, other); }

}  // namespace ember
