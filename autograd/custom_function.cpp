// Function<T>'s recording and its node's backward (autograd/custom_function.h), and
// SavedValue's accessors.
#include "autograd/custom_function.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <mutex>

#include "autograd/function_node.h"
#include "autograd/functions/inplace_record.h"
#include "core/error.h"
#include "core/factories.h"
#include "core/logging.h"

namespace ember::autograd {

// Note [Custom functions]
// ~~~~~~~~~~~~~~~~~~~~~~~
// As libtorch's torch::autograd::Function<T>:
// - forward runs under no_grad; a node named "<T>Backward" is recorded when grad mode is on
//   (not inference mode) and some tensor argument requires grad. Its edges are the tensor
//   arguments; each output the caller gets is a fresh alias of what forward returned that
//   carries the node's history, so an output that is an argument (or a view of one) does not
//   take over that argument's history.
// - save_for_backward's tensors become the node's saved tensors (SavedVariable: the
//   in-place check, the ledger, saved-tensor hooks, checkpointing); an output among them is
//   saved as the alias with history. saved_data is kept by the node as it is.
// - Tensor, std::optional<Tensor> and tensor_list arguments (a list's tensors one by one) are
//   the inputs, in order; needs_input_grad counts them alone, as libtorch's, while backward
//   returns a gradient for every argument slot (undefined for the constants).
// - An output sharing an input's storage (the input returned as it is, or a view of it)
//   refuses in-place ops with PyTorch's error, as do views made of it: the in-place op's
//   history would replace the custom backward. Once the storage is written by anything
//   else (the input changed in place), using the output's history is PyTorch's error too
//   (the storage version is kept at the call, checked by refresh_view_history).
// - mark_dirty: an input forward changed in place is returned as that input itself, its
//   history moved onto the node's output through the in-place path (so a view's base gets
//   CopySlices, and a leaf that requires grad is PyTorch's in-place error). Without
//   recording, outputs that require grad come back as detached aliases, as PyTorch's.
// - Outputs marked non-differentiable, and integer outputs, get no history. backward gets
//   one gradient per output: zeros where none reached it (set_materialize_grads(false):
//   undefined), and returns one per forward argument. A gradient for an argument that is not
//   a tensor, a wrong count, a shape its argument's does not broadcast to or another device
//   is PyTorch's error; a gradient with a broadcast shape is summed down and one of another
//   dtype cast, as for every node (FunctionNode::apply).
// - The node is differentiable: under create_graph backward runs with grad mode on and its
//   saved tensors keep their history, so a backward written with ember's ops differentiates
//   again, as PyTorch's (without once_differentiable).

struct AutogradContext::Internal {
  tensor_list slots;  // forward's arguments (a tensor_list's tensors one by one), until the node is recorded
  std::vector<bool> is_tensor;       // per slot
  std::vector<bool> needs_grad;      // per tensor input: in forward from requires_grad, in backward the engine's
  tensor_list to_save;               // save_for_backward's, until the node is recorded
  tensor_list saved;                 // unpacked, while backward runs
  std::vector<const TensorImpl*> non_differentiable;
  tensor_list dirty;  // mark_dirty's inputs, until finish
  bool recorded = false;
  bool in_backward = false;
  // One backward at a time (threads running backward through the same node with
  // retain_graph), as libtorch's CppNode::apply holds its mutex.
  std::mutex backward_mutex;
};

namespace {

AutogradContext::Internal& internal_of(const AutogradContext& ctx) {
  EMBER_CHECK(ctx.internal_ != nullptr, "AutogradContext: used outside Function<T>::apply");
  return *ctx.internal_;
}

bool shape_broadcasts_to(const Dims& from, const Dims& to) {
  if (from.size() > to.size()) return false;
  for (size_t i = 0; i < from.size(); ++i) {
    const int64_t f = from[from.size() - 1 - i], t = to[to.size() - 1 - i];
    if (f != t && f != 1) return false;
  }
  return true;
}

// The user's backward, bracketed by the context's backward state.
tensor_list run_backward(const std::shared_ptr<AutogradContext>& ctx, const CustomFunctionRecorder::Backward& backward,
                         tensor_list grads, const tensor_list& saved, std::vector<bool> needs_grad) {
  AutogradContext::Internal& in = *ctx->internal_;
  std::lock_guard<std::mutex> lock(in.backward_mutex);
  in.saved = saved;
  in.needs_grad = std::move(needs_grad);
  in.in_backward = true;
  struct Reset {
    AutogradContext::Internal& in;
    ~Reset() {
      in.saved.clear();
      in.in_backward = false;
    }
  } reset{in};
  return backward(ctx.get(), std::move(grads));
}

}  // namespace

SavedValue::SavedValue(uint64_t v) {
  EMBER_CHECK(v <= static_cast<uint64_t>(INT64_MAX), "saved_data: ", v, " does not fit in an int64");
  value_ = static_cast<int64_t>(v);
}

double SavedValue::toDouble() const {
  if (const auto* v = std::get_if<double>(&value_)) return *v;
  if (const auto* v = std::get_if<int64_t>(&value_)) return static_cast<double>(*v);
  EMBER_FAIL("saved_data: expected a number, but the value is not one");
}
int64_t SavedValue::toInt() const {
  const auto* v = std::get_if<int64_t>(&value_);
  EMBER_CHECK(v != nullptr, "saved_data: expected an integer, but the value is not one");
  return *v;
}
bool SavedValue::toBool() const {
  const auto* v = std::get_if<bool>(&value_);
  EMBER_CHECK(v != nullptr, "saved_data: expected a bool, but the value is not one");
  return *v;
}
const Tensor& SavedValue::toTensor() const {
  const auto* v = std::get_if<Tensor>(&value_);
  EMBER_CHECK(v != nullptr, "saved_data: expected a Tensor, but the value is not one");
  return *v;
}
const std::vector<int64_t>& SavedValue::toIntVector() const {
  const auto* v = std::get_if<std::vector<int64_t>>(&value_);
  EMBER_CHECK(v != nullptr, "saved_data: expected a list of integers, but the value is not one");
  return *v;
}
const std::string& SavedValue::toStringRef() const {
  const auto* v = std::get_if<std::string>(&value_);
  EMBER_CHECK(v != nullptr, "saved_data: expected a string, but the value is not one");
  return *v;
}

void AutogradContext::save_for_backward(tensor_list to_save) {
  Internal& in = internal_of(*this);
  EMBER_CHECK(!in.recorded, "save_for_backward can only be called in forward");
  in.to_save = std::move(to_save);
}

tensor_list AutogradContext::get_saved_variables() const {
  const Internal& in = internal_of(*this);
  EMBER_CHECK(in.in_backward, "get_saved_variables can only be called in backward");
  return in.saved;
}

// Each call replaces the last, as libtorch's.
void AutogradContext::mark_non_differentiable(const tensor_list& outputs) {
  Internal& in = internal_of(*this);
  EMBER_CHECK(!in.recorded, "mark_non_differentiable can only be called in forward");
  in.non_differentiable.clear();
  for (const Tensor& t : outputs)
    if (t.defined()) in.non_differentiable.push_back(&t.impl());
}

void AutogradContext::mark_dirty(const tensor_list& inputs) {
  Internal& in = internal_of(*this);
  EMBER_CHECK(!in.recorded, "mark_dirty can only be called in forward");
  in.dirty.clear();
  for (const Tensor& t : inputs) {
    if (!t.defined()) continue;
    const bool is_input = std::any_of(in.slots.begin(), in.slots.end(),
                                      [&t](const Tensor& slot) { return slot.defined() && &slot.impl() == &t.impl(); });
    if (is_input) {
      in.dirty.push_back(t);
    } else {  // PyTorch's warning; the tensor is left out
      logging::warn(
          "Only input Tensors should be given to ctx.mark_dirty(). If a Tensor is not an input, there is no need to "
          "pass it to mark_dirty().");
    }
  }
}

bool AutogradContext::needs_input_grad(size_t index) const {
  const Internal& in = internal_of(*this);
  EMBER_CHECK(index < in.needs_grad.size(), "needs_input_grad: forward took ", in.needs_grad.size(),
              " tensor inputs, but got index ", index);
  return in.needs_grad[index];
}

std::string custom_function_name(const char* mangled) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && demangled != nullptr ? demangled : mangled;
  std::free(demangled);
  // The class's own name, as PyTorch's: no namespaces (those of template arguments stay).
  size_t start = 0;
  int depth = 0;
  for (size_t i = 0; i + 1 < name.size(); ++i) {
    if (name[i] == '<') ++depth;
    else if (name[i] == '>') --depth;
    else if (depth == 0 && name[i] == ':' && name[i + 1] == ':') start = i + 2;
  }
  return name.substr(start);
}

