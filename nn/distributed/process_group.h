// ember::distributed: the process group of a data-parallel job, started by mpirun
// (one process per GPU or per CPU share), and its collectives: all_reduce, broadcast,
// all_gather, barrier. CPU tensors go through MPI, CUDA tensors through NCCL on the
// current stream (Note [Two transports]). Built when MPI is found (EMBER_DISTRIBUTED).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace ember::distributed {

// Note [Two transports]
// MPI starts the job (mpirun sets the ranks) and carries CPU tensors. CUDA tensors go
// through NCCL: the first CUDA collective makes one communicator per process, its
// unique id made by rank 0 and broadcast over MPI, on the tensor's device (each rank
// uses cuda:local_rank). NCCL collectives are queued on the current CUDA stream; the
// blocking ones (all_reduce, broadcast, all_gather) then wait on the host for them with
// the timeout (like PyTorch with TORCH_NCCL_BLOCKING_WAIT=1), all_reduce_async returns at
// once and its Work::wait() does that wait (Note [NCCL faults] in cuda/nccl.h). MPI
// collectives are started non-blocking and polled against a deadline (Note [Collective
// timeout]). All collectives must be called in the
// same order with tensors of the same dtype and size on every rank, from one thread at
// a time; the blocking ones check that (Note [Collective argument checks]).

// Note [Collective timeout]
// A collective that does not complete within timeout_seconds() (EMBER_DISTRIBUTED_TIMEOUT,
// default 300 s) throws ember::Error naming the collective, this rank and the wait: a
// rank that died, hangs or skipped the call. The communicator cannot be used after that
// (an MPI collective cannot be cancelled): the caller should end the job with abort(),
// which `ember train` does for every error when world_size() > 1 (MPI_Abort kills the
// other ranks, so the job exits non-zero instead of hanging). The library never aborts
// by itself. NCCL collectives are timed when waited for, and the NCCL communicator is
// aborted on a timeout (Note [NCCL faults] in cuda/nccl.h).

// Note [Collective argument checks]
// A blocking collective first all-reduces a tiny signature of its tensor (dtype, element
// count, a hash of the shape) with MAX and MIN: different tensors on different ranks are
// an ember::Error on every rank ("rank 1 has ..."), not silent corruption or a hang. It
// costs one 32-byte all-reduce. The asynchronous all_reduce_async (the data-parallel
// buckets) skips it: the wrapper checks its whole bucket layout once, at construction.

enum class ReduceOp { Sum, Avg };

// True when ember was built with distributed support (MPI found).
bool is_available();
// Joins the job from the MPI environment (MPI_Init_thread): under mpirun, its ranks;
// started on its own, a job of one process (rank 0, world size 1). Idempotent.
void init();
bool is_initialized();
// Ends MPI (every rank must call it; optional: it also runs at exit).
void finalize();
// Ends the whole job now with `exit_code` (MPI_Abort): after a collective failed on one
// rank the others would wait for ever. Outside a job (or without support) it does nothing.
void abort(int exit_code);

int rank();
int world_size();
// The rank among the processes on this machine (OMPI_COMM_WORLD_LOCAL_RANK, else the
// shared-memory split of the world): the GPU index to use.
int local_rank();
// The number of ranks on this machine (each can use its share of the cores).
int local_world_size();
// The seconds a collective may wait (Note [Collective timeout]).
double timeout_seconds();
void set_timeout_seconds(double seconds);

void barrier();
// In place, on every rank. Avg needs a floating-point tensor.
void all_reduce(const Tensor& tensor, ReduceOp op = ReduceOp::Sum);
// Every rank's `tensor` becomes root's.
void broadcast(const Tensor& tensor, int root = 0);
// out[r] = rank r's tensor. `out` is resized to world_size() and filled with new tensors
// when it is empty; otherwise it must hold world_size() tensors shaped like `tensor`.
void all_gather(std::vector<Tensor>& out, const Tensor& tensor);

// A collective in flight (all_reduce_async). wait() blocks (with the timeout) until it
// is done (for a CUDA tensor: until the GPU has finished it); test() makes progress and
// says whether it is.
class Work {
 public:
  virtual ~Work() = default;
  virtual void wait() = 0;
  virtual bool test() = 0;
};

// Starts an in-place all-reduce and returns at once (no argument check: Note
// [Collective argument checks]). `tensor` must stay alive and untouched until wait().
std::shared_ptr<Work> all_reduce_async(const Tensor& tensor, ReduceOp op = ReduceOp::Sum);

}  // namespace ember::distributed
