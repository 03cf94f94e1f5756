// Copies between the host and CUDA devices (native::to_device). Host -> device goes
// through pinned staging buffers so the host does not wait for the transfer; device
// -> host waits on the stream (the caller reads the data next) and then surfaces any
// error a kernel reported. Device -> device uses peer copies.
#include <cstring>
#include <mutex>
#include <vector>

#include "core/cuda_backend.h"
#include "core/dispatch.h"
#include "cuda/cuda_internal.h"
#include "cuda/graph.h"
#include "cuda/stream.h"

namespace ember {

namespace {

// Pinned host buffers reused once the copy that last used each one has completed.
class PinnedStaging {
 public:
  static PinnedStaging& instance() {
    static PinnedStaging* staging = new PinnedStaging();  // lives to process exit (no CUDA calls at teardown)
    return *staging;
  }

  // Copies `bytes` of host memory into a free pinned buffer and queues its transfer
  // to `dst` on `stream`; the buffer is reusable after the transfer.
  void host_to_device(void* dst, const void* src, size_t bytes, cudaStream_t stream) {
    std::lock_guard<std::mutex> lock(mu_);
    Buffer& buffer = free_buffer(bytes);
    std::memcpy(buffer.ptr, src, bytes);
    EMBER_CUDA_CHECK(cudaMemcpyAsync(dst, buffer.ptr, bytes, cudaMemcpyHostToDevice, stream));
    EMBER_CUDA_CHECK(cudaEventRecord(buffer.done, stream));
  }

 private:
  struct Buffer {
    void* ptr;
    size_t bytes;
    cudaEvent_t done;
  };
  static constexpr size_t kMinBuffer = size_t{1} << 20;
  static constexpr size_t kMaxBuffers = 8;

  Buffer& free_buffer(size_t bytes) {
    for (Buffer& b : buffers_) {
      if (b.bytes < bytes) continue;
      const cudaError_t state = cudaEventQuery(b.done);
      if (state == cudaSuccess) return b;
      if (state != cudaErrorNotReady) EMBER_CUDA_CHECK(state);
      cudaGetLastError();
    }
    if (buffers_.size() >= kMaxBuffers) {  // replace the smallest buffer, after its copy ends
      auto smallest = buffers_.begin();
      for (auto it = buffers_.begin(); it != buffers_.end(); ++it)
        if (it->bytes < smallest->bytes) smallest = it;
      EMBER_CUDA_CHECK(cudaEventSynchronize(smallest->done));
      EMBER_CUDA_CHECK(cudaFreeHost(smallest->ptr));
      EMBER_CUDA_CHECK(cudaEventDestroy(smallest->done));
      buffers_.erase(smallest);
    }
    size_t size = kMinBuffer;
    while (size < bytes) size *= 2;
    Buffer b{nullptr, size, nullptr};
    EMBER_CUDA_CHECK(cudaHostAlloc(&b.ptr, size, cudaHostAllocDefault));
    EMBER_CUDA_CHECK(cudaEventCreateWithFlags(&b.done, cudaEventDisableTiming));
    buffers_.push_back(b);
    return buffers_.back();
  }

  std::mutex mu_;
  std::vector<Buffer> buffers_;
};

// Small copies from the host go straight from pageable memory (the driver stages them).
constexpr size_t kStagingThreshold = size_t{64} << 10;

}  // namespace

void copy_across_devices(const Tensor& src, const Tensor& dst) {
  EMBER_INTERNAL_ASSERT(src.is_contiguous() && dst.is_contiguous() && src.nbytes() == dst.nbytes() &&
                            src.dtype() == dst.dtype(),
                        "copy_across_devices: expected contiguous tensors of one size and dtype");
  const size_t bytes = dst.nbytes();
  if (bytes == 0) return;
  if (src.is_cpu() && dst.is_cuda()) {
    cuda::DeviceGuard guard(dst.device().index());
    // Captured, a copy from host memory would replay whatever the buffer holds then.
    cuda::check_not_capturing("a host-to-device copy (a tensor made from host data, to(cuda))");
    cudaStream_t stream = cuda::detail::current_raw_stream();
    if (bytes >= kStagingThreshold) {
      PinnedStaging::instance().host_to_device(dst.data_ptr(), src.data_ptr(), bytes, stream);
    } else {
      EMBER_CUDA_CHECK(cudaMemcpyAsync(dst.data_ptr(), src.data_ptr(), bytes, cudaMemcpyHostToDevice, stream));
    }
    return;
  }
  if (src.is_cuda() && dst.is_cpu()) {
    cuda::DeviceGuard guard(src.device().index());
    cuda::check_not_capturing("a device-to-host copy (item(), to(cpu), to_vector)");  // Note [CUDA graph capture]
    cudaStream_t stream = cuda::detail::current_raw_stream();
    EMBER_CUDA_CHECK(cudaMemcpyAsync(dst.data_ptr(), src.data_ptr(), bytes, cudaMemcpyDeviceToHost, stream));
    EMBER_CUDA_CHECK(cudaStreamSynchronize(stream));
    cuda::detail::check_device_errors();
    return;
  }
  EMBER_INTERNAL_ASSERT(src.is_cuda() && dst.is_cuda(), "copy_across_devices: ", src.device(), " -> ", dst.device());
  // Ordered after the source's current stream, queued on the destination's.
  cuda::DeviceGuard guard(dst.device().index());
  cuda::Event source_ready(false);
  source_ready.record(cuda::current_stream(src.device().index()));
  cuda::Stream dst_stream = cuda::current_stream(dst.device().index());
  dst_stream.wait(source_ready);
  EMBER_CUDA_CHECK(cudaMemcpyPeerAsync(dst.data_ptr(), dst.device().index(), src.data_ptr(), src.device().index(),
                                       bytes, static_cast<cudaStream_t>(dst_stream.handle())));
  src.record_stream(dst_stream);
}

}  // namespace ember
