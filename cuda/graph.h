// cuda::Graph (torch.cuda.CUDAGraph): capture a static sequence of CUDA work once,
// replay it with one launch. No CUDA headers here; cuda/graph.cpp (or the stub) defines it.
//
// Note [CUDA graph capture]
// capture_begin() makes a fresh side stream current (it first waits for the stream that
// was current, so the capture sees earlier work done) and starts capturing it in the
// thread-local mode; every allocation this thread makes for the device until
// capture_end() comes from the graph's private pool (Note [Private pools]), which lives
// as long as the graph (or longer, when shared with another graph through pool()).
// capture_end() ends the capture, instantiates the graph, restores the previous stream
// and makes it wait for the side stream. replay() launches the graph on the current
// stream. Inside a capture, host synchronisation cannot work: cuda::synchronize() and a
// device-to-host copy (item(), to(cpu), to_vector, and with them the device error word)
// are an ember::Error naming the op ("... is not allowed while a CUDA graph is being
// captured"), as is a copy from host memory (a replay would copy whatever the buffer held
// then); other waits fail with CUDA's own capture error. The caching allocator makes new
// segments for the pool in relaxed capture mode and otherwise neither waits nor frees
// while capturing. capture_begin() makes what a capture may not create for the capture
// stream: cuBLAS's handle and workspace, cuDNN's handle, the device error word. cuDNN
// plans are built by warm-up steps, as in PyTorch: a convolution first seen inside a
// capture is an error saying so, a batch norm runs ember's kernels instead, and plans are
// never autotuned inside a capture. Random draws on the capture's device read their seed
// and offset from the graph's device words, which each replay() moves on first (Note
// [Graph-safe random numbers] in core/random.h): replays draw fresh numbers.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>

#include "core/allocator/private_pool.h"
#include "cuda/stream.h"

namespace ember::cuda {

class Graph {
 public:
  Graph();
  ~Graph();
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  // `pool`: share another graph's private pool (its pool()); a new one by default.
  void capture_begin(std::shared_ptr<memory::PrivatePool> pool = nullptr);
  // Captures on `stream` (not the legacy default stream) instead of a fresh one: warm-up
  // steps run on it beforehand make its library handles and workspaces (cuDNN handles
  // and cuBLAS workspaces are per stream) outside the capture.
  void capture_begin(const Stream& stream, std::shared_ptr<memory::PrivatePool> pool = nullptr);
  void capture_end();
  void replay();
  void reset();  // destroys the captured graph; the pool goes when its last owner does
  bool captured() const;
  std::shared_ptr<memory::PrivatePool> pool() const;
  // Philox counters one replay draws from the default generator (0: no random draws).
  uint64_t random_counters() const;

 private:
  struct State;
  void begin(std::optional<Stream> stream, std::shared_ptr<memory::PrivatePool> pool);
  std::unique_ptr<State> state_;
};

// Whether the current stream of the current device is being captured (false without CUDA).
bool is_current_stream_capturing();
// Throws "<op> is not allowed while a CUDA graph is being captured ..." when it is.
void check_not_capturing(const char* op);

}  // namespace ember::cuda
