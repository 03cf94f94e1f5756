// torch.autograd.functional (autograd/functional.h): vector-Jacobian and Jacobian-vector
// products, Jacobians, Hessians and Hessian-vector products, each a few autograd::grad calls
// on the function's recorded graph, with PyTorch's checks, results and error phrases.
#include "autograd/functional.h"

#include "autograd/engine.h"
#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/ops.h"

namespace ember::autograd::functional {

// Note [Functional autograd]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~
// As torch.autograd.functional:
// - The function runs with grad mode on (under no_grad too) on new tensor objects for its
//   inputs: detached aliases that require grad or, under create_graph, where an input
//   requires grad, a differentiable alias of it (so the results lead back to it). A tensor
//   the function captures instead of reading its argument counts as a constant.
// - The results are detached unless create_graph. An input the outputs do not reach gets
//   zeros, or under strict an error naming it (as do outputs that do not require grad).
// - vjp, vhp and jacobian are reverse mode (jacobian: one backward per output element, on
//   a retained graph). jvp and hvp use the double-backward trick: the gradient of a
//   backward taken at a dummy output gradient (zeros that require grad) with respect to that
//   dummy, which needs every backward on the way to be differentiable (Note [Higher-order
//   gradients] in autograd/engine.h). hessian is the jacobian of a jacobian.
// - Inside inference mode nothing records, so every product would be zeros: that is an
//   ember::Error here, where PyTorch returns the zeros.
// - jacobian_of_outputs (ember's) skips the function and the fresh aliases: it differentiates
//   outputs already recorded with respect to the very tensors given, as gradcheck needs (a
//   tensor passed twice, or also captured, counts every use).

namespace {

void check_recording_possible(const char* fn) {
  EMBER_CHECK(!is_inference_mode_enabled(), fn,
              ": nothing is recorded inside inference mode, so there is no graph to differentiate; call it "
              "outside InferenceModeGuard (no_grad is fine)");
}

// PyTorch's _grad_preprocess: a new tensor object per input (see the Note). need_graph:
// the products are taken with respect to these (inputs), or they are only values (v).
tensor_list prepared(const tensor_list& tensors, bool create_graph, bool need_graph, const char* what,
                     const char* fn) {
  tensor_list out;
  out.reserve(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    EMBER_CHECK(t.defined(), fn, ": expected ", what, " to be defined tensors, but entry ", i, " is undefined");
    if (need_graph)
      EMBER_CHECK(is_floating(t.dtype()), fn, ": only floating-point inputs can be differentiated, but input ", i,
                  " is ", dtype_name(t.dtype()));
    if (create_graph && t.requires_grad()) {
      out.push_back(t.view(t.sizes()));
    } else {
      Tensor alias = t.detach();
      if (need_graph) alias.requires_grad_(true);
      out.push_back(alias);
    }
  }
  return out;
}

void check_defined_outputs(const tensor_list& outputs, const char* fn) {
  for (size_t i = 0; i < outputs.size(); ++i)
    EMBER_CHECK(outputs[i].defined(), fn, ": output ", i, " of the user-provided function is an undefined tensor");
}

// PyTorch's _validate_v: v has `reference`'s number of tensors and their sizes.
void check_v(const tensor_list& v, const tensor_list& reference, bool reference_is_list) {
  if (v.size() != reference.size()) {
    EMBER_CHECK(!reference_is_list, "v is a tuple of invalid length: should be ", reference.size(), " but got ",
                v.size(), ".");
    EMBER_FAIL("The given v should contain a single Tensor.");
  }
  for (size_t i = 0; i < v.size(); ++i)
    EMBER_CHECK(v[i].sizes() == reference[i].sizes(), reference_is_list ? detail::str_cat("Entry ", i, " in ") : "",
                "v has invalid size: should be ", reference[i].sizes().str(), " but got ", v[i].sizes().str(), ".");
}

// v prepared and checked, or a single 1 where v was left out and `reference` is one
// tensor of one element (`left_out_error` otherwise).
tensor_list vector_or_one(const tensor_list& v, const tensor_list& reference, bool reference_is_list,
                          bool create_graph, const char* left_out_error, const char* fn) {
  if (v.empty()) {
    EMBER_CHECK(reference.size() == 1 && reference[0].numel() == 1, left_out_error);
    return {ones_like(reference[0])};
  }
  tensor_list prepared_v = prepared(v, create_graph, /*need_graph=*/false, "v", fn);
  check_v(prepared_v, reference, reference_is_list);
  return prepared_v;
}

// PyTorch's _check_requires_grad under strict.
enum class Checked { Outputs, GradInputs, Jacobian, Hessian };

void check_requires_grad(const tensor_list& tensors, Checked kind, bool strict) {
  if (!strict) return;
  for (size_t i = 0; i < tensors.size(); ++i) {
    EMBER_CHECK(tensors[i].defined(), "The output of the user-provided function is independent of input ", i,
                ". This is not allowed in strict mode.");
    if (tensors[i].requires_grad()) continue;
    switch (kind) {
      case Checked::Hessian:
        EMBER_FAIL("The hessian of the user-provided function with respect to input ", i,
                   " is independent of the input. This is not allowed in strict mode. You should ensure that your "
                   "function is thrice differentiable and that the hessian depends on the inputs.");
      case Checked::Jacobian:
        EMBER_FAIL("While computing the hessian, found that the jacobian of the user-provided function with respect "
                   "to input ", i, " is independent of the input. This is not allowed in strict mode. You should "
                   "ensure that your function is twice differentiable and that the jacobian depends on the inputs "
                   "(this would be violated by a linear function for example).");
      case Checked::GradInputs:
        EMBER_FAIL("The gradient with respect to input ", i, " is independent of the inputs of the user-provided "
                   "function. This is not allowed in strict mode.");
      case Checked::Outputs:
        EMBER_FAIL("Output ", i, " of the user-provided function does not require gradients. The outputs must be "
                   "computed in a differentiable manner from the input when running in strict mode.");
    }
  }
}

// PyTorch's _autograd_grad: the gradients of the outputs that are defined and require grad
// (each with its grad_output, or implicitly 1 where grad_outputs is empty); undefined
// tensors for every input when there are none.
tensor_list recorded_grad(const tensor_list& outputs, const tensor_list& inputs, const tensor_list& grad_outputs,
                          bool create_graph, std::optional<bool> retain_graph = std::nullopt) {
  tensor_list roots, root_grads;
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i].defined() || !outputs[i].requires_grad()) continue;
    roots.push_back(outputs[i]);
    root_grads.push_back(grad_outputs.empty() ? Tensor() : grad_outputs[i]);
  }
  if (roots.empty()) return tensor_list(inputs.size());
  return grad(roots, inputs, root_grads, retain_graph, create_graph, /*allow_unused=*/true);
}

