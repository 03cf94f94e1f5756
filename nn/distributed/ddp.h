// nn::DistributedDataParallel: wraps a module so every process of the job trains the
// same model on its own share of each batch. Parameters and buffers are broadcast from
// rank 0 at construction; during backward the gradients are averaged across ranks in
// buckets, each bucket's all-reduce started as soon as its last gradient is ready
// (Note [Gradient buckets]). no_sync() accumulates locally without communicating.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cuda/stream.h"
#include "nn/distributed/process_group.h"
#include "nn/module.h"

namespace ember::nn {

// Note [Gradient buckets]
// Like PyTorch's Reducer (learnt from its design, written anew): the parameters that
// require grad are taken in reverse registration order (backward produces the last
// layer's gradients first) and packed into buckets of at most bucket_cap_bytes (25 MiB,
// PyTorch's default; one parameter larger than the cap gets a bucket of its own; dtype
// and device never mix in a bucket), except the first, which holds at most
// first_bucket_cap_bytes (1 MiB, PyTorch's _DEFAULT_FIRST_BUCKET_BYTES; never more than
// bucket_cap_bytes): the last layers' gradients, ready first, start communicating while
// backward still has most of the model to go, even when the whole model fits in one
// 25 MiB bucket (Note [The first bucket]). Each bucket owns one flat buffer. A post-accumulate-
// grad hook on every parameter (Note [Gradient-ready hooks] in autograd/hooks.h) copies
// the parameter's fresh .grad into its slice; when a bucket's last slice arrives, the
// bucket is divided by the world size and its all-reduce is started (MPI_Iallreduce on
// the CPU, NCCL on the current stream on CUDA), so communication overlaps the rest of
// backward. Buckets start strictly in index order, identical on every rank (collectives
// must be issued in the same order everywhere). The first hook queues an engine callback
// that runs when backward ends: it starts any bucket not started yet (a parameter that
// got no gradient this step contributes zeros: Note [Unused parameters]), waits for every
// bucket and copies the averages back into the .grad tensors,
// so when loss.backward() returns every rank holds the same averaged gradients. Each
// hook also tests the buckets in flight, which drives MPI's progress while backward runs.
// The bucket layout (count, shapes and dtypes of the parameters) is checked to be the
// same on every rank at construction (Note [Collective argument checks]).
// On CUDA the all-reduces run on a communication stream of their own (Note
// [Communication stream]). Synchronisation is decided at forward, like PyTorch: a forward run with grad mode on,
// outside no_sync(), arms the reducer for the next backward; under no_sync() gradients
// just accumulate in .grad, and the next synchronised backward averages the sum.

// Note [Communication stream]
// CUDA buckets are all-reduced on one stream of the wrapper's (a pool stream of the
// parameters' device), not on the stream backward computes on, so NCCL overlaps the rest
// of backward instead of queueing behind it. When a bucket is complete, an event recorded
// on the compute stream (after the copies of its gradients into the flat buffer) orders
// the communication stream after them; the division by the world size and the NCCL
// all-reduce follow there. At the end of backward the compute stream waits for an event
// recorded on the communication stream after the last bucket, then the host waits for
// every bucket with the timeout (Note [NCCL faults] in cuda/nccl.h: a hung rank becomes an
// error instead of a hang, at the price of one host synchronisation per step), and the
// averages are copied back into .grad on the compute stream. The flat buffers are
// recorded on the communication stream (Tensor::record_stream) for the allocator.

// Note [BatchNorm statistics under data parallelism]
// Buffers (BatchNorm's running mean and variance) are broadcast from rank 0 once, at
// construction, then each process updates its own from its own share of the batch, as
// with PyTorch's DDP(broadcast_buffers=False): batch statistics are per process, so a
// model with BatchNorm trained on N ranks with batch B each is not the same as one process
// with batch N*B. Evaluate and save on rank 0 (ember train does): rank 0's running
// statistics are the ones kept. SyncBatchNorm::convert_sync_batchnorm(model) before
// wrapping makes them those of the whole batch (Note [Synchronised batch statistics] in
// nn/distributed/sync_batchnorm.h).

// Note [The first bucket]
// PyTorch's Reducer (after its first iteration) caps the first bucket at 1 MiB and the
// others at bucket_cap_mb; ember does so from the start (its buckets never change). On
// PyTorch a bucket_cap smaller than 1 MiB still leaves the first bucket at 1 MiB; here
// the first cap is min(first_bucket_cap_bytes, bucket_cap_bytes), so a small
// bucket_cap_bytes means small buckets everywhere. Set first_bucket_cap_bytes =
// bucket_cap_bytes for buckets of one size.

struct DistributedDataParallelOptions {
  int64_t bucket_cap_bytes = 25 * 1024 * 1024;
  int64_t first_bucket_cap_bytes = 1024 * 1024;
  // Note [Unused parameters]: false, a parameter that got no gradient in a synchronised
  // backward is PyTorch's error; true, one all-reduce of use counts per backward finds the
  // parameters no rank used, whose .grad stays as it was.
  bool find_unused_parameters = false;
};

// Note [Unused parameters]
// Every bucket is all-reduced whatever this rank used (a parameter it gave no gradient
// contributes zeros), so no rank ever waits for a collective another skips. Then, as
// PyTorch's Reducer: with find_unused_parameters a parameter no rank used keeps its .grad
// untouched (undefined stays undefined, so the optimizer skips it as on one process) and one
// some rank used gets the average; without it, a parameter this rank used no gradient of is
// PyTorch's "Expected to have finished reduction ..." error, raised when backward ends (the
// used parameters' averages are in .grad by then) and naming the parameters.

class DistributedDataParallel : public Module {
 public:
  // Needs ember::distributed::init() first. Registers `module` as the child "module"
  // (state_dict keys "module.0.weight", ...; save module()->state_dict() to share it
  // with a plain model). Collective: every rank must construct it, with the same model.
  explicit DistributedDataParallel(std::shared_ptr<Module> module, DistributedDataParallelOptions options = {});
  ~DistributedDataParallel() override;  // removes the hooks

