// gradcheck: compares the analytic gradients of fn (from autograd) with central
// finite differences, on float64 inputs, like torch.autograd.gradcheck; gradgradcheck
// does the same for the gradients themselves (create_graph), like torch's.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace ember::autograd {

using GradcheckFn = std::function<Tensor(const std::vector<Tensor>&)>;

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
};

struct GradcheckResult {
  bool ok = true;
  std::string message;  // the first mismatch: input, element, analytic vs numeric
};

// Inputs that require grad must be float64. The output may have any shape.
GradcheckResult gradcheck_report(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                                 const GradcheckOptions& options = {});
// True when analytic and numeric gradients agree; a mismatch is logged as a warning.
bool gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

// Second derivatives (Note [Higher-order gradients] in autograd/engine.h): gradcheck of
// sum_k <w_k, d<v, fn(inputs)>/d input_k>, the gradients made with create_graph=true for
// random output gradients v and random weights w_k (fixed for the check), so every
// Hessian-vector product the first-order gradient depends on is compared with finite
// differences of the first-order gradient.
GradcheckResult gradgradcheck_report(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                                     const GradcheckOptions& options = {});
bool gradgradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

}  // namespace ember::autograd
