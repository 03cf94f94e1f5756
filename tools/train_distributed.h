// `ember train` on N processes (mpirun -np N ember train ...): joining the job, each
// rank's device and shard of the data, the data-parallel wrapper, and the metrics
// reduced across ranks (Note [ember train on N processes]).
#pragma once
#include <functional>
#include <memory>
#include <string>

#include <ember/ember.h>

namespace ember::tools {

// Note [ember train on N processes]
// Under mpirun (Open MPI's, MPICH's or a PMI launcher's variables are set) `ember train`
// joins the job; started alone it trains as before, without MPI. With N ranks:
//  - rank r trains on cuda:(local_rank % GPUs) when --device is auto or cuda with GPUs
//    present, else on the CPU with cores / (ranks on the machine) OpenMP threads (unless
//    OMP_NUM_THREADS is set);
//  - --batch-size is the batch of each process, as in PyTorch DDP: the global batch is
//    N x --batch-size (the README's comparison uses --batch-size 64 on 2 ranks against
//    128 on one). The learning rate is not rescaled;
//  - each rank takes its DistributedSampler shard of every epoch's seeded order (so the
//    global batches are those of one process with N x the batch), the model is wrapped
//    in nn::DistributedDataParallel (rank 0's initial weights, gradients averaged);
//  - the training loss printed is the mean over ranks; before each evaluation rank 0's
//    buffers (BatchNorm statistics, Note [BatchNorm statistics under data parallelism])
//    are broadcast, each rank evaluates its shard of the test set and the correct counts
//    are summed, so the accuracy is that of the model rank 0 saves;
//  - only rank 0 prints progress and writes --save and --json (atomically); every rank
//    reads --resume, so a checkpoint resumes with any N (its epoch counts, not its steps);
//  - --sync-bn swaps the BatchNorm2d layers for nn::SyncBatchNorm (Note [Synchronised
//    batch statistics]): batch statistics of the global batch, the same running
//    statistics on every rank. With one process it is a no-op with a message, not an
//    error: PyTorch's SyncBatchNorm falls back to BatchNorm without a process group of
//    several, so a script written for N ranks runs unchanged on one. Checkpoints are the
//    same either way (same state_dict keys);
//  - an error on any rank (a collective's timeout included, Note [Collective timeout])
//    ends the whole job with MPI_Abort, exit code 1, instead of leaving the others hanging.
struct TrainJob {
  int rank = 0;
  int world_size = 1;
  bool is_main() const { return rank == 0; }
  bool distributed() const { return world_size > 1; }
};

// True when this process was started by an MPI launcher.
bool launched_by_mpi();
// Joins the job when launched by MPI (an error if this ember has no distributed support
// and the launcher started more than one process); otherwise a job of one.
TrainJob join_training_job();
// The device of this rank: resolved from --device, with cuda / auto moved to
// cuda:local_rank in a job of several ranks.
Device training_device(const std::string& spec, const TrainJob& job);
// A shuffled loader over the training set: this rank's shard in a job of several;
// `drop_last` drops each epoch's last partial batch (--drop-last; none left is an error).
std::unique_ptr<data::DataLoader> make_training_loader(const data::Dataset& train, int64_t batch_size, uint64_t seed,
                                                       const TrainJob& job, bool drop_last = false);
// The module to train: `model` itself, or wrapped in DistributedDataParallel. Reseeds
// each rank's generator differently (dropout masks) in a job of several.
std::shared_ptr<nn::Module> wrap_for_training(const std::shared_ptr<nn::Module>& model, uint64_t seed, int start_epoch,
                                              const TrainJob& job);
// --sync-bn: converts `model`'s BatchNorm layers to SyncBatchNorm in a job of several;
// in a job of one, says on stderr that it changes nothing.
void use_sync_batchnorm(const std::shared_ptr<nn::Module>& model, const TrainJob& job);
// The mean of `value` over the ranks.
double mean_over_ranks(double value, const TrainJob& job);
// In a job of several: the test accuracy from every rank's shard (see the Note); empty
// in a job of one (use the single-process evaluator).
std::function<double(nn::Module&)> sharded_test_evaluator(const data::TensorDataset& test, Device dev,
                                                          const TrainJob& job);
// Called by main() on an error: ends the job when it has several ranks.
void abort_job_on_error();

}  // namespace ember::tools
