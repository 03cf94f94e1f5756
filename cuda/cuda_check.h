// Error macros for CUDA calls: EMBER_CUDA_CHECK(call) after every runtime call and
// EMBER_CUDA_LAUNCH_CHECK() after every kernel launch. Failures throw ember::Error
// naming the call, the current device and the place; OOM throws OutOfMemoryError.
#pragma once
#include <cuda_runtime_api.h>

#include "core/error.h"

namespace ember::cuda::detail {
[[noreturn]] void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line);
}

#define EMBER_CUDA_CHECK(call)                                                         \
  do {                                                                                 \
    cudaError_t ember_cuda_err_ = (call);                                              \
    if (EMBER_UNLIKELY(ember_cuda_err_ != cudaSuccess)) {                              \
      ::ember::cuda::detail::throw_cuda_error(ember_cuda_err_, #call, __FILE__, __LINE__); \
    }                                                                                  \
  } while (0)

#define EMBER_CUDA_LAUNCH_CHECK() EMBER_CUDA_CHECK(cudaGetLastError())
