// CUDA runtime basics: device discovery that never throws without a driver or GPU,
// synchronize, error reporting, and the cudaMalloc backend of the caching allocator.
#include <cuda_runtime_api.h>

#include <memory>

#include "core/allocator/caching_allocator.h"
#include "core/device.h"
#include "core/logging.h"
#include "cuda/cuda_check.h"

namespace ember {

namespace cuda {

namespace detail {
void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line) {
  int dev = -1;
  cudaGetDevice(&dev);
  cudaGetLastError();  // clear the sticky non-fatal error so later calls are not blamed
  std::string msg = ::ember::detail::str_cat("CUDA error: ", cudaGetErrorString(err), " (",
                                             cudaGetErrorName(err), ") in ", call, " on cuda:", dev,
                                             " at ", file, ":", line);
  if (err == cudaErrorMemoryAllocation) throw OutOfMemoryError(msg, file, line);
  throw Error(msg, file, line);
}
}  // namespace detail

int device_count() {
  static const int count = [] {
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess) {
      cudaGetLastError();
      logging::debug("no CUDA device: {}", cudaGetErrorString(err));
      return 0;
    }
    return n;
  }();
  return count;
}

bool is_available() { return device_count() > 0; }

void synchronize() {
  if (!is_available()) return;
  EMBER_CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace cuda

namespace {

// Raw cudaMalloc/cudaFree for one device; nullptr on out-of-memory so the caching
// allocator can free its cache and retry.
class CudaBackend final : public RawBackend {
 public:
  explicit CudaBackend(int index) : index_(index) {}
  void* raw_alloc(size_t bytes) override {
    DeviceScope scope(index_);
    void* ptr = nullptr;
    cudaError_t err = cudaMalloc(&ptr, bytes);
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      return nullptr;
    }
    EMBER_CUDA_CHECK(err);
    return ptr;
  }
  void raw_free(void* ptr, size_t) override {
    DeviceScope scope(index_);
    EMBER_CUDA_CHECK(cudaFree(ptr));
  }
  Device device() const override { return Device::cuda(index_); }
  size_t total_memory() const override { return mem_info().second; }
  size_t free_memory() const override { return mem_info().first; }

 private:
  struct DeviceScope {
    explicit DeviceScope(int index) {
      EMBER_CUDA_CHECK(cudaGetDevice(&previous));
      if (previous != index) EMBER_CUDA_CHECK(cudaSetDevice(index));
    }
    ~DeviceScope() { cudaSetDevice(previous); }
    int previous = 0;
  };
  std::pair<size_t, size_t> mem_info() const {
    DeviceScope scope(index_);
    size_t free_b = 0, total_b = 0;
    if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) cudaGetLastError();
    return {free_b, total_b};
  }
  int index_;
};

}  // namespace

namespace detail {
std::unique_ptr<RawBackend> make_cuda_backend(int index) {
  EMBER_CHECK(index >= 0 && index < cuda::device_count(), "cuda:", index,
              " requested, but only ", cuda::device_count(), " CUDA device(s) are available");
  return std::make_unique<CudaBackend>(index);
}
}  // namespace detail

}  // namespace ember
