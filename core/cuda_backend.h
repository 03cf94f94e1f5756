// The CUDA entry points core/ needs, in one place: defined in cuda/ in a CUDA build and
// by cuda/stub otherwise, so core/ includes no CUDA header and nothing from cuda/.
// (Tensor::record_stream, declared in core/tensor.h, is defined there too.)
#pragma once
#include <cstdint>
#include <memory>

#include "core/allocator/caching_allocator.h"
#include "core/dispatch.h"

namespace ember {

// The CUDA DeviceOps table (cuda/device_ops.cpp); null without CUDA.
const DeviceOps* cuda_ops();

// Copies the bytes of contiguous src into contiguous dst (same shape and dtype) on
// another device: host<->CUDA or CUDA<->CUDA (cuda/transfer.cpp; the stub throws).
// Copies to the host return once the data is there; copies from the host may return
// before the device has it (the source was staged), ordered on the current stream.
void copy_across_devices(const Tensor& src, const Tensor& dst);

namespace detail {
// The cudaMalloc backend for cuda:index (cuda/runtime.cpp; cuda/stub throws).
std::unique_ptr<RawBackend> make_cuda_backend(int index);
// The current CUDA stream of a device as the allocator's StreamId (cuda/streams.cpp).
uintptr_t current_cuda_stream_id(int device);
// The current CUDA device (cuda::set_device), 0 where there is no GPU (cuda/streams.cpp;
// cuda/stub gives 0), for Device("cuda").
int current_cuda_device_or_zero();
}  // namespace detail

}  // namespace ember
