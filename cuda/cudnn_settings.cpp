// The torch.backends.cudnn-style settings (cuda/cudnn.h), kept in every build, with or
// without CUDA, as PyTorch's flags are; and whether cuDNN plans use deterministic engines
// only (cuda/cudnn_plan.h). No CUDA headers: compiled into the CUDA-less build too.
#include <atomic>

#include "core/deterministic.h"
#include "cuda/cudnn.h"
#include "cuda/cudnn_plan.h"

namespace ember {

namespace cudnn {
namespace {
std::atomic<bool> g_benchmark{false};
std::atomic<bool> g_allow_tf32{true};
std::atomic<bool> g_deterministic{false};
}  // namespace

void set_benchmark(bool on) { g_benchmark.store(on); }
bool benchmark() { return g_benchmark.load(); }
void set_allow_tf32(bool on) { g_allow_tf32.store(on); }
bool allow_tf32() { return g_allow_tf32.load(); }
void set_deterministic(bool on) { g_deterministic.store(on); }
bool deterministic() { return g_deterministic.load(); }
}  // namespace cudnn

namespace cuda::detail {
bool deterministic_engines() { return cudnn::deterministic() || are_deterministic_algorithms_enabled(); }
}  // namespace cuda::detail

}  // namespace ember
