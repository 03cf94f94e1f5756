// The inplace=True forms of nn::functional's activations and dropouts (and the underscore
// forms relu_, leaky_relu_, elu_, ...): x overwritten by f(x) and returned, recorded as
// Note [In-place activations] says.
#pragma once
#include "autograd/functions/inplace_record.h"
#include "autograd/record.h"
#include "autograd/view_history.h"
#include "core/native.h"

namespace ember::nn::functional::detail {

// Note [In-place activations]
// PyTorch's inplace=True writes f(x) into x and returns x. ember first checks what PyTorch
// checks for every in-place op (a leaf that requires grad, or a view of one, in grad mode;
// an inference tensor outside inference mode). When nothing records, the activations with an
// elementwise kernel write into x itself (native::activation_) and the composed ones
// compute f(x) and copy it in: nothing is kept. When recording, x's history moves to one
// node, named as PyTorch's, whose gradient goes through f's own recorded nodes (so the
// gradients are the out-of-place form's, to every order, through a write into a view as
// well: Note [Double backward through views]). f then reads a copy of x taken before the
// write, as PyTorch keeps `original_self` for the in-place ops whose derivative reads x:
// the same saved bytes as PyTorch, and x's later versions cannot invalidate f's nodes.
// Where f's backward keeps no x (leaky_relu's sign bits, dropout's mask, threshold's
// comparison) no copy is taken, and the in-place form keeps less than PyTorch's.
template <typename F>
Tensor overwrite_with(const char* node, const Tensor& x, F f, bool f_keeps_input = true) {
  Tensor self = x;
  return autograd::composed_inplace(
      node, self, [&] { return f(f_keeps_input && autograd::will_record(self) ? self.clone() : self); });
}

// Whether the activation can write into x with its kernel (nothing records); x checked as
// an in-place op's first.
inline bool writes_in_place_unrecorded(const Tensor& x) {
  autograd::check_inplace(x);
  const bool recording = autograd::will_record(x);
  autograd::check_view_can_record(x, recording);  // a view made under no_grad, as PyTorch's
  return !recording;
}

// An activation with an elementwise kernel (op, args) in place: the kernel writes into x when
// nothing records, else overwrite_with(node, x, out_of_place).
template <typename F>
Tensor activation_in_place(UnaryOp op, const UnaryArgs& args, const char* node, const Tensor& x, F out_of_place,
                           bool f_keeps_input = true) {
  if (writes_in_place_unrecorded(x)) {
    native::activation_(op, x, args);
    return x;
  }
  return overwrite_with(node, x, out_of_place, f_keeps_input);
}

}  // namespace ember::nn::functional::detail
