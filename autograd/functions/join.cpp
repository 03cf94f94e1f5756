// Differentiable cat and stack: the native ops of core/ops/join.cpp, recorded with every
// input of the list; each input's gradient is its slice of the incoming one. Saves nothing.
#include <vector>

#include "autograd/function_node.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {
namespace {

std::vector<const Tensor*> pointers_to(const std::vector<Tensor>& tensors) {
  std::vector<const Tensor*> out;
  out.reserve(tensors.size());
  for (const Tensor& t : tensors) out.push_back(&t);
  return out;
}

// Records `name` for out = join(tensors) when any input requires grad, else marks out as
// its inputs' untracked result (Note [Untracked results]).
void record_join(const char* name, const std::vector<Tensor>& tensors, const Tensor& out,
                 autograd::BackwardFormula formula) {
  const std::vector<const Tensor*> pointers = pointers_to(tensors);
  const autograd::InputList inputs(pointers);
  if (autograd::will_record(inputs)) {
    autograd::record(name, inputs, {&out}, {}, std::move(formula))->set_differentiable_backward();
  } else {
    autograd::note_untracked(out, inputs);
  }
}

}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  Tensor out = native::cat(tensors, dim);
  const int64_t d = native::cat_dim(tensors, dim);
  record_join("CatBackward", tensors, out, [d](const autograd::tensor_list& g, const auto&, const auto& in) {
    autograd::tensor_list grads(in.size());
    int64_t offset = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      if (native::skipped_by_cat(in[i].shape) && g[0].dim() != 1) {
        if (autograd::needs_grad(in, i)) grads[i] = make_empty({0}, in[i].dtype, in[i].device);
        continue;
      }
      const int64_t n = in[i].shape[static_cast<size_t>(d)];
      if (autograd::needs_grad(in, i)) grads[i] = autograd::formula::narrow(g[0], d, offset, n);
      offset += n;
    }
    return grads;
  });
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  Tensor out = native::stack(tensors, dim);
  const int64_t d = native::stack_dim(tensors, dim);
  record_join("StackBackward", tensors, out, [d](const autograd::tensor_list& g, const auto&, const auto& in) {
    autograd::tensor_list grads(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
      if (autograd::needs_grad(in, i)) grads[i] = autograd::formula::select(g[0], d, static_cast<int64_t>(i));
    }
    return grads;
  });
  return out;
}

}  // namespace ember
