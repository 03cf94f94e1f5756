// torch.get_rng_state / set_rng_state / initial_seed / seed and fork_rng for the default
// generator (the CPU's draws and ember's own CUDA kernels take their counters from it): its
// state is 16 bytes, the seed and the next counter (little-endian uint64 each), in a CPU
// uint8 tensor.
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
// torch.seed(): seeds the default generator from a non-deterministic source (std::random_device)
// and returns that seed.
uint64_t seed();

// torch.random.fork_rng(): the default generator's state is saved when the guard is made and
// restored when it goes, so the draws inside (an evaluation's dropout, a debugging sample) do
// not move the training run's stream. One generator serves every device, so this forks the
// CUDA draws too (PyTorch's devices= argument has nothing to choose), all but cuDNN's
// training-mode dropout on CUDA, whose states are its own. enabled = false does nothing, as
// PyTorch's.
class ForkRng {
 public:
  explicit ForkRng(bool enabled = true);
  ~ForkRng();
  ForkRng(const ForkRng&) = delete;
  ForkRng& operator=(const ForkRng&) = delete;

 private:
  Tensor saved_;  // undefined when not enabled
};

}  // namespace ember
