// The recording of a one-input elementwise op whose gradient is formula(g, saved), saving
// its input or its output: shared by the elementwise (autograd/functions/elementwise.cpp)
// and math (autograd/functions/math.cpp) families.
#pragma once
#include "autograd/function_node.h"

namespace ember::autograd {

// Records `name` for out = op(a) when it will be recorded, and returns out.
// reads_input: the gradient depends on a (PyTorch's formula reads it with a
// differentiable op, e.g. abs's sgn), even where its value does not.
template <typename Formula>
Tensor record_unary(const char* name, const Tensor& a, Tensor out, bool save_output, Formula formula,
                    bool reads_input = false) {
  if (will_record_into(out, a)) {
    auto node = record(name, {&a}, {&out}, {save_output ? out : a},
                       [formula](const tensor_list& g, const tensor_list& s, const auto&) {
                         return tensor_list{formula(g[0], s[0])};
                       });
    if (reads_input) node->set_backward_reads_inputs();
    else node->set_differentiable_backward();
  }
  return out;
}

}  // namespace ember::autograd
