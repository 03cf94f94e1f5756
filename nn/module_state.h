// Module internals shared by nn/module.cpp and nn/module_state.cpp, and ember's own copies of
// a module's state (AveragedModel's, the Transformer's layer clones): the parameters and
// buffers themselves, as PyTorch's copy.deepcopy sees them, without the user's state_dict
// hooks (Note [State-dict hooks] in nn/module_hooks.h).
#pragma once
#include <string>

#include "nn/module.h"

namespace ember::nn::detail {

// state_dict() without running any module's state_dict pre- or post-hooks.
StateDict state_dict_without_hooks(const Module& module);

// A module's dotted path as a key prefix: "" stays "", "layer1.0" is "layer1.0.".
inline std::string prefix_of(const std::string& path) { return path.empty() ? path : path + "."; }

}  // namespace ember::nn::detail
