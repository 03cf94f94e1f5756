// What cuda/'s cuDNN users share: the status check, a handle per device, stream and
// thread (bound to the current stream), the dtype mapping, and the conv2d entry points
// of cudnn_conv.cpp (the frontend graphs). Only cuda/ includes this.
#pragma once
#include <cudnn.h>

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

}  // namespace ember::cuda::detail
