// utils::checkpoint: the frame that records a checkpointed call (inputs, random and
// autocast state, one slot per saved tensor) and recomputes it for backward. See Note
// [Activation checkpointing] in the header.
#include "autograd/checkpoint.h"

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "autograd/hooks.h"
#include "autograd/saved_variable.h"
#include "core/autocast.h"
#include "core/error.h"
#include "core/grad_mode.h"
#include "core/legacy_type_name.h"
#include "core/random.h"

namespace ember::utils {
namespace {

thread_local int tls_recomputing = 0;
thread_local int tls_in_checkpoint = 0;

class DepthScope {
 public:
  explicit DepthScope(int& depth) : depth_(depth) { ++depth_; }
  ~DepthScope() { --depth_; }
  DepthScope(const DepthScope&) = delete;
  DepthScope& operator=(const DepthScope&) = delete;

 private:
  int& depth_;
};

struct SavedMeta {
  Dims shape;
  DType dtype;
  Device device;
  std::string saver;
  // The storage and its version when saved: a tensor from outside the function (a
  // parameter) that is still alive at the recomputation must not have changed since.
  std::weak_ptr<StorageImpl> storage;
  uint32_t version = 0;

  bool operator==(const SavedMeta& o) const { return shape == o.shape && dtype == o.dtype && device == o.device; }
  std::string str() const {
    return ember::detail::str_cat("{shape: ", shape.str(), ", dtype: ", dtype_name(dtype), ", device: ", device.str(),
                                  "} saved by ", saver);
  }
};

SavedMeta meta_of(const Tensor& t, const std::string& saver) {
  SavedMeta m{t.sizes(), t.dtype(), t.device(), saver, {}, 0};
  if (!t.is_inference()) {
    m.storage = t.storage();
    m.version = t.storage()->version();
  }
  return m;
}

// A checkpoint input: kept with its version (a SavedVariable), or as it is when it is an
// inference tensor, which has no version and cannot be saved.
struct Input {
  autograd::SavedVariable saved;
  Tensor inference;
  bool requires_grad = false;
  uint32_t version_before = 0;  // before the function ran
  bool modified_by_function = false;
};

// Runs with the random stream at a saved place, then puts the current one back.
class RngRewind {
 public:
  explicit RngRewind(const std::optional<PhiloxArgs>& at) : active_(at.has_value()) {
    if (!active_) return;
    const PhiloxArgs now = default_generator().reserve(0);
    seed_ = now.seed;
    offset_ = now.offset;
    default_generator().set_state(at->seed, at->offset);
  }
  ~RngRewind() {
    if (active_) default_generator().set_state(seed_, offset_);
  }
  RngRewind(const RngRewind&) = delete;
  RngRewind& operator=(const RngRewind&) = delete;

 private:
  bool active_;
  uint64_t seed_ = 0, offset_ = 0;
};

class Frame : public std::enable_shared_from_this<Frame> {
 public:
  Frame(CheckpointFunction fn, const std::vector<Tensor>& inputs, bool preserve_rng) : fn_(std::move(fn)) {
    for (const Tensor& t : inputs) {
      Input in;
      if (t.defined() && t.is_inference()) {
        in.inference = t;
      } else {
        in.saved = autograd::SavedVariable::without_hooks(t, "Checkpoint");
        if (t.defined()) in.version_before = t.storage()->version();
      }
      in.requires_grad = t.defined() && t.requires_grad();
      inputs_.push_back(std::move(in));
    }
    if (preserve_rng) rng_ = default_generator().reserve(0);
    autocast_cpu_ = autocast::is_enabled(DeviceType::CPU);
    autocast_cuda_ = autocast::is_enabled(DeviceType::CUDA);
    autocast_cpu_dtype_ = autocast::get_dtype(DeviceType::CPU);
    autocast_cuda_dtype_ = autocast::get_dtype(DeviceType::CUDA);
    scope_ = autograd::LedgerScope::current();
  }

  // Runs the function for the forward, its saves becoming placeholders.
  std::vector<Tensor> forward(const std::vector<Tensor>& inputs);

  // The forward's save number `index`; called by the placeholder factory.
  size_t add_slot(const Tensor& t, const std::string& saver) {
    metas_.push_back(meta_of(t, saver));
    live_.push_back(true);
    return metas_.size() - 1;
  }

