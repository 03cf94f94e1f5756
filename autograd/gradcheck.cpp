// gradcheck: the Jacobian row by row through autograd::grad (functional::jacobian_of_outputs)
// against central differences computed by perturbing each input element, with PyTorch's
// input checks, messages and raise_exception.
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

// fn's output: its sizes and its values, copied at once (the output may be a view of an
// input about to be perturbed again). fn runs in the caller's grad mode, as PyTorch's
// finite differences do, so a function that differentiates inside itself can be checked.
struct Evaluation {
  Dims sizes;
  std::vector<double> values;
};
Evaluation evaluate(const GradcheckFn& fn, const std::vector<Tensor>& inputs) {
  const Tensor out = fn(inputs).detach();
  return {out.sizes(), out.to_vector<double>()};
}

// The storage offset (in elements) of element e of x in logical row-major order.
int64_t element_offset(const Tensor& x, int64_t e) {
  int64_t offset = 0;
  for (int64_t d = x.dim() - 1; d >= 0; --d) {
    const int64_t size = x.size(d);
    offset += (e % size) * x.stride(d);
    e /= size;
  }
  return offset;
}

// The inputs that require grad, checked as PyTorch's _check_inputs: a stride-0 dim is an
// error (perturbing one element would perturb several); another dtype than float64 is
// PyTorch's warning.
std::vector<size_t> checked_inputs(const std::vector<Tensor>& inputs, const char* who) {
  std::vector<size_t> checked;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    if (!x.defined() || !x.requires_grad()) continue;
    if (x.dtype() != kFloat64)
      logging::warn(
          "Input #{} requires gradient and is not a double precision floating point or complex. This "
          "check will likely fail if all the inputs are not of double precision floating point or complex.",
          i);
    for (int64_t d = 0; d < x.dim(); ++d)
      EMBER_CHECK(x.stride(d) != 0 || x.size(d) <= 1, "The ", i, "th input has a dimension with stride 0. ", who,
                  " only supports inputs that are non-overlapping to be able to compute the numerical gradients "
                  "correctly. You should call .contiguous on the input before passing it to ",
                  who, ".");
    EMBER_CHECK(x.is_cpu() || x.is_contiguous(), who, ": input ", i,
                " is a non-contiguous device tensor; call .contiguous() on it first");
    checked.push_back(i);
  }
  EMBER_CHECK(!checked.empty(), who,
              " expects at least one input tensor to require gradient, but none of the them have requires_grad=True.");
  return checked;
}

// A [rows, cols] float64 tensor of row-major values, for the mismatch message.
Tensor as_matrix(const std::vector<double>& values, int64_t rows, int64_t cols) {
  return tensor(values, Dims{rows, cols}, kFloat64);
}

}  // namespace

