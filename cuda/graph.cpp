// cuda::Graph over cudaStreamBeginCapture / cudaStreamEndCapture / cudaGraphLaunch, with
// the allocations of the capture in a private pool (Note [CUDA graph capture] in
// cuda/graph.h), and the check that refuses host synchronisation inside a capture.
#include "cuda/graph.h"

#include <cuda_runtime_api.h>

#include <optional>

#include "core/factories.h"
#include "core/logging.h"
#include "core/random.h"
#include "cuda/cuda_internal.h"
#include "cuda/cudnn_internal.h"
#include "cuda/stream.h"

namespace ember::cuda {

struct Graph::State {
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  std::shared_ptr<memory::PrivatePool> pool;
  std::optional<memory::PrivatePoolScope> pool_scope;
  std::optional<Stream> side;
  std::optional<StreamGuard> stream_guard;
  Stream previous;
  Tensor rng_state;  // kInt64 [2] on the device: [seed, base offset] of the next replay
  uint64_t rng_counters = 0;
  // The last replay that read rng_state, and its stream: a replay on another stream
  // waits for it before writing the words again.
  std::optional<Event> rng_read;
  Stream rng_stream;
  int device = -1;
  bool capturing = false;
};

Graph::Graph() : state_(std::make_unique<State>()) {}

Graph::~Graph() {
  try {
    reset();
  } catch (const std::exception& e) {
    logging::error("destroying a CUDA graph failed: {}", e.what());
  }
}

void Graph::capture_begin(std::shared_ptr<memory::PrivatePool> pool) { begin(std::nullopt, std::move(pool)); }

void Graph::capture_begin(const Stream& stream, std::shared_ptr<memory::PrivatePool> pool) {
  EMBER_CHECK(stream.handle() != nullptr, "Graph::capture_begin: expected a stream made by Stream::create, but got "
              "the legacy default stream, which cannot be captured");
  begin(stream, std::move(pool));
}

void Graph::begin(std::optional<Stream> stream, std::shared_ptr<memory::PrivatePool> pool) {
  State& s = *state_;
  EMBER_CHECK(!s.capturing, "Graph::capture_begin: this graph is already capturing");
  EMBER_CHECK(s.exec == nullptr, "Graph::capture_begin: this graph was already captured; call reset() first");
  s.device = current_device();
  EMBER_CHECK(pool == nullptr || pool->device() == Device::cuda(s.device), "Graph::capture_begin: the pool is on ",
              pool ? pool->device().str() : "", " but the capture is on cuda:", s.device);
  s.pool = pool ? std::move(pool) : std::make_shared<memory::PrivatePool>(Device::cuda(s.device));
  s.previous = current_stream(s.device);
  EMBER_CHECK(!stream || stream->device_index() == s.device, "Graph::capture_begin: the stream is on cuda:",
              stream ? stream->device_index() : -1, " but the current device is cuda:", s.device);
  s.side = stream ? *stream : Stream::create(s.device);
  // cuDNN dropout's state is re-seeded here, not in the graph (Note [cuDNN dropout in
  // CUDA graphs]); on the previous stream, so the capture comes after it.
  {
    StreamGuard on_previous(s.previous);
    cuda_kernels::refresh_dropout_after_reseed(s.device);
  }
  Event ready(false);
  ready.record(s.previous);
  s.side->wait(ready);  // the capture comes after the work queued so far
  s.stream_guard.emplace(*s.side);
  // What a capture may not create (cudaMalloc, synchronous memsets, library handles),
  // made now for this thread, device and capture stream: the device error word, cuBLAS's
  // handle and the stream's workspace, cuDNN's handle for the stream.
  try {
    detail::device_error_word();
    cuda_kernels::prepare_cublas();
    if (cudnn::is_available()) detail::cudnn_handle();
  } catch (...) {
    s.stream_guard.reset();
    throw;
  }
  s.pool_scope.emplace(s.pool);
  auto undo = [&s] {
    s.pool_scope.reset();
    s.stream_guard.reset();
    s.rng_state = Tensor();
  };
  try {
    // The replays' random base (Note [Graph-safe random numbers]), in the graph's pool so
    // it goes with the pool; written before each replay, never read before.
    s.rng_state = make_empty({2}, kInt64, Device::cuda(s.device));
    default_generator().begin_capture(Device::cuda(s.device), static_cast<const uint64_t*>(s.rng_state.data_ptr()));
  } catch (...) {
    undo();
    throw;
  }
  const cudaError_t began = cudaStreamBeginCapture(static_cast<cudaStream_t>(s.side->handle()),
                                                   cudaStreamCaptureModeThreadLocal);
  if (began != cudaSuccess) {
    default_generator().end_capture();
    undo();
    EMBER_CUDA_CHECK(began);
  }
  s.capturing = true;
}

void Graph::capture_end() {
  State& s = *state_;
  EMBER_CHECK(s.capturing, "Graph::capture_end: capture_begin was not called");
  s.capturing = false;
  s.rng_counters = default_generator().end_capture();
  const cudaError_t ended = cudaStreamEndCapture(static_cast<cudaStream_t>(s.side->handle()), &s.graph);
  s.pool_scope.reset();
  s.stream_guard.reset();
  if (ended != cudaSuccess) (void)cudaGetLastError();  // reported here, not by the next launch
  EMBER_CUDA_CHECK(ended);
  EMBER_CUDA_CHECK(cudaGraphInstantiate(&s.exec, s.graph, 0));
  Event done(false);
  done.record(*s.side);
  s.previous.wait(done);
}

void Graph::replay() {
  State& s = *state_;
  EMBER_CHECK(s.exec != nullptr, "Graph::replay: nothing captured (call capture_begin and capture_end first)");
  DeviceGuard guard(s.device);
  cuda_kernels::refresh_dropout_after_reseed(s.device);  // Note [cuDNN dropout in CUDA graphs]
  const Stream stream = current_stream(s.device);
  if (s.rng_counters > 0) {  // this replay's counters, reserved as eager draws would be
    if (s.rng_read && !(s.rng_stream == stream)) stream.wait(*s.rng_read);
    const PhiloxArgs base = default_generator().reserve(s.rng_counters);
    cuda_kernels::write_philox_state(static_cast<uint64_t*>(s.rng_state.data_ptr()), base.seed, base.offset);
  }
  EMBER_CUDA_CHECK(cudaGraphLaunch(s.exec, static_cast<cudaStream_t>(stream.handle())));
  if (s.rng_counters > 0) {
    if (!s.rng_read) s.rng_read.emplace(false);
    s.rng_read->record(stream);
    s.rng_stream = stream;
  }
}

void Graph::reset() {
  State& s = *state_;
  if (s.capturing) {  // abandon the capture
    cudaGraph_t partial = nullptr;
    if (cudaStreamEndCapture(static_cast<cudaStream_t>(s.side->handle()), &partial) != cudaSuccess) {
      (void)cudaGetLastError();  // an invalidated capture's error: not the next launch's
    }
    if (partial) cudaGraphDestroy(partial);
    default_generator().end_capture();
    s.pool_scope.reset();
    s.stream_guard.reset();
    s.capturing = false;
  }
  if (s.exec) EMBER_CUDA_CHECK(cudaGraphExecDestroy(s.exec));
  if (s.graph) EMBER_CUDA_CHECK(cudaGraphDestroy(s.graph));
  s.exec = nullptr;
  s.graph = nullptr;
  s.rng_state = Tensor();  // before the pool, so its segment is wholly free when released
  s.pool.reset();
  s.rng_counters = 0;
  s.rng_read.reset();
}

bool Graph::captured() const { return state_->exec != nullptr; }
std::shared_ptr<memory::PrivatePool> Graph::pool() const { return state_->pool; }
uint64_t Graph::random_counters() const { return state_->rng_counters; }

bool is_current_stream_capturing() {
  if (!is_available()) return false;
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  EMBER_CUDA_CHECK(cudaStreamIsCapturing(detail::current_raw_stream(), &status));
  return status != cudaStreamCaptureStatusNone;
}

void check_not_capturing(const char* op) {
  EMBER_CHECK(!is_current_stream_capturing(), op,
              " is not allowed while a CUDA graph is being captured: it waits for the device (or reads device "
              "memory on the host), which a capture cannot do. Move it out of the captured step "
              "(Note [CUDA graph capture]).");
}

}  // namespace ember::cuda
