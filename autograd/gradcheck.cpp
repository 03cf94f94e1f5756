// gradcheck: the Jacobian row by row through autograd::grad (functional::jacobian_of_outputs)
// against central differences computed by perturbing each input element.
#include "autograd/gradcheck.h"

#include <cmath>
#include <vector>

#include "autograd/engine.h"
#include "autograd/functional.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/logging.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember::autograd {
namespace {

// fn's output flattened to float64 values, without recording.
std::vector<double> evaluate(const GradcheckFn& fn, const std::vector<Tensor>& inputs) {
  NoGradGuard no_grad;
  return fn(inputs).to_vector<double>();
}

}  // namespace

GradcheckResult gradcheck_report(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                                 const GradcheckOptions& options) {
  std::vector<size_t> checked;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad()) continue;
    EMBER_CHECK(inputs[i].dtype() == kFloat64, "gradcheck: input ", i,
                " requires grad but is ", dtype_name(inputs[i].dtype()), "; expected float64 for precision");
    EMBER_CHECK(inputs[i].is_leaf(), "gradcheck: input ", i, " must be a leaf tensor");
    checked.push_back(i);
  }
  EMBER_CHECK(!checked.empty(), "gradcheck: expected at least one input that requires grad");

  Tensor probe = fn(inputs);
  const int64_t n_out = probe.numel();
  EMBER_CHECK(probe.requires_grad(), "gradcheck: the function's output does not require grad");

  // analytic[k]: d out / d input_k, [n_out, numel_k] row-major, with respect to the very
  // tensors given (one backward per output element: functional::jacobian_of_outputs)
  std::vector<Tensor> wrt;
  for (size_t k : checked) wrt.push_back(inputs[k]);
  const std::vector<tensor_list> jacobian = functional::jacobian_of_outputs({probe}, wrt);
  std::vector<std::vector<double>> analytic;
  for (const Tensor& j : jacobian[0]) analytic.push_back(j.to_vector<double>());

  GradcheckResult result;
  for (size_t k = 0; k < checked.size(); ++k) {
    Tensor x = inputs[checked[k]];
    EMBER_CHECK(x.is_contiguous(), "gradcheck: input ", checked[k], " must be contiguous");
    // Host memory is perturbed in place; a device tensor one element at a time through fill_.
    const bool host = x.device().is_cpu();
    double* data = host ? static_cast<double*>(x.data_ptr()) : nullptr;
    const std::vector<double> values = host ? std::vector<double>{} : x.to_vector<double>();
    const Tensor flat = x.detach().view({-1});
    const auto set = [&](int64_t e, double v) {
      if (host) data[e] = v;
      else native::fill_(flat.narrow(0, e, 1), v);
    };
    for (int64_t e = 0; e < x.numel(); ++e) {
      const double saved = host ? data[e] : values[static_cast<size_t>(e)];
      set(e, saved + options.eps);
      auto plus = evaluate(fn, inputs);
      set(e, saved - options.eps);
      auto minus = evaluate(fn, inputs);
      set(e, saved);
      for (int64_t j = 0; j < n_out; ++j) {
        const double numeric = (plus[j] - minus[j]) / (2 * options.eps);
        const double a = analytic[k][static_cast<size_t>(j * x.numel() + e)];
        // as torch.allclose: NaN on either side is a mismatch, equal infinities are close
        const bool close = a == numeric || std::abs(a - numeric) <= options.atol + options.rtol * std::abs(numeric);
        if (!close && result.ok) {
          result.ok = false;
          result.message = ember::detail::str_cat("Jacobian mismatch for output ", j, " with respect to input ",
                                                  checked[k], " element ", e, ": analytic ", a,
                                                  " vs numerical ", numeric);
        }
      }
    }
  }
  return result;
}

bool gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  GradcheckResult r = gradcheck_report(fn, inputs, options);
  if (!r.ok) logging::warn("gradcheck failed: {}", r.message);
  return r.ok;
}

GradcheckResult gradgradcheck_report(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                                     const GradcheckOptions& options) {
  std::vector<size_t> checked;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].defined() && inputs[i].requires_grad()) checked.push_back(i);
  EMBER_CHECK(!checked.empty(), "gradgradcheck: expected at least one input that requires grad");
  Tensor v, probe;
  std::vector<Tensor> weights;
  {
    NoGradGuard no_grad;
    probe = fn(inputs);
    v = randn(probe.sizes(), TensorOptions(kFloat64).device(probe.device()));
    for (size_t k : checked) weights.push_back(randn(inputs[k].sizes(), TensorOptions(kFloat64).device(inputs[k].device())));
  }
  const GradcheckFn contracted = [&](const std::vector<Tensor>& in) {
    EnableGradGuard grad_mode;  // gradcheck evaluates under no_grad; the gradients need a graph
    std::vector<Tensor> wrt;
    for (size_t k : checked) wrt.push_back(in[k]);
    const auto grads = grad({fn(in)}, wrt, {v}, /*retain_graph=*/true, /*create_graph=*/true, /*allow_unused=*/true);
    // Each input times 0 keeps the sum differentiable where a gradient has no history (a
    // function linear in that input: its second derivative is 0, checked as such).
    Tensor total;
    for (size_t k = 0; k < wrt.size(); ++k) {
      Tensor term = (wrt[k] * 0.0).sum();
      if (grads[k].defined()) term = term + (grads[k] * weights[k]).sum();
      total = total.defined() ? total + term : term;
    }
    return total;
  };
  return gradcheck_report(contracted, inputs, options);
}

bool gradgradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  GradcheckResult r = gradgradcheck_report(fn, inputs, options);
  if (!r.ok) logging::warn("gradgradcheck failed: {}", r.message);
  return r.ok;
}

}  // namespace ember::autograd
