// SavedVariable, the saved-activation ledger (unique storages, by op and scope) and
// the pack/unpack hooks. See Note [Saved tensors under no_grad] in the header.
#include "autograd/saved_variable.h"

#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "autograd/node.h"
#include "autograd/record.h"
#include "core/grad_mode.h"
#include "core/legacy_type_name.h"
#include "core/profiler.h"

namespace ember::autograd {
namespace {

struct LedgerEntry {
  int64_t refs = 0;
  int64_t bytes = 0;
  std::string op;
  std::string scope;
};

struct Ledger {
  std::mutex mu;
  std::unordered_map<const void*, LedgerEntry> entries;
  SavedTensorStats stats;

  void add(const void* key, int64_t bytes, const std::string& op, const std::string& scope) {
    std::lock_guard<std::mutex> lock(mu);
    LedgerEntry& e = entries[key];
    if (e.refs++ > 0) return;
    e.bytes = bytes;
    e.op = op;
    e.scope = scope;
    stats.current_bytes += bytes;
    stats.count += 1;
    stats.peak_bytes = std::max(stats.peak_bytes, stats.current_bytes);
    stats.bytes_by_op[op] += bytes;
    if (!scope.empty()) stats.bytes_by_scope[scope] += bytes;
    sample_for_profiler();
  }

  int64_t remove(const void* key) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = entries.find(key);
    if (it == entries.end() || --it->second.refs > 0) return 0;
    const LedgerEntry& e = it->second;
    const int64_t freed = e.bytes;
    stats.current_bytes -= e.bytes;
    stats.count -= 1;
    drop_from(stats.bytes_by_op, e.op, e.bytes);
    if (!e.scope.empty()) drop_from(stats.bytes_by_scope, e.scope, e.bytes);
    entries.erase(it);
    sample_for_profiler();
    return freed;
  }

  // The ledger's track in a trace (Note [Profiler]); under `mu`, so samples keep its order.
  void sample_for_profiler() const {
    if (EMBER_UNLIKELY(profiler::is_enabled()))
      profiler::counter(profiler::CounterKind::SavedActivations, Device::cpu(), stats.current_bytes);
  }

  static void drop_from(std::map<std::string, int64_t>& m, const std::string& key, int64_t bytes) {
    auto it = m.find(key);
    if (it != m.end() && (it->second -= bytes) == 0) m.erase(it);
  }
};

Ledger& ledger() {
  static Ledger* l = new Ledger();  // never destroyed: saved tensors may die at exit
  return *l;
}

thread_local std::string tls_scope;
// The hooks, placeholder factories and save_on_cpu scopes in effect, innermost last (each
// entry is one of the three).
struct SaveInterceptor {
  PackHook pack;
  UnpackHook unpack;
  PlaceholderFactory placeholder;
  bool to_cpu = false;
  bool copy_cpu_tensors = false;  // save_on_cpu(pin_memory=true): a CPU tensor is copied too
};
thread_local std::vector<SaveInterceptor> tls_hooks;
thread_local bool tls_bypass_hooks = false;

std::string describe(const Tensor& t) {
  std::string s = ember::detail::str_cat("[", legacy_type_name(t.dtype(), t.is_cuda()), " [");
  for (size_t i = 0; i < t.sizes().size(); ++i) s += (i ? ", " : "") + std::to_string(t.sizes()[i]);
  return s + "]]";
}


}  // namespace

SavedTensorStats saved_tensor_stats() {
  std::lock_guard<std::mutex> lock(ledger().mu);
  return ledger().stats;
}

void reset_saved_tensor_peak() {
  std::lock_guard<std::mutex> lock(ledger().mu);
  ledger().stats.peak_bytes = ledger().stats.current_bytes;
}

const std::string& current_ledger_scope() { return tls_scope; }

LedgerScope::LedgerScope(std::string label) : previous_(tls_scope) {
  tls_scope = previous_.empty() ? std::move(label) : previous_ + "." + label;
}
LedgerScope::~LedgerScope() { tls_scope = previous_; }
const std::string& LedgerScope::current() { return tls_scope; }

SavedTensorsHooksGuard::SavedTensorsHooksGuard(PackHook pack, UnpackHook unpack) {
  EMBER_CHECK(pack && unpack, "SavedTensorsHooksGuard: expected both a pack and an unpack hook");
  tls_hooks.push_back({std::move(pack), std::move(unpack), nullptr});
}
SavedTensorsHooksGuard::~SavedTensorsHooksGuard() { tls_hooks.pop_back(); }