// Which backward a missing gradient came from, for PyTorch's _fill_in_zeros messages.
enum class Stage { Back, BackTrick, DoubleBack, DoubleBackTrick };

// PyTorch's _fill_in_zeros: zeros shaped as refs[i] where grads[i] is undefined (strict:
// an error); under strict and create_graph, a gradient without history is an error too.
tensor_list zeros_where_missing(tensor_list grads, const tensor_list& refs, bool strict, bool create_graph,
                                Stage stage) {
  const bool second = stage == Stage::DoubleBack || stage == Stage::DoubleBackTrick;
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined()) {
      if (strict) {
        switch (stage) {
          case Stage::Back:
            EMBER_FAIL("The output of the user-provided function is independent of input ", i,
                       ". This is not allowed in strict mode.");
          case Stage::BackTrick:
            EMBER_FAIL("The gradient with respect to the input is independent of entry ", i,
                       " in the grad_outputs when using the double backward trick to compute forward mode "
                       "gradients. This is not allowed in strict mode.");
          case Stage::DoubleBack:
            EMBER_FAIL("The jacobian of the user-provided function is independent of input ", i,
                       ". This is not allowed in strict mode.");
          case Stage::DoubleBackTrick:
            EMBER_FAIL("The hessian of the user-provided function is independent of entry ", i,
                       " in the grad_jacobian. This is not allowed in strict mode as it prevents from using the "
                       "double backward trick to replace forward mode AD.");
        }
      }
      grads[i] = zeros_like(refs[i]);
    } else {
      EMBER_CHECK(!(strict && create_graph && !grads[i].requires_grad()), "The ", second ? "hessian" : "jacobian",
                  " of the user-provided function is independent of input ", i,
                  ". This is not allowed in strict mode when create_graph=True.");
    }
  }
  return grads;
}

// PyTorch's _grad_postprocess: without create_graph the results carry no history.
tensor_list finished(tensor_list tensors, bool create_graph) {
  if (!create_graph)
    for (Tensor& t : tensors) t = t.detach();
  return tensors;
}

