// Differentiable gather, scatter and scatter_add (and scatter_ / scatter_add_): the native
// ops of core/ops/scatter_gather.cpp plus one node each, saving only the index; the
// formulas are these ops again, so the backward is differentiable (create_graph).
#include "autograd/function_node.h"
#include "autograd/view_history.h"
#include "core/autocast.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {

using autograd::InputMeta;
using autograd::needs_grad;
using autograd::tensor_list;

namespace {

Tensor zeros_of(const InputMeta& in, const Tensor& like) {
  return zeros(in.shape, TensorOptions(like.dtype()).device(like.device()));
}

// gather(g, dim, index) for a src of src_shape: src may be larger than index, and its
// elements beyond the index's shape get zeros (PyTorch 1.13 refuses such a gradient).
Tensor src_grad(const Tensor& g, int64_t dim, const Tensor& index, const InputMeta& src) {
  Tensor picked = ember::gather(g, dim, index);
  if (picked.sizes() == src.shape || src.shape.empty()) return picked;
  Tensor full = zeros_of(src, g);
  Tensor part = full;
  for (int64_t d = 0; d < picked.dim(); ++d) part = part.narrow(d, 0, picked.size(d));
  part.copy_(picked);
  return full;
}

// scatter's formula: self's gradient is g where nothing was written, src's (when it has
// one) g at the written positions.
tensor_list scatter_grads(const tensor_list& g, const tensor_list& s, const std::vector<InputMeta>& in, int64_t dim) {
  Tensor ga = needs_grad(in, 0) ? ember::scatter(g[0], dim, s[0], 0.0) : Tensor();
  Tensor gs = in.size() > 1 && needs_grad(in, 1) ? src_grad(g[0], dim, s[0], in[1]) : Tensor();
  return tensor_list{ga, gs};
}
tensor_list scatter_add_grads(const tensor_list& g, const tensor_list& s, const std::vector<InputMeta>& in,
                              int64_t dim) {
  return tensor_list{needs_grad(in, 0) ? g[0] : Tensor(), needs_grad(in, 1) ? src_grad(g[0], dim, s[0], in[1]) : Tensor()};
}

// The wrapped dim the formulas use (native:: checked it already).
int64_t wrapped(const Tensor& self, int64_t dim) { return wrap_dim(dim, self.dim()); }

// An in-place scatter: `apply` writes self; when recording, self's history moves to a node
// with edges to its old history and to src (when given), saving the index.
template <typename Apply>
Tensor& scatter_inplace(const char* name, Tensor& self, const Tensor* src, const Tensor& index, Apply apply,
                        autograd::BackwardFormula formula) {
  autograd::check_inplace(self);
  const bool recording = src ? autograd::will_record(self, *src) : autograd::will_record(self);
  autograd::check_view_can_record(self, recording);
  apply();
  if (recording) {
    const Tensor none;
    autograd::record_inplace(name, self, {&self, src ? src : &none}, {index}, std::move(formula))
        ->set_differentiable_backward();
  }
  return self;
}

}  // namespace

Tensor gather(const Tensor& a, int64_t dim, const Tensor& index) {
  Tensor out = native::gather(a, dim, index);
  if (autograd::will_record_into(out, a)) {
    const int64_t d = wrapped(a, dim);
    autograd::record("GatherBackward", {&a}, {&out}, {index},
                     [d](const tensor_list& g, const tensor_list& s, const auto& in) {
                       return tensor_list{ember::scatter_add(zeros_of(in[0], g[0]), d, s[0], g[0])};
                     })->set_differentiable_backward();
  }
  return out;
}

Tensor scatter(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor out = native::scatter(a, dim, index, src);
  if (autograd::will_record_into(out, a, src)) {
    const int64_t d = wrapped(a, dim);
    autograd::record("ScatterBackward", {&a, &src}, {&out}, {index},
                     [d](const tensor_list& g, const tensor_list& s, const auto& in) {
                       return scatter_grads(g, s, in, d);
                     })->set_differentiable_backward();
  }
  return out;
}

Tensor scatter(const Tensor& a, int64_t dim, const Tensor& index, const Scalar& value) {
  Tensor out = native::scatter(a, dim, index, value);
  if (autograd::will_record_into(out, a)) {
    const int64_t d = wrapped(a, dim);
    autograd::record("ScatterBackward", {&a}, {&out}, {index},
                     [d](const tensor_list& g, const tensor_list& s, const auto& in) {
                       return scatter_grads(g, s, in, d);
                     })->set_differentiable_backward();
  }
  return out;
}

// On PyTorch's autocast promote list: under autocast self and src meet in the wider dtype.
Tensor scatter_add(const Tensor& a_in, int64_t dim, const Tensor& index, const Tensor& src_in) {
  const std::vector<Tensor> promoted = autocast::promote_inputs({a_in, src_in});
  const Tensor &a = promoted[0], &src = promoted[1];
  Tensor out = native::scatter_add(a, dim, index, src);
  if (autograd::will_record_into(out, a, src)) {
    const int64_t d = wrapped(a, dim);
    autograd::record("ScatterAddBackward", {&a, &src}, {&out}, {index},
                     [d](const tensor_list& g, const tensor_list& s, const auto& in) {
                       return scatter_add_grads(g, s, in, d);
                     })->set_differentiable_backward();
  }
  return out;
}

Tensor Tensor::gather(int64_t dim, const Tensor& index) const { return ember::gather(*this, dim, index); }
Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Tensor& src) const {
  return ember::scatter(*this, dim, index, src);
}
Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Scalar& value) const {
  return ember::scatter(*this, dim, index, value);
}
Tensor Tensor::scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const {
  return ember::scatter_add(*this, dim, index, src);
}

Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, const Tensor& src) {
  const int64_t d = wrapped(*this, dim);
  return scatter_inplace("ScatterBackward", *this, &src, index, [&] { native::scatter_(*this, dim, index, src); },
                         [d](const tensor_list& g, const tensor_list& s, const auto& in) {
                           return scatter_grads(g, s, in, d);
                         });
}
Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, const Scalar& value) {
  const int64_t d = wrapped(*this, dim);
  return scatter_inplace("ScatterBackward", *this, nullptr, index, [&] { native::scatter_(*this, dim, index, value); },
                         [d](const tensor_list& g, const tensor_list& s, const auto& in) {
                           return scatter_grads(g, s, in, d);
                         });
}
Tensor& Tensor::scatter_add_(int64_t dim, const Tensor& index, const Tensor& src) {
  const int64_t d = wrapped(*this, dim);
  return scatter_inplace("ScatterAddBackward", *this, &src, index,
                         [&] { native::scatter_add_(*this, dim, index, src); },
                         [d](const tensor_list& g, const tensor_list& s, const auto& in) {
                           return scatter_add_grads(g, s, in, d);
                         });
}

}  // namespace ember
