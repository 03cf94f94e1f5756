// What PyTorch keeps for backward, layer by layer, for a Sequential of ember's layers:
// PyTorch's save rules written down (below, in pytorch_saved.cpp), so that `ember mem`
// prints ember's saved bytes beside PyTorch's without PyTorch. bench/pytorch_mem.py
// measures the same numbers in PyTorch, and a ctest compares the two.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "nn/container.h"

namespace ember::tools {

// Bytes of unique storage PyTorch's autograd keeps after one forward of `model` on an
// input of `input_shape` (of `dtype`, the model's, on `device`), by child name ("0", "1", ...); a storage
// counts once, for the first layer that saves it, as ember's ledger counts. Runs one
// eval() forward under no_grad to learn the shapes (the model's state is unchanged). Layers without a rule are an ember::Error.
std::map<std::string, int64_t> pytorch_saved_bytes(nn::Sequential& model, const Dims& input_shape, Device device,
                                                   bool training, DType dtype = kFloat32);

}  // namespace ember::tools
