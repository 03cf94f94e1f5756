// torch.set_num_threads / get_num_threads: the CPU threads ember's parallel loops use
// (OMP_NUM_THREADS or the cores until set). Process-wide, as PyTorch's intra-op setting:
// Note [Intra-op threads] in core/threads.cpp.
#pragma once

namespace ember {

// n >= 1, else an ember::Error; affects the loops started after the call, on every thread.
void set_num_threads(int n);
int get_num_threads();

}  // namespace ember
