// cuDNN settings, as torch.backends.cudnn: whether cuDNN is there, its version, plan
// autotuning per shape (benchmark, off by default), TF32 tensor cores for float32
// convolutions (allow_tf32, on by default as in PyTorch) and deterministic engines only
// (deterministic, off by default; Note [Deterministic algorithms]). No CUDA headers here.
#pragma once
#include <cstdint>

namespace ember::cudnn {

bool is_available();      // a CUDA build with cuDNN and at least one device
int64_t version();        // cudnnGetVersion(), e.g. 91900; 0 without cuDNN
void set_benchmark(bool on);
bool benchmark();
void set_allow_tf32(bool on);
bool allow_tf32();
void set_deterministic(bool on);
bool deterministic();

}  // namespace ember::cudnn
