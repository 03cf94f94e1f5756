// FunctionNode::apply (dtype cast and sum_to after the formula) and record().
#include "autograd/function_node.h"

#include "core/native.h"

namespace ember::autograd {

tensor_list FunctionNode::apply(tensor_list&& grads) {
  const bool create_graph = is_grad_enabled();  // Note [Higher-order gradients]
  tensor_list saved;
  saved.reserve(saved_.size());
  for (const SavedVariable& s : saved_)
    saved.push_back(create_graph ? s.unpack_with_history(shared_from_this()) : s.unpack());
  tensor_list out = formula_(grads, saved, inputs_);
  out.resize(inputs_.size());
  for (size_t i = 0; i < out.size(); ++i) {
    Tensor& g = out[i];
    if (!g.defined()) continue;
    if (!inputs_[i].requires_grad) {
      g = Tensor();
      continue;
    }
    if (g.sizes() != inputs_[i].shape) g = sum_to(g, inputs_[i].shape);
    if (g.dtype() != inputs_[i].dtype) g = create_graph ? g.to(inputs_[i].dtype) : native::to_dtype(g, inputs_[i].dtype);
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