  // Each backward running through the checkpoint reads its own recomputation (keyed by its
  // backward id, as PyTorch keys them by graph task), so threads running backward at once
  // do not read or clear each other's; the mutex keeps them from changing the map together.
  Tensor get(size_t index) {
    EMBER_CHECK(!forward_running_, kBackwardInsideMessage);
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    const uint64_t backward = autograd::current_backward_id();
    auto it = recomputed_.find(backward);
    if (it == recomputed_.end()) it = recomputed_.emplace(backward, recompute()).first;
    EMBER_CHECK(index < it->second.size() && it->second[index].was_defined(),
                "internal error: checkpoint's recomputed tensor ", index, " is missing");
    return it->second[index].unpack();
  }

  void drop(size_t index) {
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    live_[index] = false;
    for (auto& [_, values] : recomputed_)
      if (index < values.size()) values[index].release();
  }

 private:
  // The forward run again for the backward running now (its id's entry is made by get).
  std::vector<autograd::SavedVariable> recompute() {
    std::vector<Tensor> args;
    for (size_t i = 0; i < inputs_.size(); ++i) {
      Input& in = inputs_[i];
      EMBER_CHECK(!in.modified_by_function, "checkpoint: the checkpointed function modified its input ", i,
                  " in place (an in-place op on the tensor passed in, such as ReLU(inplace=true) as the first module "
                  "of a checkpoint_sequential segment), so the recomputation for backward cannot see the input as it "
                  "was; make that op out of place or pass the function a clone() of the input");
      // The saved input fails here if it was modified in place after the forward.
      Tensor v = in.inference.defined() ? in.inference : in.saved.unpack();
      if (v.defined() && !v.is_inference()) {
        v = v.detach();
        if (in.requires_grad) v.requires_grad_(true);
      }
      args.push_back(std::move(v));
    }
    std::vector<autograd::SavedVariable> fresh(metas_.size());
    size_t next = 0;
    {
      autograd::SavedPlaceholderGuard store([&](const Tensor& t, const std::string& saver) {
        const SavedMeta now = meta_of(t, saver);
        EMBER_CHECK(next < metas_.size(), different_count_message(metas_.size() + 1));
        EMBER_CHECK(now == metas_[next],
                    "checkpoint: Recomputed values for the following tensors have different metadata than during "
                    "the forward pass.\ntensor at position ", next, ":\nsaved metadata: ", metas_[next].str(),
                    "\nrecomputed metadata: ", now.str(),
                    "\n(the checkpointed function must run the same ops on the same shapes each time)");
        const SavedMeta& then = metas_[next];
        if (auto storage = then.storage.lock(); storage && storage.get() == t.storage().get()) {
          EMBER_CHECK(storage->version() == then.version,
                      "one of the variables needed for gradient computation has been modified by an inplace "
                      "operation: [", legacy_type_name(t.dtype(), t.is_cuda()), " ", t.sizes().str(), "], saved by ", saver,
                      " inside a checkpointed function, is at version ", storage->version(), "; expected version ",
                      then.version, " instead. Hint: a tensor the function reads from outside (a parameter) "
                      "changed between the forward and backward (an optimizer step, an in-place op); its "
                      "recomputation would use the new values");
        }
        if (live_[next]) fresh[next] = autograd::SavedVariable::without_hooks(t, saver);
        ++next;
        return std::shared_ptr<autograd::SavedPlaceholder>();
      });
      DepthScope recomputing(tls_recomputing), inside(tls_in_checkpoint);
      InferenceModeGuard not_inference(false);  // grad mode on: the ops record and save
      RngRewind rewind(rng_);
      std::optional<AutocastGuard> cpu_autocast, cuda_autocast;
      if (autocast::is_enabled(DeviceType::CPU) != autocast_cpu_ ||
          autocast::get_dtype(DeviceType::CPU) != autocast_cpu_dtype_)
        cpu_autocast.emplace(Device::cpu(), autocast_cpu_dtype_, autocast_cpu_);
      if (autocast::is_enabled(DeviceType::CUDA) != autocast_cuda_ ||
          autocast::get_dtype(DeviceType::CUDA) != autocast_cuda_dtype_)
        cuda_autocast.emplace(Device::cuda(0), autocast_cuda_dtype_, autocast_cuda_);
      std::optional<autograd::LedgerScope> scope;
      if (!scope_.empty() && autograd::LedgerScope::current() != scope_) scope.emplace(scope_);
      (void)fn_(args);
    }
    EMBER_CHECK(next == metas_.size(), different_count_message(next));
    // Kept for this backward only: with retain_graph a later backward recomputes again. A
    // backward that throws before its callbacks run leaves its entry until the frame goes.
    if (autograd::in_backward()) {
      autograd::queue_callback([weak = weak_from_this(), backward = autograd::current_backward_id()] {
        if (auto frame = weak.lock()) frame->forget_recomputed(backward);
      });
    }
    return fresh;
  }

