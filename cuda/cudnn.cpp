// cuDNN handles (one per device, stream and thread, like PyTorch's pool: a handle is
// bound to a stream with cudnnSetStream and is not shared across threads) and the
// torch.backends.cudnn-style settings.
#include "cuda/cudnn_internal.h"

#include <atomic>
#include <map>
#include <utility>

#include "core/deterministic.h"
#include "cuda/cuda_internal.h"
#include "cuda/cudnn_plan.h"
#include "cuda/stream.h"

namespace ember {

namespace cudnn {
namespace {
std::atomic<bool> g_benchmark{false};
std::atomic<bool> g_allow_tf32{true};
std::atomic<bool> g_deterministic{false};
}  // namespace

bool is_available() { return cuda::is_available() && cudnnGetVersion() > 0; }
int64_t version() { return static_cast<int64_t>(cudnnGetVersion()); }
void set_benchmark(bool on) { g_benchmark.store(on); }
bool benchmark() { return g_benchmark.load(); }
void set_allow_tf32(bool on) { g_allow_tf32.store(on); }
bool allow_tf32() { return g_allow_tf32.load(); }
void set_deterministic(bool on) { g_deterministic.store(on); }
bool deterministic() { return g_deterministic.load(); }
}  // namespace cudnn

namespace cuda::detail {

bool deterministic_engines() { return cudnn::deterministic() || are_deterministic_algorithms_enabled(); }

cudnnHandle_t cudnn_handle() {
  // Never destroyed: handles may be used until the process ends (as streams are).
  thread_local auto* handles = new std::map<std::pair<int, cudaStream_t>, cudnnHandle_t>();
  const int device = current_device_index();
  cudaStream_t stream = current_raw_stream();
  cudnnHandle_t& handle = (*handles)[{device, stream}];
  if (handle == nullptr) {
    EMBER_CUDNN_CHECK(cudnnCreate(&handle));
    EMBER_CUDNN_CHECK(cudnnSetStream(handle, stream));
  }
  return handle;
}

cudnnDataType_t cudnn_dtype(DType dtype, const char* op) {
  if (dtype == kFloat32) return CUDNN_DATA_FLOAT;
  if (dtype == kFloat64) return CUDNN_DATA_DOUBLE;
  EMBER_FAIL(op, " on CUDA: cuDNN supports float32 and float64 here, but got ", dtype_name(dtype));
}

}  // namespace cuda::detail

}  // namespace ember
