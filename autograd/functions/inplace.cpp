// Differentiable in-place ops (Tensor::add_, mul_, ..., copy_): the native op writes
// into self and bumps its version; when recording, self's history moves to a new
// node whose input edge is self's old history (on a view, its base's history does:
// Note [In-place ops on views]). A leaf that requires grad, or a view of one, can't be
// modified in place while grad mode is on (PyTorch's rule).
#include "autograd/functions/inplace_record.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {

namespace detail {
Tensor relu_grad_recorded(const Tensor& g, const Tensor& bits, MemoryFormat format);  // functions/elementwise.cpp
}  // namespace detail

using autograd::inplace;
using autograd::needs_grad;
using autograd::tensor_list;

namespace {

// The gradient of overwritten values: zeros, not none, as in PyTorch (a leaf behind them
// ends with .grad zeros rather than undefined).
Tensor zeros_for(const Tensor& g) { return zeros(g.sizes(), TensorOptions(g.dtype()).device(g.device())); }

}  // namespace

Tensor& Tensor::add_(const Tensor& other, const Scalar& alpha) {
  return inplace("AddBackward", *this, &other, [&] { native::add_(*this, other, alpha); },
                 [alpha](const tensor_list& g, const tensor_list&, const auto& in) {
                   return tensor_list{g[0], needs_grad(in, 1) ? ember::mul(g[0], alpha) : Tensor()};
                 });
}
Tensor& Tensor::sub_(const Tensor& other, const Scalar& alpha) {
  return inplace("SubBackward", *this, &other, [&] { native::sub_(*this, other, alpha); },
                 [alpha](const tensor_list& g, const tensor_list&, const auto& in) {
                   return tensor_list{g[0], needs_grad(in, 1) ? ember::mul(g[0], -alpha.to_double()) : Tensor()};
                 });
}
Tensor& Tensor::mul_(const Tensor& other) {
  return inplace("MulBackward", *this, &other, [&] { native::mul_(*this, other); },
                 [](const tensor_list& g, const tensor_list& s, const auto& in) {
                   return tensor_list{needs_grad(in, 0) ? ember::mul(g[0], s[1]) : Tensor(),
                                      needs_grad(in, 1) ? ember::mul(g[0], s[0]) : Tensor()};
                 },
                 /*save_self_before=*/other.requires_grad(), /*save_other=*/true);
}
// With other requiring grad, self is saved before the write (a copy, as PyTorch does), so
// later writes to self's storage do not invalidate this node.
Tensor& Tensor::div_(const Tensor& other) {
  return inplace("DivBackward", *this, &other, [&] { native::div_(*this, other); },
                 [](const tensor_list& g, const tensor_list& s, const auto& in) {
                   Tensor ga = needs_grad(in, 0) ? ember::div(g[0], s[1]) : Tensor();
                   Tensor gb = needs_grad(in, 1)
                                   ? ember::neg(ember::div(ember::div(ember::mul(g[0], s[0]), s[1]), s[1]))
                                   : Tensor();
                   return tensor_list{ga, gb};  // d(a/b)/db = -a/b^2
                 },
                 /*save_self_before=*/other.requires_grad(), /*save_other=*/true);
}
Tensor& Tensor::add_(const Scalar& other) {
  return inplace("AddBackward", *this, nullptr, [&] { native::add_(*this, other); },
                 [](const tensor_list& g, const tensor_list&, const auto&) { return tensor_list{g[0]}; });
}
Tensor& Tensor::sub_(const Scalar& other) {
  return inplace("SubBackward", *this, nullptr, [&] { native::sub_(*this, other); },
                 [](const tensor_list& g, const tensor_list&, const auto&) { return tensor_list{g[0]}; });
}
// PyTorch's add_(number, alpha): self += alpha * number, alpha checked as add's (an integer
// self refuses a floating alpha).
Tensor& Tensor::add_(const Scalar& other, const Scalar& alpha) {
  return add_(full({}, other, TensorOptions(other.result_type_with(dtype())).device(device())), alpha);
}
Tensor& Tensor::sub_(const Scalar& other, const Scalar& alpha) {
  return sub_(full({}, other, TensorOptions(other.result_type_with(dtype())).device(device())), alpha);
}
Tensor& Tensor::mul_(const Scalar& other) {
  return inplace("MulBackward", *this, nullptr, [&] { native::mul_(*this, other); },
                 [other](const tensor_list& g, const tensor_list&, const auto&) { return tensor_list{ember::mul(g[0], other)}; });
}
Tensor& Tensor::div_(const Scalar& other) {
  return inplace("DivBackward", *this, nullptr, [&] { native::div_(*this, other); },
                 [other](const tensor_list& g, const tensor_list&, const auto&) { return tensor_list{ember::div(g[0], other)}; });
}
Tensor& Tensor::neg_() {
  return inplace("NegBackward", *this, nullptr, [&] { native::neg_(*this); },
                 [](const tensor_list& g, const tensor_list&, const auto&) { return tensor_list{ember::neg(g[0])}; });
}
// Keeps bits of self > 0 after the write, as relu() does (Note [Compact saved activations]).
Tensor& Tensor::relu_() {
  autograd::check_inplace(*this);
  const bool recording = autograd::will_record(*this);
  autograd::check_view_can_record(*this, recording);
  native::relu_(*this);
  if (recording) {
    const MemoryFormat format = native::dense_format(*this);
    autograd::record_inplace("ReluBackward", *this, {this}, {native::positive_bits(*this, format)},
                             [format](const tensor_list& g, const tensor_list& s, const auto&) {
                               return tensor_list{detail::relu_grad_recorded(g[0], s[0], format)};
                             })
        ->set_backward_reads_inputs();
  }
  return *this;
}
Tensor& Tensor::clamp_(std::optional<Scalar> min, std::optional<Scalar> max) {
  return inplace("ClampBackward", *this, nullptr, [&] { native::clamp_(*this, min, max); },
                 [min, max](const tensor_list& g, const tensor_list& s, const auto&) {
                   Tensor grad = g[0];
                   if (min) grad = ember::mul(grad, native::to_dtype(native::ge(s[0], *min), grad.dtype()));
                   if (max) grad = ember::mul(grad, native::to_dtype(native::le(s[0], *max), grad.dtype()));
                   return tensor_list{grad};
                 },
                 /*save_self_before=*/true);
}
Tensor& Tensor::zero_() {
  return inplace("ZeroBackward", *this, nullptr, [&] { native::zero_(*this); },
                 [](const tensor_list& g, const tensor_list&, const auto&) { return tensor_list{zeros_for(g[0])}; });
}
// fill_ and copy_ are also assignments to a temporary (Note [Assigning to a temporary
// tensor]): x.grad() = g where x has no gradient yet reaches them with nothing to write into.
namespace {
void check_written_defined(const Tensor& self, const char* op) {
  EMBER_CHECK(self.defined(), op,
              ": the tensor written into is undefined (default-constructed). To set or clear a gradient, use "
              "t.mutable_grad() = g / Tensor() (PyTorch's t.grad = g / None): t.grad() = g copies into a gradient "
              "that must exist already");
}
}  // namespace