// The one element of a function given to hessian, vhp or hvp.
void check_single_element(const Tensor& out, const char* fn) {
  EMBER_CHECK(out.numel() == 1, "The Tensor returned by the function given to ", fn,
              " should contain a single element (got sizes ", out.sizes().str(), ")");
}

std::vector<tensor_list> jacobian_of_function(const Function& func, const tensor_list& inputs,
                                              const FunctionalOptions& options, const char* fn) {
  check_recording_possible(fn);
  EnableGradGuard grad_mode;
  const tensor_list in = prepared(inputs, options.create_graph, /*need_graph=*/true, "inputs", fn);
  const tensor_list outputs = func(in);
  check_defined_outputs(outputs, fn);
  check_requires_grad(outputs, Checked::Outputs, options.strict);
  return jacobian_of_outputs(outputs, in, options);
}

// func with its one output checked to have one element, squeezed to 0-d (so the
// jacobian has the inputs' shapes), as PyTorch's ensure_single_output_function.
Function single_output(const TensorFunction& func, const FunctionalOptions& options, const char* fn) {
  return [func, options, fn](const tensor_list& in) {
    const Tensor out = func(in);
    EMBER_CHECK(out.defined(), fn, ": the user-provided function returned an undefined tensor");
    check_requires_grad({out}, Checked::Outputs, options.strict);
    check_single_element(out, fn);
    return tensor_list{out.reshape({})};
  };
}

// PyTorch's vhp and hvp up to the last backward: the prepared inputs and v, the output, and
// its gradient with respect to the inputs (recorded, create_graph).
struct HessianProduct {
  tensor_list in, v;
  Tensor out;
  tensor_list jac;
};

HessianProduct hessian_product(const TensorFunction& func, const tensor_list& inputs, const tensor_list& v,
                               bool inputs_are_list, const FunctionalOptions& options, const char* fn) {
  check_recording_possible(fn);
  EnableGradGuard grad_mode;
  HessianProduct p;
  p.in = prepared(inputs, options.create_graph, /*need_graph=*/true, "inputs", fn);
  p.v = vector_or_one(v, p.in, inputs_are_list, options.create_graph,
                      "The vector v can only be None if the input to the user-provided function is a single "
                      "Tensor with a single element.",
                      fn);
  p.out = func(p.in);
  EMBER_CHECK(p.out.defined(), fn, ": the user-provided function returned an undefined tensor");
  check_requires_grad({p.out}, Checked::Outputs, options.strict);
  check_single_element(p.out, fn);
  p.jac = recorded_grad({p.out}, p.in, {}, /*create_graph=*/true);
  check_requires_grad(p.jac, Checked::Jacobian, options.strict);
  return p;
}

std::pair<Tensor, tensor_list> vhp_of(const TensorFunction& func, const tensor_list& inputs, const tensor_list& v,
                                      bool inputs_are_list, const FunctionalOptions& options) {
  const HessianProduct p = hessian_product(func, inputs, v, inputs_are_list, options, "vhp");
  GradModeGuard grad_mode(options.create_graph || is_grad_enabled());
  tensor_list product = zeros_where_missing(recorded_grad(p.jac, p.in, p.v, options.create_graph), p.in,
                                            options.strict, options.create_graph, Stage::DoubleBack);
  return {finished({p.out}, options.create_graph)[0], finished(std::move(product), options.create_graph)};
}

std::pair<Tensor, tensor_list> hvp_of(const TensorFunction& func, const tensor_list& inputs, const tensor_list& v,
                                      bool inputs_are_list, const FunctionalOptions& options) {
  const HessianProduct p = hessian_product(func, inputs, v, inputs_are_list, options, "hvp");
  tensor_list dummies, double_back;
  {
    EnableGradGuard grad_mode;
    for (const Tensor& t : p.in) dummies.push_back(zeros_like(t).requires_grad_(true));
    double_back = recorded_grad(p.jac, p.in, dummies, /*create_graph=*/true);
    check_requires_grad(p.jac, Checked::Hessian, options.strict);  // PyTorch's check (of jac, already checked)
  }
  GradModeGuard grad_mode(options.create_graph || is_grad_enabled());
  tensor_list product = zeros_where_missing(recorded_grad(double_back, dummies, p.v, options.create_graph), p.in,
                                            options.strict, options.create_graph, Stage::DoubleBackTrick);
  return {finished({p.out}, options.create_graph)[0], finished(std::move(product), options.create_graph)};
}

