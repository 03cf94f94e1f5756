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
// captured"); other waits fail with CUDA's own capture error. Library workspaces (cuBLAS, cuDNN plans) must be sized by warm-up steps
// before capturing, as in PyTorch.
#pragma once
#include <memory>

#include "core/allocator/private_pool.h"

namespace ember::cuda {

class Graph {
 public:
  Graph();
  ~Graph();
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  // `pool`: share another graph's private pool (its pool()); a new one by default.
  void capture_begin(std::shared_ptr<memory::PrivatePool> pool = nullptr);
  void capture_end();
  void replay();
  void reset();  // destroys the captured graph; the pool goes when its last owner does
  bool captured() const;
  std::shared_ptr<memory::PrivatePool> pool() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Whether the current stream of the current device is being captured (false without CUDA).
bool is_current_stream_capturing();
// Throws "<op> is not allowed while a CUDA graph is being captured ..." when it is.
void check_not_capturing(const char* op);

}  // namespace ember::cuda