Tensor& Tensor::fill_(const Scalar& value) {
  check_written_defined(*this, "fill_");
  return inplace("FillBackward", *this, nullptr, [&] { native::fill_(*this, value); },
                 [](const tensor_list& g, const tensor_list&, const auto&) { return tensor_list{zeros_for(g[0])}; });
}
Tensor& Tensor::fill_(const Tensor& value) {
  check_written_defined(*this, "fill_");
  EMBER_CHECK(value.defined() && value.dim() == 0, "fill_ only supports 0-dimension value tensor but got tensor with ",
              value.defined() ? value.dim() : 0, " dimensions.");
  return copy_(value.expand(sizes()));
}
Tensor& Tensor::copy_(const Tensor& src, bool /*non_blocking: Note on Tensor::to*/) {
  check_written_defined(*this, "copy_");
  EMBER_CHECK(src.defined(), "copy_: expected a defined source tensor, but got an undefined one (to clear a gradient, ",
              "use t.mutable_grad() = Tensor(), PyTorch's t.grad = None)");
  return inplace("CopyBackward", *this, &src, [&] { native::copy_(*this, src); },
                 [](const tensor_list& g, const tensor_list&, const auto& in) {
                   return tensor_list{needs_grad(in, 0) ? zeros_for(g[0]) : Tensor(),
                                      needs_grad(in, 1) ? autograd::formula::to_device(g[0], in[1].device) : Tensor()};
                 });
}

Tensor& operator+=(Tensor& a, const Tensor& b) { return a.add_(b); }
Tensor& operator-=(Tensor& a, const Tensor& b) { return a.sub_(b); }
Tensor& operator*=(Tensor& a, const Tensor& b) { return a.mul_(b); }
Tensor& operator/=(Tensor& a, const Tensor& b) { return a.div_(b); }
Tensor& operator+=(Tensor& a, const Scalar& b) { return a.add_(b); }
Tensor& operator-=(Tensor& a, const Scalar& b) { return a.sub_(b); }
Tensor& operator*=(Tensor& a, const Scalar& b) { return a.mul_(b); }
Tensor& operator/=(Tensor& a, const Scalar& b) { return a.div_(b); }

}  // namespace ember
