// What conv2d and conv_transpose2d share (nn/functional/conv.cpp): the argument checks
// both make, and convolution's gradients as recorded, differentiable ops (Note
// [Convolution's double backward]); conv_transpose2d's forward is conv2d's input gradient.
#pragma once
#include <utility>

#include "autograd/function_node.h"
#include "core/memory_format.h"
#include "core/nn_geometry.h"
#include "core/tensor.h"

namespace ember::nn::functional::detail {

// The checks of PyTorch's convolutions that do not depend on transposition: floating
// operands of one dtype on one device, positive groups, stride and dilation, padding
// >= 0, a kernel of at least one element (`op` names the function in messages).
void check_conv_args(const char* op, const Tensor& x, const Tensor& w, const Tensor& b, const Dims& stride,
                     const Dims& padding, const Dims& dilation, int64_t groups);

// The layouts of a convolution of x and w: its output's format (channels-last when x or
// w is, as PyTorch's convolutions choose) and the kernels' (Note [Channels-last layers] in
// nn/functional/args.h).
struct ConvLayouts {
  MemoryFormat format, kernel;
};
ConvLayouts conv_layouts(const Tensor& x, const Tensor& w);
// An operand dense in the kernels' layout. When recording, a copy is made by the recorded
// contiguous(): the node saves that copy (no second copy in backward) and, for
// create_graph, the copy keeps the operand's history.
Tensor conv_operand(const Tensor& t, MemoryFormat kernel, bool recording);
// Records conv2d's or conv_transpose2d's one "ConvolutionBackward" node on `out`: the
// dense x (xc) is saved only for w's gradient, w (wc) only for x's; the backward reads x
// and w, not the bias (FunctionNode::set_backward_reads_inputs).
void record_convolution(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& out, const Tensor& xc,
                        const Tensor& wc, autograd::BackwardFormula formula);

// The output size along one dim of a transposed convolution (Note [Transposed convolution]
// in nn/functional/conv_transpose.cpp); nonpositive when the input is too small.
inline int64_t transposed_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation,
                                   int64_t output_padding) {
  return (in - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1;
}

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
