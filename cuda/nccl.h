// NCCL collectives on CUDA tensors for ember::distributed (Note [Two transports] in
// nn/distributed/process_group.h), on a non-blocking communicator whose waits time out
// (Note [NCCL faults]). No CUDA or NCCL header: the communicator is opaque. Without NCCL
// (or without CUDA) every entry point is an ember::Error.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "cuda/stream.h"

namespace ember::cuda::nccl {

// Note [NCCL faults]
// The communicator is made non-blocking (ncclConfig_t.blocking = 0): its creation and
// every NCCL call return at once, possibly "in progress", and each is settled by polling
// ncclCommGetAsyncError against the timeout (EMBER_DISTRIBUTED_TIMEOUT). A collective is
// queued on the current stream and returns; its completion is an event recorded after
// it. wait() polls that event (cudaEventQuery) and the communicator's asynchronous error
// until the deadline; on an error or past it, the communicator is aborted (ncclCommAbort
// ends the kernels in flight instead of leaving the GPU spinning on a dead peer) and an
// ember::Error names the collective, its dtype and shape, and the rank, like the MPI path
// (Note [Collective timeout]). An aborted communicator refuses every later call. Nothing
// is polled unless someone waits: ember::distributed's blocking collectives and
// DistributedDataParallel's buckets wait; a collective never waited for (SyncBatchNorm's,
// ordered by the stream) hangs at the next host synchronisation instead, or is caught by
// the next wait behind it on the same stream. PyTorch runs a watchdog thread for the
// first case; ember has none.

inline constexpr size_t kUniqueIdBytes = 128;  // sizeof(ncclUniqueId)

// True when ember was built with NCCL.
bool is_available();
// A fresh ncclUniqueId (made on rank 0, broadcast to the others over MPI).
std::vector<char> unique_id();

// One NCCL communicator of this process, on one device. Collectives are in place (or into
// `out`), queued on the current stream of that device and return at once.
class Communicator {
 public:
  // Waits up to timeout_seconds for every rank to join (Note [NCCL faults]).
  Communicator(const std::vector<char>& id, int world_size, int rank, int device, double timeout_seconds = 300);
  ~Communicator();  // destroys the communicator (errors only logged)
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int device() const { return device_; }
  bool aborted() const { return aborted_; }
  void all_reduce(const Tensor& tensor, bool average);
  void broadcast(const Tensor& tensor, int root);
  // out: world_size * input.numel() contiguous elements, rank r's input at r * numel.
  void all_gather(const Tensor& input, const Tensor& out);

  // Blocks until `done` (an event recorded after a collective) has completed; past the
  // timeout, or on an NCCL error, aborts the communicator and throws an ember::Error
  // naming `what` ("all_reduce of float32 [10] (10 elements)") and this rank.
  void wait(const Event& done, const std::string& what);

 private:
  void settle(int result, const char* call);  // an ncclResult_t of a non-blocking call
  [[noreturn]] void abort_and_fail(const std::string& what, const std::string& why, const char* hint = "");
  void check_usable(const char* what) const;

  void* comm_ = nullptr;  // the ncclComm_t
  int device_ = 0;
  int rank_ = 0;
  int world_size_ = 1;
  double timeout_ = 300;
  bool aborted_ = false;
};

}  // namespace ember::cuda::nccl
