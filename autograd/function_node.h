// FunctionNode: the one node type behind every differentiable op. It keeps the op's
// name, its saved tensors, its inputs' metadata and a backward formula; apply() runs
// the formula, then casts each gradient to its input's dtype and sums it back to
// the input's shape (broadcasting), so formulas stay one-liners.
#pragma once
#include <functional>
#include <initializer_list>
#include <mutex>
#include <span>
#include <vector>

#include "autograd/node.h"
#include "autograd/record.h"
#include "autograd/saved_variable.h"
#include "core/native.h"

namespace ember::autograd {

struct InputMeta {
  Dims shape;
  DType dtype = kFloat32;
  Device device;
  bool requires_grad = false;
};

// grads: one per forward output; saved: the unpacked saved tensors in save order;
// inputs: metadata of the forward inputs. Returns one gradient per input
// (undefined where an input needs none).
using BackwardFormula =
    std::function<tensor_list(const tensor_list& grads, const tensor_list& saved, const std::vector<InputMeta>& inputs)>;

class FunctionNode final : public Node {
 public:
  FunctionNode(const char* name, BackwardFormula formula) : name_(name), formula_(std::move(formula)) {}
  // Reports the saved bytes of an eval-mode node no backward ran through (Note [Mode
  // diagnostics] in nn/diagnostics.h).
  ~FunctionNode() override;
  std::string name() const override { return name_; }
  tensor_list apply(tensor_list&& grads) override;
  void release_saved() override;

  std::vector<InputMeta>& inputs() { return inputs_; }
  std::vector<SavedVariable>& saved() { return saved_; }
  // The formula is written with ember's differentiable ops, so a create_graph backward
  // records it (Note [Higher-order gradients] in autograd/engine.h). Not set: its
  // gradients get a NotImplemented history under create_graph.
  FunctionNode& set_differentiable_backward() {
    differentiable_ = true;
    return *this;
  }
  bool differentiable_backward() const override { return differentiable_; }
  // PyTorch computes this op's gradients with one backward op that reads the forward
  // input or output (threshold_backward, max_pool2d_with_indices_backward,
  // convolution_backward, ...), so under create_graph they depend on it, with a zero
  // derivative where the formula does not: ember links them to the forward inputs the
  // same way (its compact saved tensors, masks and indices, have no history of their own).
  // `inputs`: bit i for forward input i (convolution's and batch norm's backward read x
  // and the weight, not the bias).
  FunctionNode& set_backward_reads_inputs(uint32_t inputs = ~0u) {
    differentiable_ = true;
    read_inputs_ = inputs;
    return *this;
  }

 private:
  const char* name_;
  BackwardFormula formula_;
  bool differentiable_ = false;
  uint32_t read_inputs_ = 0;  // set_backward_reads_inputs' bits
  std::vector<InputMeta> inputs_;
  std::vector<SavedVariable> saved_;
  // Unpacking and releasing the saved tensors take turns: two threads running backward
  // through one graph (without retain_graph) get the tensors or PyTorch's "backward through
  // the graph a second time" error, never a half-released tensor (PyTorch's node mutex).
  std::mutex saved_mutex_;
};

// Records one op: a FunctionNode with edges to `inputs`, history on `outputs`, then
// the tensors in `to_save` saved (outputs may be among them). Call only when
// will_record(inputs...) is true. Tensors in to_save may be undefined (not saved).
std::shared_ptr<FunctionNode> record(const char* name, InputList inputs, std::initializer_list<const Tensor*> outputs,
                                     std::initializer_list<Tensor> to_save, BackwardFormula formula);
// record() of lists made at run time (custom functions): a null output pointer keeps its
// output number but gets no history (a non-differentiable output).
std::shared_ptr<FunctionNode> record_list(const char* name, InputList inputs, std::span<const Tensor* const> outputs,
                                          std::span<const Tensor> to_save, BackwardFormula formula);
inline std::shared_ptr<FunctionNode> record(const char* name, std::initializer_list<const Tensor*> inputs,
                                            std::initializer_list<const Tensor*> outputs,
                                            std::initializer_list<Tensor> to_save, BackwardFormula formula) {
  return record(name, input_list(inputs), outputs, to_save, std::move(formula));
}

// Views of gradients inside backward formulas: the differentiable Tensor methods when
// the backward records (create_graph, Note [Higher-order gradients] in
// autograd/engine.h), else the native views, which leave no view bookkeeping on a
// gradient (so AccumulateGrad can still adopt it without a copy).
namespace formula {
inline Tensor view(const Tensor& t, const Dims& shape) { return is_grad_enabled() ? t.view(shape) : native::view(t, shape); }
inline Tensor reshape(const Tensor& t, const Dims& shape) {
  return is_grad_enabled() ? t.reshape(shape) : native::reshape(t, shape);
}
inline Tensor expand(const Tensor& t, const Dims& shape) {
  return is_grad_enabled() ? t.expand(shape) : native::expand(t, shape);
}
inline Tensor unsqueeze(const Tensor& t, int64_t dim) {
  return is_grad_enabled() ? t.unsqueeze(dim) : native::unsqueeze(t, dim);
}
inline Tensor squeeze(const Tensor& t, int64_t dim) {
  return is_grad_enabled() ? t.squeeze(dim) : native::squeeze(t, dim);
}
inline Tensor transpose(const Tensor& t, int64_t dim0, int64_t dim1) {
  return is_grad_enabled() ? t.transpose(dim0, dim1) : native::transpose(t, dim0, dim1);
}
inline Tensor permute(const Tensor& t, const Dims& dims) {
  return is_grad_enabled() ? t.permute(dims) : native::permute(t, dims);
}
inline Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length) {
  return is_grad_enabled() ? t.narrow(dim, start, length) : native::narrow(t, dim, start, length);
}
inline Tensor slice(const Tensor& t, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step) {
  return is_grad_enabled() ? t.slice(dim, start, end, step) : native::slice(t, dim, start, end, step);
}
inline Tensor select(const Tensor& t, int64_t dim, int64_t index) {
  return is_grad_enabled() ? t.select(dim, index) : native::select(t, dim, index);
}
inline Tensor to_device(const Tensor& t, Device device) {
  return is_grad_enabled() ? t.to(device) : native::to_device(t, device);
}
}  // namespace formula

// Whether forward input i needs a gradient (formulas skip work for the others).
inline bool needs_grad(const std::vector<InputMeta>& inputs, size_t i) { return inputs[i].requires_grad; }

}  // namespace ember::autograd
