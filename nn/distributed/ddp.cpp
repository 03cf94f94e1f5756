// DistributedDataParallel: the construction-time broadcast and layout check, the bucket
// layout, and the reducer driven by gradient-ready hooks and the end-of-backward
// callback (Note [Gradient buckets] in nn/distributed/ddp.h).
#include "nn/distributed/ddp.h"

#include <algorithm>
#include <utility>

#include "autograd/hooks.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/logging.h"
#include "nn/lazy.h"

namespace ember::nn {
namespace {

// Broadcasts t from rank 0 in place, through a contiguous copy when it is not contiguous.
void broadcast_from_rank0(const Tensor& t) {
  NoGradGuard no_grad;
  if (t.is_contiguous()) return distributed::broadcast(t, 0);
  Tensor dense = t.contiguous();
  distributed::broadcast(dense, 0);
  Tensor(t).copy_(dense);
}

uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 1099511628211ull; }

}  // namespace

DistributedDataParallel::DistributedDataParallel(std::shared_ptr<Module> module, DistributedDataParallelOptions options)
    : Module("DistributedDataParallel"), module_(std::move(module)) {
  EMBER_CHECK(module_ != nullptr, "DistributedDataParallel: expected a module, got nullptr");
  EMBER_CHECK(options.bucket_cap_bytes > 0, "DistributedDataParallel: expected a positive bucket_cap_bytes, got ",
              options.bucket_cap_bytes);
  EMBER_CHECK(options.first_bucket_cap_bytes > 0, "DistributedDataParallel: expected a positive "
              "first_bucket_cap_bytes, got ", options.first_bucket_cap_bytes);
  EMBER_CHECK(distributed::is_initialized(),
              "DistributedDataParallel: expected a process group (call ember::distributed::init() first), "
              "but none was initialized");
  check_no_uninitialized_params(*module_, "DistributedDataParallel", /*recurse=*/true);
  register_module("module", module_);
  world_size_ = distributed::world_size();
  find_unused_parameters_ = options.find_unused_parameters;
  for (const Tensor& p : module_->parameters())
    if (p.requires_grad()) params_.push_back(p);
  EMBER_CHECK(!params_.empty(), "DistributedDataParallel is not needed when a module doesn't have any parameter "
              "that requires a gradient.");
  check_same_layout_everywhere();
  broadcast_state();
  build_buckets(std::min(options.first_bucket_cap_bytes, options.bucket_cap_bytes), options.bucket_cap_bytes);
  if (world_size_ == 1) return;  // nothing to average: no hooks, backward as usual
  for (const Bucket& b : buckets_) {
    if (!b.flat.is_cuda()) continue;
    const int device = b.flat.device().index();
    EMBER_CHECK(!comm_stream_ || comm_stream_->device_index() == device, "DistributedDataParallel: expected the "
                "CUDA parameters on one device, got cuda:", comm_stream_ ? comm_stream_->device_index() : 0,
                " and cuda:", device);
    if (!comm_stream_) comm_stream_ = cuda::Stream::create(device);
    b.flat.record_stream(*comm_stream_);
  }
  for (size_t i = 0; i < params_.size(); ++i)
    hook_handles_.push_back(
        autograd::register_post_accumulate_grad_hook(params_[i], [this, i](const Tensor&) { on_gradient_ready(i); }));
}

DistributedDataParallel::~DistributedDataParallel() {
  for (size_t i = 0; i < hook_handles_.size(); ++i)
    autograd::remove_post_accumulate_grad_hook(params_[i], hook_handles_[i]);
  for (Bucket& b : buckets_) {
    try {
      if (b.work) b.work->wait();
    } catch (const std::exception& e) {
      logging::warn("DistributedDataParallel: a bucket's all-reduce failed while being destroyed: {}", e.what());
    }
  }
}

