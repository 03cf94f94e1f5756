// `ember train` on N processes (Note [ember train on N processes] in
// tools/train_distributed.h): launcher detection, per-rank device, sharded loader,
// wrapping, reduced metrics and the job-wide abort on errors.
#include "tools/train_distributed.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "tools/small_cnn.h"

namespace ember::tools {
namespace {
constexpr int64_t kShardEvalBatch = 1000;

int env_int(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : 0;
}
}  // namespace

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MV2_COMM_WORLD_SIZE"})
    if (std::getenv(name)) return true;
  return false;
}

TrainJob join_training_job() {
  if (!launched_by_mpi()) return {};
  if (!distributed::is_available()) {
    const int size = std::max(env_int("OMPI_COMM_WORLD_SIZE"), env_int("PMI_SIZE"));
    EMBER_CHECK(size <= 1, "ember train: started by mpirun with ", size, " processes, but this build of ember has no "
                "distributed support (configure with MPI: bash tools/install-deps.sh, -DEMBER_DISTRIBUTED=ON)");
    return {};
  }
  distributed::init();
  // Each rank its share of the cores, unless OMP_NUM_THREADS says otherwise (like
  // torchrun): N ranks of all-core OpenMP teams on one machine oversubscribe it.
  if (!std::getenv("OMP_NUM_THREADS"))
    omp_set_num_threads(std::max(1, omp_get_num_procs() / distributed::local_world_size()));
  return {distributed::rank(), distributed::world_size()};
}

Device training_device(const std::string& spec, const TrainJob& job) {
  Device dev = resolve_device(spec);
  const bool indexed = spec.find(':') != std::string::npos;
  if (job.distributed() && dev.is_cuda() && !indexed) {
    dev = Device::cuda(distributed::local_rank() % cuda::device_count());
    cuda::set_device(dev.index());
  }
  return dev;
}

std::unique_ptr<data::DataLoader> make_training_loader(const data::Dataset& train, int64_t batch_size, uint64_t seed,
                                                       const TrainJob& job, bool drop_last) {
  std::unique_ptr<data::DataLoader> loader;
  if (!job.distributed()) {
    loader = std::make_unique<data::DataLoader>(
        train, data::DataLoaderOptions{.batch_size = batch_size, .shuffle = true, .drop_last = drop_last, .seed = seed});
  } else {
    auto sampler = std::make_shared<data::DistributedSampler>(
        train.size(), data::DistributedSamplerOptions{.shuffle = true, .seed = seed, .drop_last = false});
    loader = std::make_unique<data::DataLoader>(
        train, data::DataLoaderOptions{.batch_size = batch_size, .shuffle = false, .drop_last = drop_last, .seed = seed},
        std::move(sampler));
  }
  EMBER_CHECK(loader->size() > 0, "--drop-last: the ", train.size(), " images of the training set",
              job.distributed() ? " (shared by " + std::to_string(job.world_size) + " processes)" : std::string(),
              " make no full batch of --batch-size ", batch_size,
              ", so no step would run; give a smaller --batch-size, a larger --limit, or leave out --drop-last");
  return loader;
}

std::shared_ptr<nn::Module> wrap_for_training(const std::shared_ptr<nn::Module>& model, uint64_t seed, int start_epoch,
                                              const TrainJob& job) {
  if (!job.distributed()) return model;
  auto ddp = std::make_shared<nn::DistributedDataParallel>(model);
  // Each rank its own dropout masks, reproducible from (seed, rank, epoch of the start).
  manual_seed(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(job.rank) * 1000003ull +
              static_cast<uint64_t>(start_epoch));
  return ddp;
}

void use_sync_batchnorm(const std::shared_ptr<nn::Module>& model, const TrainJob& job) {
  if (!job.distributed()) {
    std::cerr << "ember train: --sync-bn changes nothing in a job of one process (SyncBatchNorm is BatchNorm2d "
                 "there, as in PyTorch); run under mpirun -np N to share batch statistics\n";
    return;
  }
  const auto converted = nn::SyncBatchNorm::convert_sync_batchnorm(model);
  EMBER_CHECK(converted == model, "ember train --sync-bn: expected a model whose root is not a BatchNorm layer");
  if (job.is_main()) std::cerr << "ember train: --sync-bn: BatchNorm statistics over all " << job.world_size
                               << " ranks (SyncBatchNorm)\n";
}

double mean_over_ranks(double value, const TrainJob& job) {
  if (!job.distributed()) return value;
  Tensor t = tensor(std::vector<double>{value});
  distributed::all_reduce(t, distributed::ReduceOp::Avg);
  return t.item<double>();
}

std::function<double(nn::Module&)> sharded_test_evaluator(const data::TensorDataset& test, Device dev,
                                                          const TrainJob& job) {
  if (!job.distributed()) return {};
  const data::DistributedSampler sampler(test.size(), {.shuffle = false, .seed = 0, .drop_last = false});
  const data::Example shard = test.get_batch(sampler.indices(0));
  const Tensor x = shard.x.to(dev), y = shard.y.to(dev);
  return [x, y](nn::Module& model) {
    for (const auto& [name, buffer] : model.named_buffers()) distributed::broadcast(buffer.contiguous(), 0);
    model.eval();
    NoGradGuard no_grad;
    const int64_t n = x.size(0);
    Tensor correct = scalar_tensor(0, TensorOptions(kInt64).device(x.device()));
    for (int64_t start = 0; start < n; start += kShardEvalBatch) {
      const int64_t len = std::min(kShardEvalBatch, n - start);
      correct.add_((model(x.narrow(0, start, len)).argmax(1) == y.narrow(0, start, len)).to(kInt64).sum());
    }
    model.train();
    Tensor counts = tensor(std::vector<int64_t>{correct.item<int64_t>(), n});
    distributed::all_reduce(counts);
    const auto v = counts.to_vector<int64_t>();
    return v[1] ? static_cast<double>(v[0]) / static_cast<double>(v[1]) : 0.0;
  };
}

void abort_job_on_error() {
  if (distributed::is_initialized() && distributed::world_size() > 1) distributed::abort(1);
}

}  // namespace ember::tools
