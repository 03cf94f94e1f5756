// torch.autograd.functional: vjp, jvp, jacobian, hessian, vhp and hvp of a function of
// tensors, with PyTorch's arguments (create_graph, strict), results, shapes and error phrases
// (Note [Functional autograd] in autograd/functional.cpp). Composed of autograd::grad, so
// they run on every device the function's ops run on.
#pragma once
#include <functional>
#include <utility>
#include <vector>

#include "autograd/node.h"

namespace ember::autograd::functional {

// A function of several tensors giving several tensors, or one (hessian, vhp and hvp: of
// one element); the single-tensor overloads take a function of one tensor.
using Function = std::function<tensor_list(const tensor_list&)>;
using TensorFunction = std::function<Tensor(const tensor_list&)>;
using UnaryFunction = std::function<Tensor(const Tensor&)>;

struct FunctionalOptions {
  // The results keep their history, to the inputs too where those require grad, so they can
  // be differentiated again; otherwise they are detached.
  bool create_graph = false;
  // A result that is zero because an output does not depend on an input is an error
  // instead (PyTorch's phrases: "... is independent of input i. This is not allowed in
  // strict mode.").
  bool strict = false;
};

// (func(inputs), v^T J): the products have the inputs' shapes. v has the outputs' shapes;
// it may be left out when func returns one tensor of one element (then v = 1).
std::pair<tensor_list, tensor_list> vjp(const Function& func, const tensor_list& inputs, const tensor_list& v = {},
                                        const FunctionalOptions& options = {});
std::pair<Tensor, tensor_list> vjp(const TensorFunction& func, const tensor_list& inputs, const Tensor& v = Tensor(),
                                   const FunctionalOptions& options = {});
std::pair<Tensor, Tensor> vjp(const UnaryFunction& func, const Tensor& input, const Tensor& v = Tensor(),
                              const FunctionalOptions& options = {});

// (func(inputs), J v): the products have the outputs' shapes. v has the inputs' shapes; it
// may be left out when there is one input of one element. Computed by the double-backward
// trick, as PyTorch's: every op on the way needs a differentiable backward.
std::pair<tensor_list, tensor_list> jvp(const Function& func, const tensor_list& inputs, const tensor_list& v = {},
                                        const FunctionalOptions& options = {});
std::pair<Tensor, Tensor> jvp(const TensorFunction& func, const tensor_list& inputs, const tensor_list& v = {},
                              const FunctionalOptions& options = {});
std::pair<Tensor, Tensor> jvp(const UnaryFunction& func, const Tensor& input, const Tensor& v = Tensor(),
                              const FunctionalOptions& options = {});

// The Jacobian: result[i][j] of output i with respect to input j has the sizes of output i
// followed by those of input j (one backward per output element, PyTorch's reverse mode);
// for one output, result[j].
std::vector<tensor_list> jacobian(const Function& func, const tensor_list& inputs,
                                  const FunctionalOptions& options = {});
tensor_list jacobian(const TensorFunction& func, const tensor_list& inputs, const FunctionalOptions& options = {});
Tensor jacobian(const UnaryFunction& func, const Tensor& input, const FunctionalOptions& options = {});

// ember's addition: the Jacobian of `outputs` already computed from `inputs` (which
// require grad), with respect to those very tensors (gradcheck's analytic Jacobian), as
// jacobian's result; the graph is retained.
std::vector<tensor_list> jacobian_of_outputs(const tensor_list& outputs, const tensor_list& inputs,
                                             const FunctionalOptions& options = {});

// The Hessian of a function giving one element: result[i][j] has the sizes of input i
// followed by those of input j.
std::vector<tensor_list> hessian(const TensorFunction& func, const tensor_list& inputs,
                                 const FunctionalOptions& options = {});
Tensor hessian(const UnaryFunction& func, const Tensor& input, const FunctionalOptions& options = {});

// (func(inputs), v^T H) and (func(inputs), H v) for a function giving one element; v has
// the inputs' shapes. vhp takes one backward less; they agree where H is symmetric.
std::pair<Tensor, tensor_list> vhp(const TensorFunction& func, const tensor_list& inputs, const tensor_list& v = {},
                                   const FunctionalOptions& options = {});
std::pair<Tensor, Tensor> vhp(const UnaryFunction& func, const Tensor& input, const Tensor& v = Tensor(),
                              const FunctionalOptions& options = {});
std::pair<Tensor, tensor_list> hvp(const TensorFunction& func, const tensor_list& inputs, const tensor_list& v = {},
                                   const FunctionalOptions& options = {});
std::pair<Tensor, Tensor> hvp(const UnaryFunction& func, const Tensor& input, const Tensor& v = Tensor(),
                              const FunctionalOptions& options = {});

}  // namespace ember::autograd::functional
