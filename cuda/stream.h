// CUDA streams, events and guards (no CUDA headers: handles are opaque). Each device
// has a current stream per thread (the legacy default stream unless a StreamGuard or
// set_current_stream says otherwise); ops launch on it and the allocator reuses a
// block only on the stream that allocated it (Tensor::record_stream for other uses).
#pragma once
#include <cstdint>
#include <memory>

namespace ember::cuda {

class Event;

class Stream {
 public:
  // The default (legacy) stream of the current device.
  Stream();
  // A stream on `device` (-1: the current device) from its pool of 32, round-robin
  // (PyTorch's torch.cuda.Stream()); non-blocking by default, so it does not
  // synchronise with the legacy default stream. Pool streams live as long as the process.
  static Stream create(int device = -1, bool non_blocking = true);
  static Stream default_stream(int device = -1);

  int device_index() const { return device_; }
  void* handle() const { return handle_; }  // the cudaStream_t
  uintptr_t id() const { return reinterpret_cast<uintptr_t>(handle_); }
  bool query() const;        // true when all work queued so far has completed
  void synchronize() const;  // blocks the host until it has
  // Later work on this stream waits for event; an event never recorded is no wait (PyTorch's).
  void wait(const Event& event) const;

  bool operator==(const Stream& other) const { return device_ == other.device_ && handle_ == other.handle_; }

 private:
  Stream(int device, void* handle) : device_(device), handle_(handle) {}
  int device_ = 0;
  void* handle_ = nullptr;  // nullptr = the legacy default stream
};

// An event on one device; timing enabled unless asked otherwise.
class Event {
 public:
  explicit Event(bool enable_timing = true);
  void record();  // on the current stream (torch.cuda.Event.record())
  void record(const Stream& stream);
  bool query() const;
  void synchronize() const;
  float elapsed_ms(const Event& end) const;  // both recorded and complete
  void* handle() const { return handle_.get(); }

 private:
  std::shared_ptr<void> handle_;  // the cudaEvent_t (created lazily on the current device)
  bool enable_timing_;
};

// The current device of this thread.
int current_device();
void set_device(int index);

// The current stream of a device (-1: the current device) for this thread.
Stream current_stream(int device = -1);
void set_current_stream(const Stream& stream);

// Makes `index` the current device for a scope.
class DeviceGuard {
 public:
  explicit DeviceGuard(int index);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_;
};

// Makes `stream` (and its device) current for a scope.
class StreamGuard {
 public:
  explicit StreamGuard(const Stream& stream);
  ~StreamGuard();
  StreamGuard(const StreamGuard&) = delete;
  StreamGuard& operator=(const StreamGuard&) = delete;

 private:
  Stream previous_stream_;
  DeviceGuard device_guard_;
};

// TF32 tensor cores for float32 matmul (cuBLAS); off by default, as in PyTorch.
void set_matmul_allow_tf32(bool allow);
bool matmul_allow_tf32();

}  // namespace ember::cuda
