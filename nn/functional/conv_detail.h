// What conv2d and conv_transpose2d share (nn/functional/conv.cpp): the argument checks
// both make, and convolution's gradients as recorded, differentiable ops (Note
// [Convolution's double backward]); conv_transpose2d's forward is conv2d's input gradient.
#pragma once
#include <utility>

#include "core/memory_format.h"
#include "core/nn_geometry.h"
#include "core/tensor.h"

namespace ember::nn::functional::detail {

// The checks of PyTorch's convolutions that do not depend on transposition: floating
// operands of one dtype on one device, positive groups, stride and dilation, padding
// >= 0, a kernel of at least one element (`op` names the function in messages).
void check_conv_args(const char* op, const Tensor& x, const Tensor& w, const Tensor& b, const Dims& stride,
                     const Dims& padding, const Dims& dilation, int64_t groups);

// padding=kSame's split (Note [Same padding] in nn/functional/conv.cpp): per spatial dim,
// dilation * (kernel - 1) padded in all, {before, after} with the odd one after.
std::pair<Dims, Dims> same_padding_sides(const Dims& kernel, const Dims& dilation);

// conv2d(x, w) for geo's stride, padding, dilation and groups, without bias.
Tensor conv2d_of(const Tensor& x, const Tensor& w, const ConvGeometry& geo);
// The gradient of conv2d (geometry geo, weight w) for its input, given the output's
// gradient g: the transposed convolution. `kernel`: the kernels' layout.
Tensor conv2d_input_grad(const Tensor& g, const Tensor& w, const ConvGeometry& geo, MemoryFormat kernel);
// The gradient of conv2d (geometry geo, input x) for its weight, given the output's gradient g.
Tensor conv2d_weight_grad(const Tensor& x, const Tensor& g, const ConvGeometry& geo, MemoryFormat kernel);

}  // namespace ember::nn::functional::detail