// Every rank must hold the same parameters (count, shapes, dtypes) and buffers, or the
// buckets would all-reduce different things: one all_gather of a signature per rank.
void DistributedDataParallel::check_same_layout_everywhere() const {
  uint64_t hash = 1469598103934665603ull;
  int64_t elements = 0;
  for (const Tensor& p : params_) {
    hash = mix(hash, static_cast<uint64_t>(p.dtype()));
    for (int64_t d : p.sizes()) hash = mix(hash, static_cast<uint64_t>(d));
    elements += p.numel();
  }
  const auto buffers = module_->named_buffers();
  for (const auto& [name, b] : buffers)
    for (int64_t d : b.sizes()) hash = mix(hash, static_cast<uint64_t>(d));
  const Tensor mine = tensor(std::vector<int64_t>{static_cast<int64_t>(params_.size()), elements,
                                                  static_cast<int64_t>(buffers.size()), static_cast<int64_t>(hash >> 1)});
  std::vector<Tensor> all;
  distributed::all_gather(all, mine);
  const auto reference = all[0].to_vector<int64_t>();
  for (size_t r = 1; r < all.size(); ++r) {
    const auto other = all[r].to_vector<int64_t>();
    EMBER_CHECK(other == reference, "DistributedDataParallel: expected the same model on every rank, got "
                "different ones: rank 0 has ", reference[0], " parameters (", reference[1], " elements) and ",
                reference[2], " buffers, rank ", r, " has ", other[0], " parameters (", other[1], " elements) and ",
                other[2], " buffers", other[3] != reference[3] ? " (or other shapes or dtypes)" : "");
  }
}

void DistributedDataParallel::broadcast_state() {
  for (const Tensor& p : module_->parameters()) broadcast_from_rank0(p);
  for (const auto& [name, b] : module_->named_buffers()) broadcast_from_rank0(b);
}

// Note [Gradient buckets], Note [The first bucket].
void DistributedDataParallel::build_buckets(int64_t first_cap_bytes, int64_t cap_bytes) {
  bucket_of_.assign(params_.size(), 0);
  slot_of_.assign(params_.size(), 0);
  ready_.assign(params_.size(), false);
  int64_t bytes = 0;
  for (size_t k = params_.size(); k-- > 0;) {
    const Tensor& p = params_[k];
    const int64_t size = static_cast<int64_t>(p.nbytes());
    const int64_t cap = buckets_.size() == 1 ? first_cap_bytes : cap_bytes;  // of the bucket being filled
    const bool fresh = buckets_.empty() || bytes + size > cap ||
                       params_[buckets_.back().params[0]].dtype() != p.dtype() ||
                       params_[buckets_.back().params[0]].device() != p.device();
    if (fresh) {
      buckets_.emplace_back();
      bytes = 0;
    }
    Bucket& b = buckets_.back();
    const int64_t offset = b.offsets.empty() ? 0 : b.offsets.back() + params_[b.params.back()].numel();
    bucket_of_[k] = buckets_.size() - 1;
    slot_of_[k] = b.params.size();
    b.params.push_back(k);
    b.offsets.push_back(offset);
    bytes += size;
  }
  for (Bucket& b : buckets_) {
    const Tensor& first = params_[b.params[0]];
    const int64_t n = b.offsets.back() + params_[b.params.back()].numel();
    b.flat = zeros({n}, TensorOptions(first.dtype()).device(first.device()));
    b.pending = b.params.size();
  }
}

std::vector<std::vector<size_t>> DistributedDataParallel::bucket_parameter_indices() const {
  std::vector<std::vector<size_t>> out;
  for (const Bucket& b : buckets_) out.push_back(b.params);
  return out;
}

Tensor DistributedDataParallel::forward(const Tensor& input) {
  if (callback_queued_) reset_backward_state();  // the last backward threw before it ended
  if (is_grad_enabled()) armed_ = sync_enabled_ && world_size_ > 1;
  return call_child("module", *module_, input);
}

Tensor DistributedDataParallel::slice_of(size_t index) const {
  const Bucket& b = buckets_[bucket_of_[index]];
  const Tensor& p = params_[index];
  return b.flat.narrow(0, b.offsets[slot_of_[index]], p.numel()).view(p.sizes());
}

void DistributedDataParallel::on_gradient_ready(size_t index) {
  if (!armed_) return;  // under no_sync(), or no forward through this wrapper
  if (!callback_queued_) {
    callback_queued_ = true;
    launches_.clear();
    autograd::queue_callback([this] { finish_backward(); });
  }
  EMBER_CHECK(!ready_[index], "DistributedDataParallel: parameter ", index, " received its gradient twice in one "
              "backward; run forward again before another backward");
  ready_[index] = true;
  ++ready_count_;
  slice_of(index).copy_(params_[index].grad());
  Bucket& b = buckets_[bucket_of_[index]];
  if (--b.pending == 0) launch_ready_buckets();
  for (size_t k = 0; k < next_bucket_; ++k) buckets_[k].work->test();  // drives MPI's progress
}

