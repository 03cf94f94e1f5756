// CUDA runtime basics: device discovery that never throws without a driver or GPU,
// synchronize, error reporting, and the cudaMalloc backend of the caching allocator.
#include <cuda_runtime_api.h>

#include <memory>
#include <mutex>

#include "core/cuda_backend.h"
#include "core/allocator/caching_allocator.h"
#include "core/device.h"
#include "core/logging.h"
#include "cuda/cuda_internal.h"
#include "cuda/graph.h"
#include "cuda/stream.h"

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
int current_device_index() { return cuda::current_device(); }

unsigned long long* device_error_word() {
  constexpr int kMaxDevices = 64;
  static unsigned long long* words[kMaxDevices] = {};
  static std::mutex mu;
  const int dev = current_device_index();
  EMBER_CHECK(dev < kMaxDevices, "cuda:", dev, " is beyond the ", kMaxDevices, " devices ember supports");
  std::lock_guard<std::mutex> lock(mu);
  if (words[dev] == nullptr) {
    void* p = nullptr;
    EMBER_CUDA_CHECK(cudaMalloc(&p, 2 * sizeof(unsigned long long)));
    EMBER_CUDA_CHECK(cudaMemset(p, 0, 2 * sizeof(unsigned long long)));
    words[dev] = static_cast<unsigned long long*>(p);
  }
  return words[dev];
}

void check_device_errors() {
  unsigned long long* word = device_error_word();
  unsigned long long host[2] = {0, 0};
  EMBER_CUDA_CHECK(cudaMemcpy(host, word, sizeof(host), cudaMemcpyDeviceToHost));
  if (host[0] == kNoDeviceError) return;
  EMBER_CUDA_CHECK(cudaMemset(word, 0, sizeof(host)));
  if (host[0] == kTargetOutOfBounds) EMBER_FAIL("Target ", static_cast<long long>(host[1]), " is out of bounds.");
  if (host[0] == kBceInputOutOfRange)
    EMBER_FAIL("all elements of ", host[1] == 0 ? "input" : "target",
               " should be between 0 and 1 (a CUDA binary_cross_entropy met one outside)");
  if (host[0] == kIndexOutOfRange) {
    EMBER_FAIL("index out of range in self: a CUDA index_select (or its backward) met index ",
               static_cast<long long>(host[1]));
  }
  if ((host[0] & 0xff) == kGatherIndexOutOfBounds) {
    EMBER_FAIL("index ", static_cast<long long>(host[1]), " is out of bounds for dimension ", (host[0] >> 8) & 0xff,
               " with size ", host[0] >> 16, " (a CUDA gather or scatter met it)");
  }
  EMBER_FAIL("a CUDA kernel reported error kind ", host[0], " (value ", host[1], ")");
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

namespace {
void check_device_index(int device, const char* what) {
  EMBER_CHECK(device >= 0 && device < device_count(), what, ": invalid device ordinal ", device, " (",
              device_count() == 0 ? std::string("no CUDA device is available")
                                  : ember::detail::str_cat(device_count(), " CUDA devices"),
              ")");
}
}  // namespace

DeviceProperties get_device_properties(int device) {
  check_device_index(device, "get_device_properties");
  cudaDeviceProp prop{};
  EMBER_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  return DeviceProperties{.name = prop.name,
                          .major = prop.major,
                          .minor = prop.minor,
                          .total_memory = prop.totalGlobalMem,
                          .multi_processor_count = prop.multiProcessorCount};
}
std::string get_device_name(int device) { return get_device_properties(device).name; }

std::pair<size_t, size_t> mem_get_info(int device) {
  check_device_index(device, "mem_get_info");
  int previous = 0;
  EMBER_CUDA_CHECK(cudaGetDevice(&previous));
  EMBER_CUDA_CHECK(cudaSetDevice(device));
  size_t free_bytes = 0, total_bytes = 0;
  const cudaError_t err = cudaMemGetInfo(&free_bytes, &total_bytes);
  cudaSetDevice(previous);
  EMBER_CUDA_CHECK(err);
  return {free_bytes, total_bytes};
}

void synchronize() {
  if (!is_available()) return;
  check_not_capturing("cuda::synchronize()");  // Note [CUDA graph capture]
  EMBER_CUDA_CHECK(cudaDeviceSynchronize());
  detail::check_device_errors();
}

}  // namespace cuda

namespace {

// Raw cudaMalloc/cudaFree for one device; nullptr on out-of-memory so the caching
// allocator can free its cache and retry.
class CudaBackend final : public RawBackend {
 public:
  explicit CudaBackend(int index) : index_(index) {}
  void* raw_alloc(size_t bytes) override {
    cuda::DeviceGuard guard(index_);
    void* ptr = nullptr;
    // A capture in ThreadLocal mode forbids this thread "unsafe" calls such as cudaMalloc;
    // a segment for a graph's private pool is one that must be allowed (Note [CUDA graph
    // capture] in cuda/graph.h), so the call runs in Relaxed mode, as PyTorch's does.
    cudaStreamCaptureMode mode = cudaStreamCaptureModeRelaxed;
    EMBER_CUDA_CHECK(cudaThreadExchangeStreamCaptureMode(&mode));
    const cudaError_t err = cudaMalloc(&ptr, bytes);
    cudaThreadExchangeStreamCaptureMode(&mode);
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      return nullptr;
    }
    EMBER_CUDA_CHECK(err);
    return ptr;
  }
  void raw_free(void* ptr, size_t) override {
    cuda::DeviceGuard guard(index_);
    EMBER_CUDA_CHECK(cudaFree(ptr));
  }
  Device device() const override { return Device::cuda(index_); }
  void* record_event(StreamId stream) override {
    cuda::DeviceGuard guard(index_);
    cudaEvent_t event = nullptr;
    EMBER_CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
    EMBER_CUDA_CHECK(cudaEventRecord(event, reinterpret_cast<cudaStream_t>(stream)));
    return event;
  }
  bool query_event(void* event) override {
    const cudaError_t err = cudaEventQuery(static_cast<cudaEvent_t>(event));
    if (err == cudaErrorNotReady) {
      cudaGetLastError();
      return false;
    }
    EMBER_CUDA_CHECK(err);
    return true;
  }
  bool capturing() const override { return cuda::is_current_stream_capturing(); }
  void wait_event(void* event) override { EMBER_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(event))); }
  void destroy_event(void* event) override { EMBER_CUDA_CHECK(cudaEventDestroy(static_cast<cudaEvent_t>(event))); }
  size_t total_memory() const override { return mem_info().second; }
  size_t free_memory() const override { return mem_info().first; }

 private:
  std::pair<size_t, size_t> mem_info() const {
    cuda::DeviceGuard guard(index_);
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
