// Scratch memory for CUDA libraries (cuBLAS now, cuDNN later), one buffer per device
// and stream, taken from the caching allocator on that stream (so it shows in
// memory::stats and is only ever used in that stream's order), grown on demand and
// kept for the life of the process.
#include <map>
#include <mutex>
#include <utility>

#include "core/allocator/caching_allocator.h"
#include "cuda/cuda_internal.h"

namespace ember::cuda::detail {

void* stream_workspace(size_t bytes) {
  struct Buffer {
    Allocation allocation;
    size_t bytes = 0;
  };
  static std::mutex mu;
  static auto* buffers = new std::map<std::pair<int, cudaStream_t>, Buffer>();  // never destroyed
  const int device = current_device_index();
  cudaStream_t stream = current_raw_stream();
  std::lock_guard<std::mutex> lock(mu);
  Buffer& buffer = (*buffers)[{device, stream}];
  if (buffer.bytes < bytes) {
    CachingAllocator& allocator = allocator_for(Device::cuda(device));
    if (buffer.allocation.block != nullptr) allocator.deallocate(buffer.allocation.block);
    buffer = Buffer{};
    buffer.allocation = allocator.allocate(bytes, reinterpret_cast<StreamId>(stream));
    buffer.bytes = bytes;
  }
  return buffer.allocation.ptr;
}

}  // namespace ember::cuda::detail