void DistributedDataParallel::launch_ready_buckets() {
  while (next_bucket_ < buckets_.size() && buckets_[next_bucket_].pending == 0) {
    Bucket& b = buckets_[next_bucket_];
    if (b.flat.is_cuda()) {
      launch_on_comm_stream(b);
    } else {
      b.flat.mul_(1.0 / world_size_);
      b.work = distributed::all_reduce_async(b.flat, distributed::ReduceOp::Sum);
    }
    launches_.push_back({next_bucket_, ready_count_});
    ++next_bucket_;
  }
}

// Note [Communication stream]: after the gradient copies queued on the compute stream.
void DistributedDataParallel::launch_on_comm_stream(Bucket& b) {
  const int device = b.flat.device().index();
  cuda::Event copied(/*enable_timing=*/false);
  {
    cuda::DeviceGuard on_device(device);
    copied.record(cuda::current_stream(device));
  }
  comm_stream_->wait(copied);
  cuda::StreamGuard on_comm(*comm_stream_);
  b.flat.mul_(1.0 / world_size_);
  b.work = distributed::all_reduce_async(b.flat, distributed::ReduceOp::Sum);
}

void DistributedDataParallel::finish_backward() {
  // Parameters that got no gradient this backward contribute zeros (Note [Unused parameters]).
  const std::vector<bool> used_here = ready_;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (ready_[i]) continue;
    slice_of(i).zero_();
    ready_[i] = true;
    --buckets_[bucket_of_[i]].pending;
  }
  launch_ready_buckets();
  if (comm_stream_) {  // the compute stream waits for the communication stream
    cuda::DeviceGuard on_device(comm_stream_->device_index());
    cuda::Event reduced(/*enable_timing=*/false);
    reduced.record(*comm_stream_);
    cuda::current_stream(comm_stream_->device_index()).wait(reduced);
  }
  for (Bucket& b : buckets_) b.work->wait();
  const std::vector<bool> used = find_unused_parameters_ ? used_on_some_rank(used_here) : used_here;
  std::vector<size_t> unused;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!used[i]) {  // .grad untouched (Note [Unused parameters])
      unused.push_back(i);
      continue;
    }
    Tensor& grad = params_[i].mutable_grad();
    if (grad.defined()) grad.copy_(slice_of(i));
    else grad = slice_of(i).clone();
  }
  last_launches_ = launches_;
  reset_backward_state();
  EMBER_CHECK(find_unused_parameters_ || unused.empty(),
              "Expected to have finished reduction in the prior iteration before starting a new one. This error "
              "indicates that your module has parameters that were not used in producing loss. You can enable "
              "unused parameter detection by passing the keyword argument `find_unused_parameters=true` to "
              "DistributedDataParallelOptions, and by making sure all `forward` function outputs participate in "
              "calculating loss. Parameters which did not receive grad for rank ",
              distributed::rank(), ": ", parameter_names(unused));
}

std::vector<bool> DistributedDataParallel::used_on_some_rank(const std::vector<bool>& used_here) const {
  std::vector<float> counts(used_here.size());
  for (size_t i = 0; i < used_here.size(); ++i) counts[i] = used_here[i] ? 1.0f : 0.0f;
  Tensor total = tensor(counts, {static_cast<int64_t>(counts.size())}).to(params_[0].device());
  distributed::all_reduce(total, distributed::ReduceOp::Sum);
  const std::vector<float> summed = total.to_vector<float>();
  std::vector<bool> used(summed.size());
  for (size_t i = 0; i < summed.size(); ++i) used[i] = summed[i] > 0.0f;
  return used;
}

std::string DistributedDataParallel::parameter_names(const std::vector<size_t>& indices) const {
  const auto named = module_->named_parameters();
  std::string out;
  for (size_t i : indices) {
    std::string name = "parameter " + std::to_string(i);
    for (const auto& [n, p] : named)
      if (p.is_same(params_[i])) name = n;
    out += (out.empty() ? "" : ", ") + name;
  }
  return out;
}

void DistributedDataParallel::reset_backward_state() {
  for (Bucket& b : buckets_) {
    if (b.work) b.work->wait();  // never leave a collective in flight over a reused buffer
    b.work.reset();
    b.pending = b.params.size();
  }
  std::fill(ready_.begin(), ready_.end(), false);
  ready_count_ = 0;
  next_bucket_ = 0;
  callback_queued_ = false;
}

}  // namespace ember::nn