SavedPlaceholderGuard::SavedPlaceholderGuard(PlaceholderFactory factory) {
  EMBER_CHECK(factory, "SavedPlaceholderGuard: expected a placeholder factory");
  tls_hooks.push_back({nullptr, nullptr, std::move(factory)});
}
SavedPlaceholderGuard::~SavedPlaceholderGuard() { tls_hooks.pop_back(); }

// Note [Saved tensors on the CPU]
// SaveOnCpuGuard is PyTorch's save_on_cpu: a saved tensor on a device is copied to the CPU
// when saved (under no_grad, like a pack hook) and copied back to its device by unpack().
// The copy is counted in the saved-activation ledger: it is still memory held for backward,
// only no longer the device's (the device's allocator shows the saving). A CPU tensor is
// saved as it is, as PyTorch's tensor.cpu() returns the tensor itself; it keeps the version
// check. With pin_memory it is copied, as PyTorch's pack copies into a new pinned buffer. A
// copied tensor has no version check, as PyTorch checks no tensor saved through hooks: an
// in-place change of the original after saving is not seen, backward uses the copy.
SaveOnCpuGuard::SaveOnCpuGuard(bool pin_memory) { tls_hooks.push_back({nullptr, nullptr, nullptr, true, pin_memory}); }
SaveOnCpuGuard::~SaveOnCpuGuard() { tls_hooks.pop_back(); }

SavedVariable SavedVariable::without_hooks(const Tensor& t, const std::string& saver) {
  const bool previous = std::exchange(tls_bypass_hooks, true);
  struct Restore {
    bool value;
    ~Restore() { tls_bypass_hooks = value; }
  } restore{previous};
  return SavedVariable(t, saver);
}

SavedVariable::SavedVariable(const Tensor& t, const std::string& saver, const Node* saving_node) {
  if (!t.defined()) return;
  EMBER_CHECK(!t.is_inference(),
              "Inference tensors cannot be saved for backward. To work around you can make a clone "
              "to get a normal tensor and use it in autograd.");
  was_defined_ = true;
  saved_version_ = t.storage()->version();
  if (const auto& meta = t.impl().autograd; meta && meta->grad_fn) {
    is_leaf_ = false;
    output_nr_ = meta->output_nr;
    producer_ = meta->grad_fn->name();
    if (meta->grad_fn.get() == saving_node) is_saver_output_ = true;
    else grad_fn_ = meta->grad_fn;  // mostly an input's (kept by the edges anyway), or an in-place op's copy
  } else if (t.requires_grad()) {
    leaf_ = t;
  }
  data_ = t.detach();  // same data, no grad_fn: the saved value never keeps its own node alive
  if (const SaveInterceptor* hook = tls_hooks.empty() || tls_bypass_hooks ? nullptr : &tls_hooks.back()) {
    if (hook->placeholder) {  // kept elsewhere (or recomputed): nothing here, nothing in the ledger
      placeholder_ = hook->placeholder(data_, saver);
      data_ = Tensor();
      return;
    }
    if (hook->to_cpu) {  // Note [Saved tensors on the CPU]
      if (!data_.device().is_cpu() || hook->copy_cpu_tensors) {
        NoGradGuard no_grad;
        copied_from_ = data_.device();
        data_ = data_.device().is_cpu() ? data_.clone() : data_.to(Device::cpu());
      }
    } else {
      // As PyTorch's set_hooks_and_pack_data: the hook gets the tensor itself (its
      // requires_grad and grad_fn, which offload hooks test), runs without recording (an op in
      // it would save a tensor and call the hook again, without end), and may not write into
      // what it is given. Given back unchanged, the tensor is kept as its detached alias, so
      // the saved value never holds its own node.
      const uint32_t version_before = data_.storage()->version();
      {
        NoGradGuard no_grad;
        Tensor packed = hook->pack(t);
        if (packed.defined() && &packed.impl() != &t.impl())
          data_ = std::move(packed);
        else if (!packed.defined())
          data_ = Tensor();
      }
      EMBER_CHECK(t.storage()->version() == version_before,
                  "A saved tensor pack hook is modifying its input in place. Tensors provided as input to pack hook "
                  "can not be modified by in-place operations as this can lead to unexpected side-effects. Please "
                  "open an issue if you need to perform in-place operations on the input to a pack hook.");
      EMBER_CHECK(data_.defined(), "a saved-tensor pack hook returned an undefined tensor");
      unpack_ = hook->unpack;
    }
  }
  ledger_key_ = data_.storage().get();
  ledger().add(ledger_key_, static_cast<int64_t>(data_.storage()->nbytes()), saver, tls_scope);
}