  Tensor forward(const Tensor& input) override;
  const std::shared_ptr<Module>& module() const { return module_; }

  // While alive, forwards do not arm the reducer: their backward accumulates into .grad
  // without communicating (gradient accumulation). `auto guard = ddp->no_sync();`
  class NoSyncGuard {
   public:
    explicit NoSyncGuard(DistributedDataParallel& ddp) : ddp_(ddp), previous_(ddp.sync_enabled_) {
      ddp.sync_enabled_ = false;
    }
    ~NoSyncGuard() { ddp_.sync_enabled_ = previous_; }
    NoSyncGuard(const NoSyncGuard&) = delete;
    NoSyncGuard& operator=(const NoSyncGuard&) = delete;

   private:
    DistributedDataParallel& ddp_;
    bool previous_;
  };
  NoSyncGuard no_sync() { return NoSyncGuard(*this); }

  // ---- introspection (tests, docs) ----
  // Each bucket's parameters, as indices into module()->parameters() (those requiring grad).
  std::vector<std::vector<size_t>> bucket_parameter_indices() const;
  // The buckets started by the last synchronised backward, in order, and how many of the
  // model's gradients were ready when each started (fewer than all: it overlapped backward).
  struct BucketLaunch {
    size_t bucket = 0;
    size_t gradients_ready = 0;
  };
  const std::vector<BucketLaunch>& last_launches() const { return last_launches_; }
  size_t num_gradients() const { return params_.size(); }

 protected:
  // The hooks stay on the parameters found at construction: a replacement must keep them
  // (SyncBatchNorm::convert_sync_batchnorm does); better, convert before wrapping.
  void child_replaced(size_t, const std::shared_ptr<Module>& module) override { module_ = module; }

 private:
  struct Bucket {
    std::vector<size_t> params;    // indices into params_
    std::vector<int64_t> offsets;  // element offset of each in flat
    Tensor flat;
    size_t pending = 0;  // gradients not yet copied in this backward
    std::shared_ptr<distributed::Work> work;
  };

  void check_same_layout_everywhere() const;
  void broadcast_state();
  void build_buckets(int64_t first_cap_bytes, int64_t cap_bytes);
  void on_gradient_ready(size_t index);
  void launch_ready_buckets();
  void launch_on_comm_stream(Bucket& bucket);
  void finish_backward();
  // Whether some rank gave parameter i a gradient (one all-reduce of the counts).
  std::vector<bool> used_on_some_rank(const std::vector<bool>& used_here) const;
  std::string parameter_names(const std::vector<size_t>& indices) const;
  void reset_backward_state();
  Tensor slice_of(size_t index) const;

  std::shared_ptr<Module> module_;
  std::vector<Tensor> params_;
  std::vector<uint64_t> hook_handles_;
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_;  // per parameter
  std::vector<size_t> slot_of_;    // its position in that bucket
  std::vector<bool> ready_;
  size_t ready_count_ = 0;
  size_t next_bucket_ = 0;
  bool sync_enabled_ = true;
  bool find_unused_parameters_ = false;
  bool armed_ = false;             // the last forward asked for a synchronised backward
  bool callback_queued_ = false;   // a backward is reducing
  std::vector<BucketLaunch> launches_, last_launches_;
  int world_size_ = 1;
  std::optional<cuda::Stream> comm_stream_;  // CUDA buckets only (Note [Communication stream])
};

}  // namespace ember::nn
