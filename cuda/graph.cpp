// cuda::Graph over cudaStreamBeginCapture / cudaStreamEndCapture / cudaGraphLaunch, with
// the allocations of the capture in a private pool (Note [CUDA graph capture] in
// cuda/graph.h), and the check that refuses host synchronisation inside a capture.
#include "cuda/graph.h"

#include <cuda_runtime_api.h>

#include <optional>

#include "core/logging.h"
#include "cuda/cuda_internal.h"
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

void Graph::capture_begin(std::shared_ptr<memory::PrivatePool> pool) {
  State& s = *state_;
  EMBER_CHECK(!s.capturing, "Graph::capture_begin: this graph is already capturing");
  EMBER_CHECK(s.exec == nullptr, "Graph::capture_begin: this graph was already captured; call reset() first");
  s.device = current_device();
  EMBER_CHECK(pool == nullptr || pool->device() == Device::cuda(s.device), "Graph::capture_begin: the pool is on ",
              pool ? pool->device().str() : "", " but the capture is on cuda:", s.device);
  s.pool = pool ? std::move(pool) : std::make_shared<memory::PrivatePool>(Device::cuda(s.device));
  s.previous = current_stream(s.device);
  s.side = Stream::create(s.device);
  Event ready(false);
  ready.record(s.previous);
  s.side->wait(ready);  // the capture comes after the work queued so far
  s.stream_guard.emplace(*s.side);
  s.pool_scope.emplace(s.pool);
  EMBER_CUDA_CHECK(cudaStreamBeginCapture(static_cast<cudaStream_t>(s.side->handle()),
                                          cudaStreamCaptureModeThreadLocal));
  s.capturing = true;
}

void Graph::capture_end() {
  State& s = *state_;
  EMBER_CHECK(s.capturing, "Graph::capture_end: capture_begin was not called");
  s.capturing = false;
  const cudaError_t ended = cudaStreamEndCapture(static_cast<cudaStream_t>(s.side->handle()), &s.graph);
  s.pool_scope.reset();
  s.stream_guard.reset();
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
  EMBER_CUDA_CHECK(cudaGraphLaunch(s.exec, detail::current_raw_stream()));
}

void Graph::reset() {
  State& s = *state_;
  if (s.capturing) {  // abandon the capture
    cudaGraph_t partial = nullptr;
    cudaStreamEndCapture(static_cast<cudaStream_t>(s.side->handle()), &partial);
    if (partial) cudaGraphDestroy(partial);
    s.pool_scope.reset();
    s.stream_guard.reset();
    s.capturing = false;
  }
  if (s.exec) EMBER_CUDA_CHECK(cudaGraphExecDestroy(s.exec));
  if (s.graph) EMBER_CUDA_CHECK(cudaGraphDestroy(s.graph));
  s.exec = nullptr;
  s.graph = nullptr;
  s.pool.reset();
}

bool Graph::captured() const { return state_->exec != nullptr; }
std::shared_ptr<memory::PrivatePool> Graph::pool() const { return state_->pool; }

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