GradcheckResult gradcheck_report(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                                 const GradcheckOptions& options) {
  const std::vector<size_t> checked = checked_inputs(inputs, "gradcheck");
  const Tensor probe = fn(inputs);
  const int64_t n_out = probe.numel();
  // An output that does not require grad has no analytical Jacobian: its numerical one
  // must be zero (PyTorch's _check_no_differentiable_outputs).
  const bool differentiable = probe.requires_grad();

  // analytic[k]: d out / d input_k, [n_out, numel_k] row-major, with respect to the very
  // tensors given (one backward per output element: functional::jacobian_of_outputs)
  std::vector<std::vector<double>> analytic;
  if (differentiable) {
    std::vector<Tensor> wrt;
    for (size_t k : checked) wrt.push_back(inputs[k]);
    const std::vector<tensor_list> jacobian = functional::jacobian_of_outputs({probe}, wrt);
    for (const Tensor& j : jacobian[0]) analytic.push_back(j.to_vector<double>());
    // PyTorch's reentrancy check: the same backward again gives the same Jacobian, within
    // nondet_tol (a backward that reads stale or racy state fails here).
    const std::vector<tensor_list> again = functional::jacobian_of_outputs({probe}, wrt);
    for (size_t k = 0; k < analytic.size(); ++k) {
      const std::vector<double> second = again[0][k].to_vector<double>();
      for (size_t i = 0; i < second.size(); ++i) {
        const double a = analytic[k][i], b = second[i];
        if (!(std::abs(a - b) > options.nondet_tol)) continue;  // as PyTorch's: a NaN difference passes
        GradcheckResult result;
        result.ok = false;
        result.message = ember::detail::str_cat(
            "Backward is not reentrant, i.e., running backward with same input and grad_output multiple times gives "
            "different values, although analytical gradient matches numerical gradient.The tolerance for "
            "nondeterminism was ",
            options.nondet_tol, ". (input ", k, ", element ", i, ": ", a, " then ", b, ")");
        return result;
      }
    }
  } else {
    for (size_t k : checked) analytic.emplace_back(static_cast<size_t>(n_out * inputs[k].numel()), 0.0);
  }

  GradcheckResult result;
  for (size_t k = 0; k < checked.size() && result.ok; ++k) {
    Tensor x = inputs[checked[k]];
    const int64_t n_in = x.numel();
    // Host memory is perturbed in place, without a version bump (PyTorch writes x.data); a
    // device tensor one element at a time through fill_.
    const bool host = x.device().is_cpu();
    EMBER_CHECK(!host || x.dtype() == kFloat64 || x.dtype() == kFloat32, "gradcheck: input ", checked[k], " is ",
                dtype_name(x.dtype()), "; the finite differences perturb float64 (or float32) inputs");
    const std::vector<double> values = x.contiguous().to_vector<double>();
    const Tensor flat = host ? Tensor() : x.detach().view({-1});
    const auto set = [&](int64_t e, double v) {
      if (!host)
        native::fill_(flat.narrow(0, e, 1), v);
      else if (x.dtype() == kFloat64)
        static_cast<double*>(x.data_ptr())[element_offset(x, e)] = v;
      else
        static_cast<float*>(x.data_ptr())[element_offset(x, e)] = static_cast<float>(v);
    };
    // numeric: [n_in, n_out] (PyTorch's layout); the first mismatch is remembered.
    std::vector<double> numeric(static_cast<size_t>(n_in * n_out));
    std::string first_mismatch;
    for (int64_t e = 0; e < n_in; ++e) {
      const double saved = values[static_cast<size_t>(e)];
      set(e, saved + options.eps);
      const Evaluation plus_e = evaluate(fn, inputs);
      set(e, saved - options.eps);
      const Evaluation minus_e = evaluate(fn, inputs);
      set(e, saved);
      EMBER_CHECK(plus_e.sizes == probe.sizes() && minus_e.sizes == probe.sizes(),
                  "Expected `func` to return outputs with the same shape when inputs are perturbed on index ",
                  checked[k], " by ", options.eps, ", but got: shapes ", plus_e.sizes, " and ", minus_e.sizes,
                  " (unperturbed: ", probe.sizes(), ").");
      const std::vector<double>&plus = plus_e.values, &minus = minus_e.values;
      for (int64_t j = 0; j < n_out; ++j) {
        const double num = (plus[static_cast<size_t>(j)] - minus[static_cast<size_t>(j)]) / (2 * options.eps);
        numeric[static_cast<size_t>(e * n_out + j)] = num;
        const double a = analytic[k][static_cast<size_t>(j * n_in + e)];
        // as torch.allclose: NaN on either side is a mismatch, equal infinities are close
        const bool close = a == num || std::abs(a - num) <= options.atol + options.rtol * std::abs(num);
        if (!close && first_mismatch.empty())
          first_mismatch = ember::detail::str_cat("the first mismatch: output element ", j, ", input element ", e,
                                                  ": analytical ", a, " vs numerical ", num);
      }
    }
    if (first_mismatch.empty()) continue;
    result.ok = false;
    if (!differentiable) {
      result.message =
          ember::detail::str_cat("Numerical gradient for function expected to be zero (", first_mismatch, ")");
      break;
    }
    std::vector<double> analytical_t(static_cast<size_t>(n_in * n_out));
    for (int64_t e = 0; e < n_in; ++e)
      for (int64_t j = 0; j < n_out; ++j)
        analytical_t[static_cast<size_t>(e * n_out + j)] = analytic[k][static_cast<size_t>(j * n_in + e)];
    result.message = ember::detail::str_cat("Jacobian mismatch for output 0 with respect to input ", k,
                                            ",\nnumerical:", to_string(as_matrix(numeric, n_in, n_out)),
                                            "\nanalytical:", to_string(as_matrix(analytical_t, n_in, n_out)), "\n(",
                                            first_mismatch, ")");
  }
  return result;
}

