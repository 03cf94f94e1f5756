// utils::checkpoint: the frame that records a checkpointed call (inputs, random and
// autocast state, one slot per saved tensor) and recomputes it for backward. See Note
// [Activation checkpointing] in the header.
#include "autograd/checkpoint.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "autograd/hooks.h"
#include "autograd/saved_variable.h"
#include "core/autocast.h"
#include "core/error.h"
#include "core/grad_mode.h"
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

  bool operator==(const SavedMeta& o) const { return shape == o.shape && dtype == o.dtype && device == o.device; }
  std::string str() const {
    return ember::detail::str_cat("{shape: ", shape.str(), ", dtype: ", dtype_name(dtype), ", device: ", device.str(),
                                  "} saved by ", saver);
  }
};

SavedMeta meta_of(const Tensor& t, const std::string& saver) { return {t.sizes(), t.dtype(), t.device(), saver}; }

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
      inputs_.push_back(autograd::SavedVariable::without_hooks(t, "Checkpoint"));
      requires_grad_.push_back(t.defined() && t.requires_grad());
    }
    if (preserve_rng) rng_ = default_generator().reserve(0);
    autocast_cpu_ = autocast::is_enabled(DeviceType::CPU);
    autocast_cuda_ = autocast::is_enabled(DeviceType::CUDA);
    scope_ = autograd::LedgerScope::current();
  }

  // The forward's save number `index`; called by the placeholder factory.
  size_t add_slot(const Tensor& t, const std::string& saver) {
    metas_.push_back(meta_of(t, saver));
    live_.push_back(true);
    return metas_.size() - 1;
  }

  Tensor get(size_t index) {
    if (!recomputed_) recompute();
    EMBER_CHECK(index < values_.size() && values_[index].was_defined(),
                "internal error: checkpoint's recomputed tensor ", index, " is missing");
    return values_[index].unpack();
  }

  void drop(size_t index) {
    live_[index] = false;
    if (index < values_.size()) values_[index].release();
  }

 private:
  void recompute() {
    std::vector<Tensor> args;
    for (size_t i = 0; i < inputs_.size(); ++i) {
      Tensor v = inputs_[i].unpack();  // fails if an input was modified in place since the forward
      if (v.defined()) {
        v = v.detach();
        if (requires_grad_[i]) v.requires_grad_(true);
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
        if (live_[next]) fresh[next] = autograd::SavedVariable::without_hooks(t, saver);
        ++next;
        return std::shared_ptr<autograd::SavedPlaceholder>();
      });
      DepthScope recomputing(tls_recomputing), inside(tls_in_checkpoint);
      InferenceModeGuard not_inference(false);  // grad mode on: the ops record and save
      RngRewind rewind(rng_);
      std::optional<AutocastGuard> cpu_autocast, cuda_autocast;
      if (autocast::is_enabled(DeviceType::CPU) != autocast_cpu_)
        cpu_autocast.emplace(Device::cpu(), kBFloat16, autocast_cpu_);
      if (autocast::is_enabled(DeviceType::CUDA) != autocast_cuda_)
        cuda_autocast.emplace(Device::cuda(0), kBFloat16, autocast_cuda_);
      std::optional<autograd::LedgerScope> scope;
      if (!scope_.empty() && autograd::LedgerScope::current() != scope_) scope.emplace(scope_);
      (void)fn_(args);
    }
    EMBER_CHECK(next == metas_.size(), different_count_message(next));
    values_ = std::move(fresh);
    recomputed_ = true;
    // Kept for this backward only: with retain_graph a later backward recomputes again.
    if (autograd::in_backward()) {
      autograd::queue_callback([weak = weak_from_this()] {
        if (auto frame = weak.lock()) frame->forget_recomputed();
      });
    }
  }

  void forget_recomputed() {
    values_.clear();
    recomputed_ = false;
  }

  std::string different_count_message(size_t recomputed) const {
    return ember::detail::str_cat(
        "checkpoint: A different number of tensors was saved during the original forward and recomputation.\n"
        "Number of tensors saved during forward: ", metas_.size(), "\nNumber of tensors saved during recomputation: ",
        recomputed, (recomputed > metas_.size() ? " or more" : ""),
        "\n(the checkpointed function must run the same ops each time it is called)");
  }

  CheckpointFunction fn_;
  std::vector<autograd::SavedVariable> inputs_;
  std::vector<bool> requires_grad_;
  std::optional<PhiloxArgs> rng_;
  bool autocast_cpu_ = false, autocast_cuda_ = false;
  std::string scope_;
  std::vector<SavedMeta> metas_;             // one per tensor the forward saved, in order
  std::vector<bool> live_;                   // whether that saved tensor is still held by the graph
  std::vector<autograd::SavedVariable> values_;  // the recomputed tensors (released as they are used)
  bool recomputed_ = false;
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
  auto frame = std::make_shared<Frame>(fn, inputs, options.preserve_rng_state);
  autograd::SavedPlaceholderGuard placeholders([&frame](const Tensor& t, const std::string& saver) {
    const size_t index = frame->add_slot(t, saver);
    return std::static_pointer_cast<autograd::SavedPlaceholder>(std::make_shared<Slot>(frame, index));
  });
  DepthScope inside(tls_in_checkpoint);
  return fn(inputs);
}

Tensor checkpoint(const std::function<Tensor(const Tensor&)>& fn, const Tensor& input, CheckpointOptions options) {
  EMBER_CHECK(fn != nullptr, "checkpoint: expected a function, but got an empty one");
  std::vector<Tensor> out = checkpoint([fn](const std::vector<Tensor>& in) { return std::vector<Tensor>{fn(in[0])}; },
                                       std::vector<Tensor>{input}, options);
  return out[0];
}

}  // namespace ember::utils
