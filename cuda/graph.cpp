// cuda::Graph over cudaStreamBeginCapture / cudaStreamEndCapture / cudaGraphLaunch, with
// the allocations of the capture in a private pool (Note [CUDA graph capture] in
// cuda/graph.h), the check that refuses host synchronisation inside a capture, and the
// listing of what a capture holds (cuda/graph_nodes.h).
#include "cuda/graph.h"

#include <cuda.h>
#include <cudaTypedefs.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/factories.h"
#include "core/logging.h"
#include "core/random.h"
#include "cuda/cuda_internal.h"
#include "cuda/cudnn_internal.h"
#include "cuda/graph_nodes.h"
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

namespace {

// A driver function through the runtime's entry points (ember links no libcuda), or null
// where this driver lacks it.
template <typename Fn>
Fn driver_function(const char* symbol, unsigned version) {
  void* fn = nullptr;
  cudaDriverEntryPointQueryResult found = cudaDriverEntryPointSymbolNotFound;
  if (cudaGetDriverEntryPointByVersion(symbol, &fn, version, cudaEnableDefault, &found) != cudaSuccess ||
      found != cudaDriverEntryPointSuccess) {
    (void)cudaGetLastError();
    return nullptr;
  }
  return reinterpret_cast<Fn>(fn);
}

// A kernel node's name: its CUfunction's, or its CUkernel's (a library's launch through
// cuLaunchKernel with a CUkernel leaves func null); "?" where the driver cannot say.
GraphKernel kernel_of(cudaGraphNode_t node) {
  static const auto get_params =
      driver_function<PFN_cuGraphKernelNodeGetParams_v12000>("cuGraphKernelNodeGetParams", 12000);
  static const auto function_name = driver_function<PFN_cuFuncGetName_v12030>("cuFuncGetName", 12030);
  static const auto kernel_name = driver_function<PFN_cuKernelGetName_v12030>("cuKernelGetName", 12030);
  CUDA_KERNEL_NODE_PARAMS_v2 params{};
  if (get_params == nullptr || get_params(reinterpret_cast<CUgraphNode>(node), &params) != CUDA_SUCCESS) {
    return {"?", 0, 0};
  }
  // kern, where set, takes precedence over func (cuda.h's CUDA_KERNEL_NODE_PARAMS_v2); a
  // name neither gives is "?"
  const char* symbol = nullptr;
  if (params.kern != nullptr && kernel_name != nullptr && kernel_name(&symbol, params.kern) != CUDA_SUCCESS)
    symbol = nullptr;
  if (symbol == nullptr && params.func != nullptr && function_name != nullptr &&
      function_name(&symbol, params.func) != CUDA_SUCCESS)
    symbol = nullptr;
  const auto product = [](unsigned x, unsigned y, unsigned z) {  // at most UINT32_MAX
    const uint64_t p = static_cast<uint64_t>(x) * y * z;
    return static_cast<uint32_t>(std::min<uint64_t>(p, UINT32_MAX));
  };
  return {symbol != nullptr ? kernel_display_name(symbol) : std::string("?"),
          product(params.gridDimX, params.gridDimY, params.gridDimZ),
          product(params.blockDimX, params.blockDimY, params.blockDimZ)};
}

thread_local GraphNodes last_nodes;

// The graph's nodes in the order cudaGraphGetNodes gives them (creation order in practice;
// CUDA does not promise it).
GraphNodes nodes_of(cudaGraph_t graph) {
  GraphNodes out;
  size_t count = 0;
  EMBER_CUDA_CHECK(cudaGraphGetNodes(graph, nullptr, &count));
  std::vector<cudaGraphNode_t> nodes(count);
  EMBER_CUDA_CHECK(cudaGraphGetNodes(graph, nodes.data(), &count));
  nodes.resize(count);
  for (cudaGraphNode_t node : nodes) {
    cudaGraphNodeType type = cudaGraphNodeTypeEmpty;
    EMBER_CUDA_CHECK(cudaGraphNodeGetType(node, &type));
    if (type == cudaGraphNodeTypeKernel) out.kernels.push_back(kernel_of(node));
    else if (type == cudaGraphNodeTypeMemset) ++out.memsets;
    else if (type == cudaGraphNodeTypeMemcpy) ++out.copies;
    else ++out.other;
  }
  return out;
}

// last_nodes for a graph just captured, logged at debug. A listing that fails is a warning
// and an empty list: the captured graph itself is fine.
void list_nodes(cudaGraph_t graph, int device) {
  try {
    last_nodes = nodes_of(graph);
  } catch (const std::exception& e) {
    (void)cudaGetLastError();  // the failed call's error: not the next launch's
    last_nodes = GraphNodes{};
    logging::warn("listing the nodes of a captured CUDA graph failed: {}", e.what());
    return;
  }
  if (!logging::enabled(logging::Level::Debug)) return;
  logging::debug("CUDA graph captured on cuda:{}: {}", device, last_nodes.summary());
  for (size_t i = 0; i < last_nodes.kernels.size(); ++i) {
    const GraphKernel& k = last_nodes.kernels[i];
    logging::debug("  kernel {}: {} <<<{} blocks, {} threads>>>", i, k.name, k.blocks, k.threads);
  }
}

}  // namespace

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
  list_nodes(s.graph, s.device);
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

GraphNodes last_capture_nodes() { return last_nodes; }


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