namespace {
bool finish(const GradcheckResult& r, const GradcheckOptions& options, const char* who) {
  if (r.ok) return true;
  EMBER_CHECK(!options.raise_exception, who, " failed: ", r.message);
  logging::debug("{} failed: {}", who, r.message);  // PyTorch returns False without a word
  return false;
}
}  // namespace

bool gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  return finish(gradcheck_report(fn, inputs, options), options, "gradcheck");
}

GradcheckResult gradgradcheck_report(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                                     const GradcheckOptions& options) {
  const std::vector<size_t> checked = checked_inputs(inputs, "gradgradcheck");
  // v, the output gradient, is an input of the check too (the last one), as PyTorch's
  // gradgradcheck checks grad_outputs: a backward that detached it would pass otherwise.
  Tensor v;
  std::vector<Tensor> weights;
  {
    NoGradGuard no_grad;
    const Tensor probe = fn(inputs);
    v = randn(probe.sizes(), TensorOptions(kFloat64).device(probe.device()));
    for (size_t k : checked) weights.push_back(randn(inputs[k].sizes(), TensorOptions(kFloat64).device(inputs[k].device())));
  }
  // Each weight is divided by its gradient element's magnitude where that is above 1, so a
  // gradient of 1e9 beside one of 1e-2 does not drown it in the sum's rounding (PyTorch
  // checks each gradient element on its own; the weighted sum is one backward instead).
  {
    EnableGradGuard grad_mode;
    std::vector<Tensor> wrt;
    for (size_t k : checked) wrt.push_back(inputs[k]);
    const auto base = grad({fn(inputs)}, wrt, {v}, /*retain_graph=*/false, /*create_graph=*/false,
                           /*allow_unused=*/true);
    NoGradGuard no_grad;
    for (size_t k = 0; k < weights.size(); ++k)
      if (base[k].defined()) weights[k] = weights[k] / base[k].detach().to(kFloat64).abs().clamp_min(1.0);
  }
  v.requires_grad_(true);
  std::vector<Tensor> with_v = inputs;
  with_v.push_back(v);
  const GradcheckFn contracted = [&](const std::vector<Tensor>& in) {
    EnableGradGuard grad_mode;  // the gradients need a graph
    const std::vector<Tensor> fn_inputs(in.begin(), in.end() - 1);
    const Tensor& grad_output = in.back();
    std::vector<Tensor> wrt;
    for (size_t k : checked) wrt.push_back(fn_inputs[k]);
    const auto grads =
        grad({fn(fn_inputs)}, wrt, {grad_output}, /*retain_graph=*/true, /*create_graph=*/true, /*allow_unused=*/true);
    // Each input (and v) times 0 keeps the sum differentiable where a gradient has no
    // history (a function linear in that input: its second derivative is 0, checked as such).
    Tensor total = (grad_output * 0.0).sum();
    for (size_t k = 0; k < wrt.size(); ++k) {
      Tensor term = (wrt[k] * 0.0).sum();
      if (grads[k].defined()) term = term + (grads[k] * weights[k]).sum();
      total = total + term;
    }
    return total;
  };
  return gradcheck_report(contracted, with_v, options);
}

bool gradgradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  return finish(gradgradcheck_report(fn, inputs, options), options, "gradgradcheck");
}

}  // namespace ember::autograd