std::pair<tensor_list, tensor_list> vjp_of(const Function& func, const tensor_list& inputs, const tensor_list& v,
                                           bool outputs_are_list, const FunctionalOptions& options) {
  check_recording_possible("vjp");
  tensor_list in, outputs, vs;
  {
    EnableGradGuard grad_mode;
    in = prepared(inputs, options.create_graph, /*need_graph=*/true, "inputs", "vjp");
    outputs = func(in);
    check_defined_outputs(outputs, "vjp");
    check_requires_grad(outputs, Checked::Outputs, options.strict);
    vs = vector_or_one(v, outputs, outputs_are_list, options.create_graph,
                       "The vector v can only be None if the user-provided function returns a single Tensor with a "
                       "single element.",
                       "vjp");
  }
  GradModeGuard grad_mode(options.create_graph || is_grad_enabled());
  tensor_list product = zeros_where_missing(recorded_grad(outputs, in, vs, options.create_graph), in, options.strict,
                                            options.create_graph, Stage::Back);
  return {finished(std::move(outputs), options.create_graph), finished(std::move(product), options.create_graph)};
}

std::pair<tensor_list, tensor_list> jvp_of(const Function& func, const tensor_list& inputs, const tensor_list& v,
                                           bool inputs_are_list, const FunctionalOptions& options) {
  check_recording_possible("jvp");
  tensor_list in, vs, outputs, dummies, grad_inputs;
  {
    EnableGradGuard grad_mode;
    in = prepared(inputs, options.create_graph, /*need_graph=*/true, "inputs", "jvp");
    vs = vector_or_one(v, in, inputs_are_list, options.create_graph,
                       "The vector v can only be None if the input to the user-provided function is a single Tensor "
                       "with a single element.",
                       "jvp");
    outputs = func(in);
    check_defined_outputs(outputs, "jvp");
    check_requires_grad(outputs, Checked::Outputs, options.strict);
    // The backward is linear in its output gradient, so the dummy's value never shows; zeros
    // keep NaN and infinity out of it.
    for (const Tensor& out : outputs) dummies.push_back(zeros_like(out).requires_grad_(true));
    grad_inputs = recorded_grad(outputs, in, dummies, /*create_graph=*/true);
    check_requires_grad(grad_inputs, Checked::GradInputs, options.strict);
  }
  GradModeGuard grad_mode(options.create_graph || is_grad_enabled());
  tensor_list product = zeros_where_missing(recorded_grad(grad_inputs, dummies, vs, options.create_graph), outputs,
                                            options.strict, options.create_graph, Stage::BackTrick);
  return {finished(std::move(outputs), options.create_graph), finished(std::move(product), options.create_graph)};
}

// The single-tensor forms as functions of lists: of one tensor, giving one tensor or both.
Function listed(const UnaryFunction& func) {
  return [func](const tensor_list& in) { return tensor_list{func(in[0])}; };
}
Function listed(const TensorFunction& func) {
  return [func](const tensor_list& in) { return tensor_list{func(in)}; };
}
TensorFunction of_first(const UnaryFunction& func) {
  return [func](const tensor_list& in) { return func(in[0]); };
}
// v as a list: empty where it was left out.
tensor_list maybe(const Tensor& v) { return v.defined() ? tensor_list{v} : tensor_list{}; }

}  // namespace

std::pair<tensor_list, tensor_list> vjp(const Function& func, const tensor_list& inputs, const tensor_list& v,
                                        const FunctionalOptions& options) {
  return vjp_of(func, inputs, v, /*outputs_are_list=*/true, options);
}

std::pair<Tensor, Tensor> vjp(const UnaryFunction& func, const Tensor& input, const Tensor& v,
                              const FunctionalOptions& options) {
  auto [outputs, product] = vjp_of(listed(func), {input}, maybe(v), false, options);
  return {outputs[0], product[0]};
}

std::pair<Tensor, tensor_list> vjp(const TensorFunction& func, const tensor_list& inputs, const Tensor& v,
                                   const FunctionalOptions& options) {
  auto [outputs, product] = vjp_of(listed(func), inputs, maybe(v), false, options);
  return {outputs[0], std::move(product)};
}

std::pair<tensor_list, tensor_list> jvp(const Function& func, const tensor_list& inputs, const tensor_list& v,
                                        const FunctionalOptions& options) {
  return jvp_of(func, inputs, v, /*inputs_are_list=*/true, options);
}

std::pair<Tensor, Tensor> jvp(const UnaryFunction& func, const Tensor& input, const Tensor& v,
                              const FunctionalOptions& options) {
  auto [outputs, product] = jvp_of(listed(func), {input}, maybe(v), false, options);
  return {outputs[0], product[0]};
}

