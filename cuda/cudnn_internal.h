// What cuda/'s cuDNN users share: the status check, a handle per device, stream and
// thread (bound to the current stream), the dtype mapping, and the conv2d entry points
// of cudnn_conv.cpp (the frontend graphs). Only cuda/ includes this.
#pragma once
#include <cudnn.h>

#include <cstdint>
#include <vector>

#include "core/dispatch.h"
#include "cuda/cudnn.h"

// A cuDNN status other than success names the call, its status string and the device.
#define EMBER_CUDNN_CHECK(call)                                                                        \
  do {                                                                                                 \
    cudnnStatus_t ember_cudnn_status_ = (call);                                                        \
    EMBER_CHECK(ember_cudnn_status_ == CUDNN_STATUS_SUCCESS, "cuDNN error: ",                          \
                cudnnGetErrorString(ember_cudnn_status_), " in ", #call, " on cuda:",                  \
                ::ember::cuda::detail::current_device_index());                                        \
  } while (0)

namespace ember::cuda::detail {

int current_device_index();
// The handle for the current device and stream on this thread (created on first use,
// kept for the process; handles are not shared between threads).
cudnnHandle_t cudnn_handle();
// float32 -> CUDNN_DATA_FLOAT, float64 -> CUDNN_DATA_DOUBLE; anything else an error naming op.
cudnnDataType_t cudnn_dtype(DType dtype, const char* op);
// t's strides as cuDNN is told them: a size-1 dim's stride (free in ember, which a view
// can leave at any value) set to what a dense tensor of the op's layout has there,
// innermost first (W, H, then C for NCHW, or C first for channels-last, then N), as
// PyTorch does for cuDNN: every operand of one op in one layout (a [O, C, 1, 1] weight
// fits both), the same plan for the same shape. `channels_last` is the op's layout.
inline std::vector<int64_t> cudnn_strides(const Tensor& t, bool channels_last) {
  std::vector<int64_t> strides = t.strides().vec();
  const auto& sizes = t.sizes();
  const int dims = static_cast<int>(sizes.size());
  if (dims < 3) return strides;
  channels_last = channels_last && dims == 4;
  std::vector<int> order;  // innermost first
  if (channels_last) order.push_back(1);
  for (int d = dims - 1; d > 1; --d) order.push_back(d);
  if (!channels_last) order.push_back(1);
  order.push_back(0);
  int64_t dense = 1;
  for (int d : order) {
    if (sizes[d] == 1) strides[d] = dense;
    else dense = sizes[d] * strides[d];
  }
  return strides;
}

// The largest power of two (at most 16) dividing t's address: the backend picks engines
// for the alignment it is told (16 unless said), so a view's offset pointer must say less.
inline int64_t alignment_of(const Tensor& t) {
  const auto address = reinterpret_cast<uintptr_t>(t.data_ptr());
  int64_t alignment = 16;
  while (alignment > 1 && address % static_cast<uintptr_t>(alignment) != 0) alignment /= 2;
  return alignment;
}

}  // namespace ember::cuda::detail
