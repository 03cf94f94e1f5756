// torch.set_num_threads / get_num_threads: the CPU threads ember's parallel loops use
// (OpenMP's; OMP_NUM_THREADS sets the start value). Process-wide, as PyTorch's intra-op pool.
#pragma once

namespace ember {

// n >= 1, else an ember::Error; affects the loops started after the call.
void set_num_threads(int n);
int get_num_threads();

}  // namespace ember
