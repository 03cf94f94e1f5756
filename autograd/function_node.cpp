// FunctionNode::apply (dtype cast and sum_to after the formula) and record().
#include "autograd/function_node.h"

#include <algorithm>

#include "core/factories.h"
#include "core/native.h"

namespace ember::autograd {
namespace {

// The history of a recorded gradient that does not depend on the forward inputs it was
// computed from (ReLU's, a convolution bias's): gradients of zeros for them, so the
// gradient stays connected as in PyTorch (a second derivative of 0, not "does not require
// grad" or "not used in the graph"). Note [Higher-order gradients] in autograd/engine.h.
class ZeroDerivative final : public Node {
 public:
  ZeroDerivative(std::string name, std::vector<InputMeta> inputs) : name_(std::move(name)), inputs_(std::move(inputs)) {}
  std::string name() const override { return name_; }
  bool differentiable_backward() const override { return true; }  // constant zeros
  tensor_list apply(tensor_list&&) override {
    tensor_list out(inputs_.size());
    for (size_t i = 0; i < inputs_.size(); ++i)
      if (inputs_[i].requires_grad) out[i] = zeros(inputs_[i].shape, TensorOptions(inputs_[i].dtype).device(inputs_[i].device));
    return out;
  }

 private:
  std::string name_;
  std::vector<InputMeta> inputs_;
};

}  // namespace

tensor_list FunctionNode::apply(tensor_list&& grads) {
  const bool create_graph = is_grad_enabled();  // Note [Higher-order gradients]
  tensor_list saved;
  saved.reserve(saved_.size());
  for (const SavedVariable& s : saved_)
    saved.push_back(create_graph ? s.unpack_with_history(shared_from_this()) : s.unpack());
  // Under autograd::grad, an input whose edge leads to no requested input gets no gradient
  // (needs_grad is false for it), so formulas skip that work.
  std::vector<InputMeta> masked;
  if (const std::vector<bool>* needed = needed_edges_of_running_node()) {
    masked = inputs_;
    for (size_t i = 0; i < masked.size() && i < needed->size(); ++i)
      masked[i].requires_grad = masked[i].requires_grad && (*needed)[i];
  }
  const std::vector<InputMeta>& inputs = masked.empty() ? inputs_ : masked;
  tensor_list out = formula_(grads, saved, inputs);
  out.resize(inputs.size());
  for (size_t i = 0; i < out.size(); ++i) {
    Tensor& g = out[i];
    if (!g.defined()) continue;
    if (!inputs[i].requires_grad) {
      g = Tensor();
      continue;
    }
    if (g.sizes() != inputs[i].shape) g = sum_to(g, inputs[i].shape);
    if (g.dtype() != inputs[i].dtype) g = create_graph ? g.to(inputs[i].dtype) : native::to_dtype(g, inputs[i].dtype);
  }
  // A formula that read forward data (saved tensors) but gave a gradient without history:
  // connect it to the forward inputs with a zero derivative.
  const bool read_forward_data =
      std::any_of(saved_.begin(), saved_.end(), [](const SavedVariable& s) { return s.was_defined(); });
  if (create_graph && differentiable_ && read_forward_data) {
    std::shared_ptr<ZeroDerivative> zero;
    for (size_t i = 0; i < out.size(); ++i) {
      if (!out[i].defined() || out[i].requires_grad()) continue;
      if (!zero) {
        zero = std::make_shared<ZeroDerivative>(name() + "Backward", inputs_);
        zero->mutable_next_edges() = next_edges();
        zero->set_num_outputs(static_cast<uint32_t>(out.size()));
      }
      out[i] = out[i].detach();
      set_history(out[i], zero, static_cast<uint32_t>(i));
    }
  }
  return out;
}

FunctionNode::~FunctionNode() {
  if (!eval_owner() || backward_ran()) return;
  int64_t unused = 0;
  for (SavedVariable& s : saved_) unused += s.release();
  add_unused_saved_bytes(eval_owner(), unused);
}

void FunctionNode::release_saved() {
  for (SavedVariable& s : saved_) s.release();
}

std::shared_ptr<FunctionNode> record(const char* name, InputList inputs, std::initializer_list<const Tensor*> outputs,
                                     std::initializer_list<Tensor> to_save, BackwardFormula formula) {
  auto node = make_node<FunctionNode>(inputs, name, std::move(formula));
  auto& meta = node->inputs();
  meta.reserve(inputs.size());
  for (const Tensor* t : inputs) {
    if (t->defined()) meta.push_back({t->sizes(), t->dtype(), t->device(), t->requires_grad()});
    else meta.push_back({});
  }
  uint32_t nr = 0;
  for (const Tensor* out : outputs) set_history(*out, node, nr++);
  node->set_num_outputs(nr);
  auto& saved = node->saved();
  saved.reserve(to_save.size());
  for (const Tensor& t : to_save) saved.emplace_back(t, node->name(), node.get());
  return node;
}

}  // namespace ember::autograd
