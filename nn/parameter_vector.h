// torch.nn.utils.parameters_to_vector / vector_to_parameters: all parameters as one flat
// vector, and back (the parameters then view the vector's storage, as PyTorch's do).
#pragma once
#include <vector>

#include "core/tensor.h"

namespace ember::nn::utils {

// The parameters flattened and concatenated in order (a new tensor; differentiable).
// All must be on one device: PyTorch's "Found two parameters on different devices".
Tensor parameters_to_vector(const std::vector<Tensor>& parameters);

// Each parameter takes the next numel() elements of the 1-D `vec` as its data (shape
// kept; Tensor::set_data, so optimizers holding it go on training it). vec must have the
// parameters' device and dtype and exactly as many elements as they have together
// (PyTorch silently ignores extra ones; ember names both counts).
void vector_to_parameters(const Tensor& vec, const std::vector<Tensor>& parameters);

}  // namespace ember::nn::utils
