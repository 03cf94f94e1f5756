// torch.get_rng_state / set_rng_state / initial_seed for the default generator (the CPU's
// draws and ember's own CUDA kernels take their counters from it): its state is 16 bytes,
// the seed and the next counter (little-endian uint64 each), in a CPU uint8 tensor.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace ember {

// The default generator's state, to save beside a checkpoint.
Tensor get_rng_state();
// Restores a state from get_rng_state(): every later draw repeats the saved run's (cuDNN's
// dropout on CUDA, whose own states restart from the seed, excepted). Anything but 16
// uint8 bytes on the CPU is an error.
void set_rng_state(const Tensor& state);
// The seed of the default generator (manual_seed's, or the built-in default).
uint64_t initial_seed();

}  // namespace ember