void CustomFunctionRecorder::begin(AutogradContext& ctx, tensor_list slots, std::vector<bool> is_tensor) {
  ctx.internal_ = std::make_shared<AutogradContext::Internal>();
  AutogradContext::Internal& in = *ctx.internal_;
  std::vector<const Tensor*> defined;
  for (const Tensor& t : slots)
    if (t.defined()) defined.push_back(&t);
  const bool recording = will_record(InputList(defined));
  for (size_t i = 0; i < slots.size(); ++i)
    if (is_tensor[i]) in.needs_grad.push_back(recording && slots[i].defined() && slots[i].requires_grad());
  in.slots = std::move(slots);
  in.is_tensor = std::move(is_tensor);
}

tensor_list CustomFunctionRecorder::finish(const std::shared_ptr<AutogradContext>& ctx, const std::string& name,
                                           tensor_list outputs, Backward backward) {
  AutogradContext::Internal& in = *ctx->internal_;
  in.recorded = true;
  for (size_t i = 0; i < outputs.size(); ++i)
    EMBER_CHECK(outputs[i].defined(), name, ": forward returned an undefined tensor as output ", i);
  // The node keeps what it needs; the context none of forward's tensors.
  const tensor_list slots = std::move(in.slots);
  const tensor_list to_save = std::move(in.to_save);
  const std::vector<const TensorImpl*> non_differentiable = std::move(in.non_differentiable);
  const tensor_list dirty = std::move(in.dirty);
  in.slots.clear(), in.to_save.clear(), in.non_differentiable.clear(), in.dirty.clear();
  const auto same = [](const Tensor& a) { return [&a](const Tensor& b) { return &a.impl() == &b.impl(); }; };
  const auto is_dirty = [&](const Tensor& out) { return std::any_of(dirty.begin(), dirty.end(), same(out)); };
  for (const Tensor& x : dirty) {
    EMBER_CHECK(std::any_of(outputs.begin(), outputs.end(), same(x)),
                "Some elements marked as dirty during the forward method were not returned as output. The inputs that "
                "are modified inplace must all be outputs of the Function.");
  }
  // A dirty input was written (through data_ptr, say): its version moves on, recorded or not,
  // so a backward that saved it before notices (libtorch's get_and_bump_dirty).
  for (const Tensor& x : dirty) x.storage()->bump_version();
  std::vector<const Tensor*> inputs;  // the node's edges: the tensor slots
  std::vector<size_t> slot_of_input;
  for (size_t i = 0; i < slots.size(); ++i) {
    if (!in.is_tensor[i]) continue;
    inputs.push_back(&slots[i]);
    slot_of_input.push_back(i);
  }
  if (!will_record(InputList(inputs))) {
    // PyTorch's _process_backward_mode_ad without a node: detached aliases of what requires grad
    for (Tensor& out : outputs) {
      if (out.requires_grad()) out = out.detach();
      note_untracked(out, InputList(inputs));
    }
    return outputs;
  }
  for (const Tensor& x : dirty) {  // PyTorch's leaf error, before anything is recorded
    EMBER_CHECK(!(x.is_leaf() && x.requires_grad()),
                "a leaf Variable that requires grad has been used in an in-place operation.");
    check_inplace(x);
  }
  tensor_list given(outputs.size());
  std::vector<const Tensor*> with_history(outputs.size(), nullptr);
  std::vector<InputMeta> output_meta;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    output_meta.push_back({out.sizes(), out.dtype(), out.device(), false});
    bool differentiable = is_floating(out.dtype());
    for (const TensorImpl* marked : non_differentiable) differentiable = differentiable && marked != &out.impl();
    // A non-differentiable output that requires grad (an input returned as it is) comes
    // back as a detached alias, as PyTorch's _wrap_outputs gives it.
    given[i] = differentiable || out.requires_grad() ? out.detach() : out;
    if (differentiable) with_history[i] = &given[i];
  }
  tensor_list saved = to_save;  // an output among them: its alias with history
  for (Tensor& t : saved)
    for (size_t i = 0; i < outputs.size(); ++i)
      if (t.defined() && with_history[i] != nullptr && &t.impl() == &outputs[i].impl()) t = given[i];
  const size_t num_slots = slots.size();
  std::vector<bool> is_tensor = in.is_tensor;
  auto formula = [ctx, backward = std::move(backward), name, slot_of_input, num_slots, is_tensor,
                  output_meta](const tensor_list& grads, const tensor_list& saved_values,
                               const std::vector<InputMeta>& meta) {
    tensor_list g(grads);
    g.resize(output_meta.size());
    for (size_t i = 0; i < g.size(); ++i)
      if (!g[i].defined() && ctx->materialize_grads_)
        g[i] = zeros(output_meta[i].shape, TensorOptions(output_meta[i].dtype).device(output_meta[i].device));
    std::vector<bool> needs(meta.size());
    for (size_t k = 0; k < meta.size(); ++k) needs[k] = meta[k].requires_grad;
    tensor_list result = run_backward(ctx, backward, std::move(g), saved_values, std::move(needs));
    EMBER_CHECK(result.size() >= num_slots, "function ", name, " returned an incorrect number of gradients (expected ",
                num_slots, ", got ", result.size(), ")");
    for (size_t i = 0; i < result.size(); ++i) {
      if (i < num_slots && is_tensor[i]) continue;
      EMBER_CHECK(!result[i].defined(), i < num_slots
                                            ? detail::str_cat("function ", name,
                                                              " returned a gradient different than None at position ",
                                                              i + 1, ", but the corresponding forward input was not a "
                                                              "Variable")
                                            : detail::str_cat("function ", name,
                                                              " returned an incorrect number of gradients (expected ",
                                                              num_slots, ", got ", result.size(), ")"));
    }
    tensor_list out;
    for (size_t k = 0; k < slot_of_input.size(); ++k) {
      Tensor grad = result[slot_of_input[k]];
      if (grad.defined() && meta[k].requires_grad) {
        EMBER_CHECK(shape_broadcasts_to(meta[k].shape, grad.sizes()), "Function ", name,
                    " returned an invalid gradient at index ", k, " - got ", grad.sizes().str(),
                    " but expected shape compatible with ", meta[k].shape.str());
        EMBER_CHECK(grad.device() == meta[k].device, "Function ", name, " returned an invalid gradient at index ", k,
                    " - expected device ", meta[k].device.str(), " but got ", grad.device().str());
      }
      out.push_back(grad);
    }
    return out;
  };
  record_list(name.c_str(), InputList(inputs), with_history, saved, std::move(formula))->set_differentiable_backward();
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (with_history[i] == nullptr) continue;
    if (is_dirty(outputs[i])) {
      // The input itself, its history now given[i]'s node (through the in-place path, which
      // handles views): its node passes the gradient on to the custom node unchanged.
      Tensor x = outputs[i];
      const Tensor with_node = given[i];
      inplace(
          name.c_str(), x, &with_node, [] {},
          [](const tensor_list& g, const tensor_list&, const auto&) {
            return tensor_list{Tensor(), g[0]};
          });
      given[i] = x;
      continue;
    }
    for (const Tensor* input : inputs) {
      if (input->defined() && input->storage().get() == outputs[i].storage().get())
        mark_custom_function_alias(given[i]);  // a later write to the input makes its history stale
    }
  }
  return given;
}

}  // namespace ember::autograd
