// Streams, events and guards of cuda/stream.h: a thread-local current stream per
// device (a small table indexed by device), streams created non-blocking on request.
#include "cuda/stream.h"

#include <atomic>
#include <mutex>
#include <vector>

#include "core/cuda_backend.h"
#include "core/device.h"
#include "core/storage.h"
#include "core/tensor.h"
#include "cuda/cuda_internal.h"

namespace ember::cuda {

namespace {

constexpr int kMaxDevices = 64;

// This thread's current stream per device (default-constructed: the legacy stream).
struct CurrentStreams {
  Stream streams[kMaxDevices];
};
CurrentStreams& current_streams() {
  thread_local CurrentStreams table;
  return table;
}

int checked_device(int device) {
  const int index = device < 0 ? current_device() : device;
  EMBER_CHECK(index < device_count() && index < kMaxDevices, "cuda:", index, " requested, but only ",
              device_count(), " CUDA device(s) are available");
  return index;
}

std::atomic<bool> g_allow_tf32{false};

}  // namespace

Stream::Stream() : device_(is_available() ? current_device() : 0) {}

// Streams come from a per-device pool of kPoolSize (of each kind), made on first use and
// handed out round-robin, never destroyed (as PyTorch's stream pool): a stream that a
// tensor was recorded on (Tensor::record_stream) stays valid until the tensor is freed.
Stream Stream::create(int device, bool non_blocking) {
  constexpr int kPoolSize = 32;
  struct Pool {
    std::mutex mu;
    cudaStream_t streams[kPoolSize] = {};
    unsigned next = 0;
  };
  static Pool pools[kMaxDevices][2];
  const int index = checked_device(device);
  Pool& pool = pools[index][non_blocking ? 1 : 0];
  std::lock_guard<std::mutex> lock(pool.mu);
  cudaStream_t& s = pool.streams[pool.next++ % kPoolSize];
  if (s == nullptr) {
    DeviceGuard guard(index);
    EMBER_CUDA_CHECK(cudaStreamCreateWithFlags(&s, non_blocking ? cudaStreamNonBlocking : cudaStreamDefault));
  }
  return Stream(index, static_cast<void*>(s));
}

Stream Stream::default_stream(int device) { return Stream(checked_device(device), nullptr); }

bool Stream::query() const {
  DeviceGuard guard(device_);
  const cudaError_t err = cudaStreamQuery(static_cast<cudaStream_t>(handle_));
  if (err == cudaErrorNotReady) {
    cudaGetLastError();
    return false;
  }
  EMBER_CUDA_CHECK(err);
  return true;
}

void Stream::synchronize() const {
  DeviceGuard guard(device_);
  EMBER_CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(handle_)));
  detail::check_device_errors();
}

void Stream::wait(const Event& event) const {
  if (event.handle() == nullptr) return;  // never recorded: nothing to wait for, as CUDAEvent::block
  DeviceGuard guard(device_);
  EMBER_CUDA_CHECK(cudaStreamWaitEvent(static_cast<cudaStream_t>(handle_), static_cast<cudaEvent_t>(event.handle()), 0));
}

Event::Event(bool enable_timing) : enable_timing_(enable_timing) {}

void Event::record() { record(current_stream()); }

void Event::record(const Stream& stream) {
  DeviceGuard guard(stream.device_index());
  if (!handle_) {
    cudaEvent_t e = nullptr;
    EMBER_CUDA_CHECK(cudaEventCreateWithFlags(&e, enable_timing_ ? cudaEventDefault : cudaEventDisableTiming));
    handle_ = std::shared_ptr<void>(static_cast<void*>(e), [](void* p) { cudaEventDestroy(static_cast<cudaEvent_t>(p)); });
  }
  EMBER_CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(handle_.get()), static_cast<cudaStream_t>(stream.handle())));
}

bool Event::query() const {
  if (!handle_) return true;
  const cudaError_t err = cudaEventQuery(static_cast<cudaEvent_t>(handle_.get()));
  if (err == cudaErrorNotReady) {
    cudaGetLastError();
    return false;
  }
  EMBER_CUDA_CHECK(err);
  return true;
}

void Event::synchronize() const {
  if (handle_) EMBER_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(handle_.get())));
}

float Event::elapsed_ms(const Event& end) const {
  EMBER_CHECK(handle_ && end.handle_, "Event::elapsed_ms: both events must be recorded first");
  float ms = 0.0f;
  EMBER_CUDA_CHECK(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(handle_.get()),
                                        static_cast<cudaEvent_t>(end.handle_.get())));
  return ms;
}

int current_device() {
  // Without a device cudaGetDevice fails with a driver message; say what is missing instead.
  EMBER_CHECK(device_count() > 0, "no CUDA device is available: CUDA tensors, streams, events and graphs need one ",
              "(cuda::is_available() is false)");
  int dev = 0;
  EMBER_CUDA_CHECK(cudaGetDevice(&dev));
  return dev;
}

void set_device(int index) {
  if (index < 0) return;  // PyTorch's torch.cuda.set_device: a negative index is a no-op
  checked_device(index);
  EMBER_CUDA_CHECK(cudaSetDevice(index));
}

Stream current_stream(int device) {
  const int index = checked_device(device);
  Stream s = current_streams().streams[index];
  return s.handle() == nullptr ? Stream::default_stream(index) : s;
}

void set_current_stream(const Stream& stream) {
  current_streams().streams[checked_device(stream.device_index())] = stream;
}

DeviceGuard::DeviceGuard(int index) : previous_(current_device()) {
  if (index != previous_) set_device(index);
}
DeviceGuard::~DeviceGuard() {
  int now = -1;
  if (cudaGetDevice(&now) == cudaSuccess && now != previous_) cudaSetDevice(previous_);
}

StreamGuard::StreamGuard(const Stream& stream)
    : previous_stream_(current_stream(stream.device_index())), device_guard_(stream.device_index()) {
  set_current_stream(stream);
}
StreamGuard::~StreamGuard() { current_streams().streams[previous_stream_.device_index()] = previous_stream_; }

void set_matmul_allow_tf32(bool allow) { g_allow_tf32.store(allow); }
bool matmul_allow_tf32() { return g_allow_tf32.load(); }

namespace detail {
cudaStream_t current_raw_stream() {
  int dev = 0;
  EMBER_CUDA_CHECK(cudaGetDevice(&dev));
  return static_cast<cudaStream_t>(current_streams().streams[dev].handle());
}
}  // namespace detail

}  // namespace ember::cuda

namespace ember::detail {
// The allocator's stream identity for new CUDA storage (core/storage.cpp).
uintptr_t current_cuda_stream_id(int device) {
  EMBER_INTERNAL_ASSERT(device >= 0 && device < cuda::kMaxDevices, "cuda:", device, " is out of range");
  return reinterpret_cast<uintptr_t>(cuda::current_streams().streams[device].handle());
}
int current_cuda_device_or_zero() { return cuda::device_count() > 0 ? cuda::current_device() : 0; }
}  // namespace ember::detail

namespace ember {

// Defined in cuda/ so that core/ needs nothing from it (core/cuda_backend.h).
void Tensor::record_stream(const cuda::Stream& stream) const {
  EMBER_CHECK(is_cuda(), "record_stream: expected a CUDA tensor, but got a tensor on ", device());
  EMBER_CHECK(stream.device_index() == device().index(), "record_stream: the stream is on cuda:",
              stream.device_index(), " but the tensor on ", device());
  impl().storage->record_stream(stream.id());
}

}  // namespace ember