  void forget_recomputed(uint64_t backward) {
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    recomputed_.erase(backward);
  }

  std::string different_count_message(size_t recomputed) const {
    return ember::detail::str_cat(
        "checkpoint: A different number of tensors was saved during the original forward and recomputation.\n"
        "Number of tensors saved during forward: ", metas_.size(), "\nNumber of tensors saved during recomputation: ",
        recomputed, (recomputed > metas_.size() ? " or more" : ""),
        "\n(the checkpointed function must run the same ops each time it is called)");
  }

  static constexpr const char* kBackwardInsideMessage =
      "checkpoint: a backward inside the checkpointed function (autograd::grad or backward() on tensors computed "
      "in it, such as a gradient penalty) is not supported; compute it outside the checkpoint";

  CheckpointFunction fn_;
  std::vector<Input> inputs_;
  bool forward_running_ = false;
  std::optional<PhiloxArgs> rng_;
  bool autocast_cpu_ = false, autocast_cuda_ = false;
  DType autocast_cpu_dtype_ = kBFloat16, autocast_cuda_dtype_ = kBFloat16;
  std::string scope_;
  std::vector<SavedMeta> metas_;             // one per tensor the forward saved, in order
  std::vector<bool> live_;                   // whether that saved tensor is still held by the graph
  // The recomputed tensors per backward id (released as they are used).
  std::map<uint64_t, std::vector<autograd::SavedVariable>> recomputed_;
  std::recursive_mutex mutex_;
};

class Slot final : public autograd::SavedPlaceholder {
 public:
  Slot(std::shared_ptr<Frame> frame, size_t index) : frame_(std::move(frame)), index_(index) {}
  ~Slot() override { frame_->drop(index_); }
  Tensor get() override { return frame_->get(index_); }

 private:
  std::shared_ptr<Frame> frame_;
  size_t index_;
};

std::vector<Tensor> Frame::forward(const std::vector<Tensor>& inputs) {
  auto self = shared_from_this();
  autograd::SavedPlaceholderGuard placeholders([&self](const Tensor& t, const std::string& saver) {
    const size_t index = self->add_slot(t, saver);
    return std::static_pointer_cast<autograd::SavedPlaceholder>(std::make_shared<Slot>(self, index));
  });
  DepthScope inside(tls_in_checkpoint);
  forward_running_ = true;
  struct Done {
    bool& flag;
    ~Done() { flag = false; }
  } done{forward_running_};
  std::vector<Tensor> outputs = fn_(inputs);
  for (size_t i = 0; i < inputs.size(); ++i) {
    Input& in = inputs_[i];
    if (inputs[i].defined() && !inputs[i].is_inference())
      in.modified_by_function = inputs[i].storage()->version() != in.version_before;
  }
  return outputs;
}

}  // namespace

bool is_recomputing() { return tls_recomputing > 0; }
bool in_checkpoint() { return tls_in_checkpoint > 0; }

std::vector<Tensor> checkpoint(CheckpointFunction fn, const std::vector<Tensor>& inputs, CheckpointOptions options) {
  EMBER_CHECK(fn != nullptr, "checkpoint: expected a function, but got an empty one");
  if (!is_grad_enabled() || is_inference_mode_enabled()) return fn(inputs);  // nothing is saved, nothing to recompute
  EMBER_CHECK(!options.preserve_rng_state || !default_generator().is_capturing(),
              "checkpoint: preserve_rng_state=true is not supported while a CUDA graph is being captured (the "
              "recomputation could not replay the captured random stream); pass preserve_rng_state=false if the "
              "function draws no random numbers");
  auto frame = std::make_shared<Frame>(std::move(fn), inputs, options.preserve_rng_state);
  return frame->forward(inputs);
}

Tensor checkpoint(const std::function<Tensor(const Tensor&)>& fn, const Tensor& input, CheckpointOptions options) {
  EMBER_CHECK(fn != nullptr, "checkpoint: expected a function, but got an empty one");
  std::vector<Tensor> out = checkpoint([fn](const std::vector<Tensor>& in) { return std::vector<Tensor>{fn(in[0])}; },
                                       std::vector<Tensor>{input}, options);
  return out[0];
}

}  // namespace ember::utils
