// nn::functional::bilinear (torch.nn.functional's): y = x1^T A x2 + b for each of out_features
// matrices A, composed of a matrix product and a reduction, so it runs and differentiates on any device.
#pragma once
#include "core/tensor.h"

namespace ember::nn::functional {

// input1 [*, in1] and input2 [*, in2] (the same leading sizes; 1-D for one sample), weight
// [out, in1, in2], bias [out] or undefined -> [*, out]: y[..., o] = sum_ij x1_i W_oij x2_j + b_o.
// The same dtype and device throughout; PyTorch's size errors.
Tensor bilinear(const Tensor& input1, const Tensor& input2, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace ember::nn::functional
