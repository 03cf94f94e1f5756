// cuDNN handles (one per device, stream and thread, like PyTorch's pool: a handle is
// bound to a stream with cudnnSetStream and is not shared across threads); the
// torch.backends.cudnn-style settings are in cuda/cudnn_settings.cpp.
#include "cuda/cudnn_internal.h"

#include <map>
#include <utility>

#include "cuda/cuda_internal.h"
#include "cuda/stream.h"

namespace ember {

namespace cudnn {  // the settings: cuda/cudnn_settings.cpp
bool is_available() { return cuda::is_available() && cudnnGetVersion() > 0; }
int64_t version() { return static_cast<int64_t>(cudnnGetVersion()); }
}  // namespace cudnn

namespace cuda::detail {

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
