// The fused optimizer kernels on any layout: a parameter's update runs on its own tensors
// when they are laid out alike, else on contiguous copies that are copied back
// (Note [Staged optimizer operands]).
#pragma once
#include <functional>
#include <vector>

#include "core/tensor.h"

namespace ember::optim::detail {

// Note [Staged optimizer operands]
// A fused optimizer kernel walks the parameter, its gradient and its state as one flat
// array, so they must be dense in one memory format (fused::laid_out_like). Adam/AdamW,
// RMSprop and Adagrad have no second, native-op copy of their formula for other layouts
// (SGD keeps its own; Note [PyTorch's order of operations] in core/optim_math.h says why
// native ops could not give these kernels' bits): when some operand is laid out otherwise
// (a permuted or strided parameter, a gradient with other strides), the kernel updates
// dense copies of the operands that differ, and the parameter and the state are copied
// back. The math stays the kernel's, bit for bit; only such layouts pay for the copies.
// A capturable step refuses them instead (Note [Capturable optimizers]).

// Runs kernel(param, grad, state) on operands laid out alike and marks param and the
// state mutated. `state` entries may be undefined (buffers an option leaves unused).
using FusedKernel = std::function<void(const Tensor& param, const Tensor& grad, const std::vector<Tensor>& state)>;
void run_fused_update(const Tensor& param, const Tensor& grad, const std::vector<Tensor>& state,
                      const FusedKernel& kernel);

}  // namespace ember::optim::detail
