// torch.func.functional_call (torch.nn.utils.stateless.functional_call): a module's call with
// some parameters and buffers replaced by the given tensors for that call only.
#pragma once
#include <map>
#include <string>

#include "nn/module.h"

namespace ember::nn::utils {

// Calls module(input) with each named parameter or buffer ("0.weight", "bn.running_mean")
// replaced by the given tensor, then puts the module's own tensors back (also when the call
// throws); gradients flow to the given tensors. tie_weights: a tensor the module holds under
// several names is replaced under all of them when one is given (two different values for
// tied names are PyTorch's "multiple values for keys" error), before strict checks that
// every parameter and buffer is covered and nothing else given ("Error(s) in
// reparametrizing"). Not strict, a path through a module the model lacks is PyTorch's "has
// no attribute" error and an unknown last name is ignored. Unlike PyTorch: a parameter
// registered as undefined (Linear's bias=false) cannot be given, and the map is not updated
// with tensors the forward reassigns. Not thread-safe against other calls of the module.
Tensor functional_call(Module& module, const std::map<std::string, Tensor>& parameters_and_buffers,
                       const Tensor& input, bool tie_weights = true, bool strict = false);

}  // namespace ember::nn::utils
