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
  // As PyTorch's raise_exception=True: gradcheck / gradgradcheck throw an ember::Error with
  // the mismatch (PyTorch's GradcheckError) instead of returning false. The *_report forms
  // never throw for a mismatch.
  bool raise_exception = true;
  // PyTorch's nondet_tol: the analytic Jacobian is computed twice, and the two may differ by
  // this much; more is PyTorch's "Backward is not reentrant".
  double nondet_tol = 0.0;
};

struct GradcheckResult {
  bool ok = true;
  std::string message;  // the first mismatch: input, element, analytic vs numeric
};

// Inputs that require grad should be float64 (others get PyTorch's warning) and may not
// have a stride-0 dim; the output may have any shape. fn runs in the caller's grad mode,
// so it may itself differentiate (a gradient penalty). An output that does not require
// grad must have a zero numerical Jacobian, as PyTorch's. The message is PyTorch's
// "Jacobian mismatch for output 0 with respect to input k" (k counts the inputs that
// require grad) with the numerical and analytical Jacobians, [input numel, output numel].
GradcheckResult gradcheck_report(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                                 const GradcheckOptions& options = {});
// True when analytic and numeric gradients agree; a mismatch throws (raise_exception) or
// returns false quietly, as PyTorch's (logged at debug level; gradcheck_report gives it).
bool gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

// Second derivatives (Note [Higher-order gradients] in autograd/engine.h): gradcheck of
// sum_k <w_k, d<v, fn(inputs)>/d input_k>, the gradients made with create_graph=true for
// random output gradients v and random weights w_k (fixed for the check), so every
// Hessian-vector product the first-order gradient depends on is compared with finite
// differences of the first-order gradient. v is checked as an input too (the last one),
// as PyTorch's gradgradcheck checks grad_outputs: a backward that detaches its incoming
// gradient fails.
GradcheckResult gradgradcheck_report(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                                     const GradcheckOptions& options = {});
bool gradgradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

}  // namespace ember::autograd
