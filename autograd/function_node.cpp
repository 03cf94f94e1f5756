// FunctionNode::apply (dtype cast and sum_to after the formula) and record().
#include "autograd/function_node.h"

#include "core/factories.h"
#include "core/native.h"

namespace ember::autograd {
namespace {

// The history given to a recorded gradient of a node whose backward reads its forward
// inputs (FunctionNode::set_backward_reads_inputs): the gradient passes to the history it
// had (if any), and the forward inputs get zeros, so it depends on them as in PyTorch
// (a second derivative of 0, not "does not require grad" or "not used in the graph").
class LinkToInputs final : public Node {
 public:
  // inputs: the forward inputs' metadata, requires_grad only for those the backward reads.
  LinkToInputs(std::string name, std::vector<InputMeta> inputs, bool passes_through)
      : name_(std::move(name)), inputs_(std::move(inputs)), passes_through_(passes_through) {}
  std::string name() const override { return name_; }
  bool differentiable_backward() const override { return true; }  // identity and zeros
  tensor_list apply(tensor_list&& grads) override {
    tensor_list out;
    out.reserve(inputs_.size() + 1);
    if (passes_through_) out.push_back(grads[0]);
    for (const InputMeta& in : inputs_)
      out.push_back(in.requires_grad ? zeros(in.shape, TensorOptions(in.dtype).device(in.device)) : Tensor());
    return out;
  }

 private:
  std::string name_;
  std::vector<InputMeta> inputs_;
  bool passes_through_;
};

}  // namespace

tensor_list FunctionNode::apply(tensor_list&& grads) {
  const bool create_graph = is_grad_enabled();  // Note [Higher-order gradients]
  tensor_list saved;
  {
    std::lock_guard<std::mutex> lock(saved_mutex_);
    saved.reserve(saved_.size());
    for (const SavedVariable& s : saved_)
      saved.push_back(create_graph ? s.unpack_with_history(shared_from_this()) : s.unpack());
  }
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
  if (create_graph && read_inputs_ != 0) {
    std::vector<InputMeta> read = inputs_;
    std::vector<Edge> read_edges = next_edges();
    for (size_t i = 0; i < read.size(); ++i) {
      if (i < 32 && (read_inputs_ >> i) & 1u) continue;
      read[i].requires_grad = false;
      if (i < read_edges.size()) read_edges[i] = Edge{};
    }
    for (Tensor& g : out) {
      if (!g.defined()) continue;
      const bool passes_through = g.requires_grad();
      auto link = std::make_shared<LinkToInputs>(name() + "Backward", read, passes_through);
      auto& edges = link->mutable_next_edges();
      if (passes_through) edges.push_back(gradient_edge(g));
      edges.insert(edges.end(), read_edges.begin(), read_edges.end());
      g = g.detach();
      set_history(g, link, 0);
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
  std::lock_guard<std::mutex> lock(saved_mutex_);
  for (SavedVariable& s : saved_) s.release();
}

std::shared_ptr<FunctionNode> record_list(const char* name, InputList inputs, std::span<const Tensor* const> outputs,
                                          std::span<const Tensor> to_save, BackwardFormula formula) {
  auto node = make_node<FunctionNode>(inputs, name, std::move(formula));
  auto& meta = node->inputs();
  meta.reserve(inputs.size());
  for (const Tensor* t : inputs) {
    if (t->defined()) meta.push_back({t->sizes(), t->dtype(), t->device(), t->requires_grad()});
    else meta.push_back({});
  }
  uint32_t nr = 0;
  for (const Tensor* out : outputs) {
    if (out != nullptr) set_history(*out, node, nr);
    ++nr;
  }
  node->set_num_outputs(nr);
  auto& saved = node->saved();
  saved.reserve(to_save.size());
  for (const Tensor& t : to_save) saved.emplace_back(t, node->name(), node.get());
  return node;
}

std::shared_ptr<FunctionNode> record(const char* name, InputList inputs, std::initializer_list<const Tensor*> outputs,
                                     std::initializer_list<Tensor> to_save, BackwardFormula formula) {
  return record_list(name, inputs, {outputs.begin(), outputs.size()}, {to_save.begin(), to_save.size()},
                     std::move(formula));
}

}  // namespace ember::autograd