std::pair<Tensor, Tensor> jvp(const TensorFunction& func, const tensor_list& inputs, const tensor_list& v,
                              const FunctionalOptions& options) {
  auto [outputs, product] = jvp_of(listed(func), inputs, v, true, options);
  return {outputs[0], product[0]};
}

std::vector<tensor_list> jacobian_of_outputs(const tensor_list& outputs, const tensor_list& inputs,
                                             const FunctionalOptions& options) {
  check_recording_possible("jacobian_of_outputs");
  EnableGradGuard grad_mode;  // the element selections below are recorded too
  std::vector<tensor_list> result(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    std::vector<tensor_list> rows(inputs.size());  // rows[j]: d out[e] / d inputs[j] for each element e
    const Tensor flat = out.reshape({-1});
    for (int64_t e = 0; e < out.numel(); ++e) {
      const tensor_list vj =
          recorded_grad({flat.select(0, e)}, inputs, {}, options.create_graph, /*retain_graph=*/true);
      for (size_t j = 0; j < inputs.size(); ++j) {
        if (!vj[j].defined()) {
          EMBER_CHECK(!options.strict, "Output ", i, " of the user-provided function is independent of input ", j,
                      ". This is not allowed in strict mode.");
          rows[j].push_back(zeros_like(inputs[j]));
          continue;
        }
        EMBER_CHECK(!(options.strict && options.create_graph && !vj[j].requires_grad()),
                    "The jacobian of the user-provided function is independent of input ", j,
                    ". This is not allowed in strict mode when create_graph=True.");
        rows[j].push_back(vj[j]);
      }
    }
    for (size_t j = 0; j < inputs.size(); ++j) {
      Dims sizes = out.sizes();
      for (int64_t s : inputs[j].sizes()) sizes.push_back(s);
      result[i].push_back(rows[j].empty() ? zeros(sizes, inputs[j].options()) : stack(rows[j], 0).view(sizes));
    }
    result[i] = finished(std::move(result[i]), options.create_graph);
  }
  return result;
}

std::vector<tensor_list> jacobian(const Function& func, const tensor_list& inputs, const FunctionalOptions& options) {
  return jacobian_of_function(func, inputs, options, "jacobian");
}

tensor_list jacobian(const TensorFunction& func, const tensor_list& inputs, const FunctionalOptions& options) {
  return jacobian_of_function(listed(func), inputs, options, "jacobian")[0];
}

Tensor jacobian(const UnaryFunction& func, const Tensor& input, const FunctionalOptions& options) {
  return jacobian_of_function(listed(func), {input}, options, "jacobian")[0][0];
}

std::vector<tensor_list> hessian(const TensorFunction& func, const tensor_list& inputs,
                                 const FunctionalOptions& options) {
  const Function gradient = [func, options](const tensor_list& in) {
    tensor_list jac =
        jacobian_of_function(single_output(func, options, "hessian"), in, {.create_graph = true}, "hessian")[0];
    check_requires_grad(jac, Checked::Jacobian, options.strict);
    return jac;
  };
  return jacobian_of_function(gradient, inputs, options, "hessian");
}

Tensor hessian(const UnaryFunction& func, const Tensor& input, const FunctionalOptions& options) {
  return hessian(of_first(func), tensor_list{input}, options)[0][0];
}

std::pair<Tensor, tensor_list> vhp(const TensorFunction& func, const tensor_list& inputs, const tensor_list& v,
                                   const FunctionalOptions& options) {
  return vhp_of(func, inputs, v, /*inputs_are_list=*/true, options);
}

std::pair<Tensor, Tensor> vhp(const UnaryFunction& func, const Tensor& input, const Tensor& v,
                              const FunctionalOptions& options) {
  auto [out, product] = vhp_of(of_first(func), {input}, maybe(v), false, options);
  return {out, product[0]};
}

std::pair<Tensor, tensor_list> hvp(const TensorFunction& func, const tensor_list& inputs, const tensor_list& v,
                                   const FunctionalOptions& options) {
  return hvp_of(func, inputs, v, /*inputs_are_list=*/true, options);
}

std::pair<Tensor, Tensor> hvp(const UnaryFunction& func, const Tensor& input, const Tensor& v,
                              const FunctionalOptions& options) {
  auto [out, product] = hvp_of(of_first(func), {input}, maybe(v), false, options);
  return {out, product[0]};
}

}  // namespace ember::autograd::functional
