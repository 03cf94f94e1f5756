// FunctionNode: the one node type behind every differentiable op. It keeps the op's
// name, its saved tensors, its inputs' metadata and a backward formula; apply() runs
// the formula, then casts each gradient to its input's dtype and sums it back to
// the input's shape (broadcasting), so formulas stay one-liners.
#pragma once
#include <functional>
#include <initializer_list>
#include <vector>

#include "autograd/node.h"
#include "autograd/record.h"
#include "autograd/saved_variable.h"

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

 private:
  const char* name_;
  BackwardFormula formula_;
  std::vector<InputMeta> inputs_;
  std::vector<SavedVariable> saved_;
};

// Records one op: a FunctionNode with edges to `inputs`, history on `outputs`, then
// the tensors in `to_save` saved (outputs may be among them). Call only when
// will_record(inputs...) is true. Tensors in to_save may be undefined (not saved).
std::shared_ptr<FunctionNode> record(const char* name, InputList inputs, std::initializer_list<const Tensor*> outputs,
                                     std::initializer_list<Tensor> to_save, BackwardFormula formula);
inline std::shared_ptr<FunctionNode> record(const char* name, std::initializer_list<const Tensor*> inputs,
                                            std::initializer_list<const Tensor*> outputs,
                                            std::initializer_list<Tensor> to_save, BackwardFormula formula) {
  return record(name, input_list(inputs), outputs, to_save, std::move(formula));
}

// Whether forward input i needs a gradient (formulas skip work for the others).
inline bool needs_grad(const std::vector<InputMeta>& inputs, size_t i) { return inputs[i].requires_grad; }

}  // namespace ember::autograd
