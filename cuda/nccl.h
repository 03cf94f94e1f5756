// NCCL collectives on CUDA tensors for ember::distributed (Note [Two transports] in
// nn/distributed/process_group.h). No CUDA or NCCL header: the communicator is opaque.
// Without NCCL (or without CUDA) every entry point is an ember::Error.
#pragma once
#include <cstddef>
#include <vector>

#include "core/tensor.h"

namespace ember::cuda::nccl {

inline constexpr size_t kUniqueIdBytes = 128;  // sizeof(ncclUniqueId)

// True when ember was built with NCCL.
bool is_available();
// A fresh ncclUniqueId (made on rank 0, broadcast to the others over MPI).
std::vector<char> unique_id();

// One NCCL communicator of this process, on one device. Collectives are in place (or into
// `out`), queued on the current stream of that device and return at once.
class Communicator {
 public:
  Communicator(const std::vector<char>& id, int world_size, int rank, int device);
  ~Communicator();  // destroys the communicator (errors only logged)
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int device() const { return device_; }
  void all_reduce(const Tensor& tensor, bool average);
  void broadcast(const Tensor& tensor, int root);
  // out: world_size * input.numel() contiguous elements, rank r's input at r * numel.
  void all_gather(const Tensor& input, const Tensor& out);

 private:
  void* comm_ = nullptr;  // the ncclComm_t
  int device_ = 0;
};

}  // namespace ember::cuda::nccl