SavedVariable::SavedVariable(SavedVariable&& other) noexcept { *this = std::move(other); }

SavedVariable& SavedVariable::operator=(SavedVariable&& other) noexcept {
  if (this == &other) return *this;
  release();
  data_ = std::move(other.data_);
  leaf_ = std::move(other.leaf_);
  grad_fn_ = std::move(other.grad_fn_);
  is_saver_output_ = other.is_saver_output_;
  unpack_ = std::move(other.unpack_);
  placeholder_ = std::move(other.placeholder_);
  copied_from_ = other.copied_from_;
  saved_version_ = other.saved_version_;
  was_defined_ = other.was_defined_;
  released_ = other.released_;
  is_leaf_ = other.is_leaf_;
  output_nr_ = other.output_nr_;
  producer_ = std::move(other.producer_);
  ledger_key_ = std::exchange(other.ledger_key_, nullptr);
  return *this;
}

SavedVariable::~SavedVariable() { release(); }

int64_t SavedVariable::release() {
  const int64_t freed = ledger_key_ ? ledger().remove(ledger_key_) : 0;
  ledger_key_ = nullptr;
  if (was_defined_) released_ = true;
  data_ = Tensor();
  leaf_ = Tensor();
  grad_fn_.reset();
  unpack_ = nullptr;
  placeholder_.reset();
  copied_from_.reset();
  return freed;
}

Tensor SavedVariable::unpack() const {
  if (!was_defined_) return Tensor();
  EMBER_CHECK(!released_,
              "Trying to backward through the graph a second time (or directly access saved tensors "
              "after they have already been freed). Saved intermediate values of the graph are freed "
              "when you call .backward() or autograd::grad(). Specify retain_graph=true if you need to "
              "backward through the graph a second time or if you need to access saved tensors after "
              "calling backward.");
  if (placeholder_) return placeholder_->get();
  // Saved as nothing: by a recomputation whose placeholder factory kept the tensor itself.
  EMBER_CHECK(data_.defined(),
              "checkpoint: a backward inside the checkpointed function (autograd::grad or backward() on tensors "
              "computed in it, such as a gradient penalty) is not supported; compute it outside the checkpoint");
  if (copied_from_) return data_.to(*copied_from_);  // Note [Saved tensors on the CPU]
  Tensor value = unpack_ ? unpack_(data_) : data_;
  if (!unpack_) {
    uint32_t now = data_.storage()->version();
    EMBER_CHECK(now == saved_version_,
                "one of the variables needed for gradient computation has been modified by an inplace "
                "operation: ", describe(data_),
                is_leaf_ ? std::string() : ember::detail::str_cat(", which is output ", output_nr_, " of ", producer_, ","),
                " is at version ", now, "; expected version ", saved_version_,
                " instead. Hint: the operation that failed was the one that saved this tensor; avoid "
                "modifying it in place before backward, or use .clone().");
  }
  return value;
}

Tensor SavedVariable::unpack_with_history(const std::shared_ptr<Node>& saver) const {
  Tensor value = unpack();
  if (!value.defined()) return value;
  if (leaf_.defined()) {
    if (!unpack_ && !copied_from_) return leaf_;
    // The hooks' value stands for the leaf: its gradient reaches the leaf's accumulator, as
    // PyTorch's unpack wires the unpacked data to the leaf's grad accumulator.
    const Edge edge = gradient_edge(leaf_);
    Tensor alias = value.detach();
    set_history(alias, edge.fn, edge.input_nr);
    return alias;
  }
  const std::shared_ptr<Node>& fn = is_saver_output_ ? saver : grad_fn_;
  if (!fn) return value;
  Tensor alias = value.detach();  // the same data, as an output of fn
  set_history(alias, fn, output_nr_);
  return alias;
}

}  // namespace ember::autograd
