// Saved tensors: what a node keeps from the forward pass for its backward formula,
// with the version snapshot that detects in-place modification, registration in the
// saved-activation ledger, and optional user pack/unpack hooks.
//
// Note [Saved tensors under no_grad]
// A tensor is saved only by a node, and a node is made only by record() when grad
// mode is on, inference mode is off and some input requires grad. So under no_grad
// and inference mode nothing is saved and the ledger cannot grow. Ops that have
// training-only outputs (dropout masks, BatchNorm's saved statistics) ask
// will_record() first and skip producing what would not be kept.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/tensor.h"

namespace ember::autograd {

class Node;

// The saved-activation ledger: unique storages held by saved tensors.
struct SavedTensorStats {
  int64_t current_bytes = 0;
  int64_t peak_bytes = 0;
  int64_t count = 0;                             // unique storages held now
  std::map<std::string, int64_t> bytes_by_op;    // current bytes, by the node that saved them
  std::map<std::string, int64_t> bytes_by_scope; // current bytes, by LedgerScope (e.g. module)
};
SavedTensorStats saved_tensor_stats();
void reset_saved_tensor_peak();

// The ledger scope in effect on this thread: dotted module names ("features.1"), "" at
// top level.
const std::string& current_ledger_scope();

// Attributes tensors saved inside the scope to `label` (nn uses the module's name).
class LedgerScope {
 public:
  explicit LedgerScope(std::string label);
  ~LedgerScope();
  // The dotted label path open on this thread now ("" outside any scope).
  static const std::string& current();
  LedgerScope(const LedgerScope&) = delete;
  LedgerScope& operator=(const LedgerScope&) = delete;

 private:
  std::string previous_;
};

// Like torch.autograd.graph.saved_tensors_hooks: inside the scope, every saved
// tensor is stored as pack(t) and given back to backward as unpack(packed). pack gets
// the tensor itself (its requires_grad and grad_fn), as PyTorch's.
using PackHook = std::function<Tensor(const Tensor&)>;
using UnpackHook = std::function<Tensor(const Tensor&)>;
class SavedTensorsHooksGuard {
 public:
  SavedTensorsHooksGuard(PackHook pack, UnpackHook unpack);
  ~SavedTensorsHooksGuard();
  SavedTensorsHooksGuard(const SavedTensorsHooksGuard&) = delete;
  SavedTensorsHooksGuard& operator=(const SavedTensorsHooksGuard&) = delete;
};

// Like torch.autograd.graph.save_on_cpu: inside the scope, a tensor saved for backward on
// another device is kept as a CPU copy and copied back to its device when backward needs it
// (Note [Saved tensors on the CPU] in autograd/saved_variable.cpp). It stacks with the other
// guards: the innermost applies.
class SaveOnCpuGuard {
 public:
  // pin_memory is PyTorch's argument: the copy back to the device already goes through
  // ember's pinned staging buffers (cuda/transfer.cpp); as PyTorch's, it copies a CPU
  // tensor too (pin_memory = false keeps a CPU tensor as it is, with its version check).
  explicit SaveOnCpuGuard(bool pin_memory = false);
  ~SaveOnCpuGuard();
  SaveOnCpuGuard(const SaveOnCpuGuard&) = delete;
  SaveOnCpuGuard& operator=(const SaveOnCpuGuard&) = delete;
};

// A saved value kept somewhere else than in the SavedVariable (activation checkpointing,
// Note [Activation checkpointing] in autograd/checkpoint.h): get() gives it back for
// backward; the SavedVariable owns the placeholder and drops it when the graph frees
// its saved tensors.
class SavedPlaceholder {
 public:
  virtual ~SavedPlaceholder() = default;
  virtual Tensor get() = 0;
};
// Makes the placeholder for a tensor saved by `saver`, or returns null to keep nothing
// (a recomputation that stores the tensor itself).
using PlaceholderFactory = std::function<std::shared_ptr<SavedPlaceholder>(const Tensor& t, const std::string& saver)>;

// Inside the scope every saved tensor becomes factory(t, saver) instead of being kept.
// It stacks with SavedTensorsHooksGuard: the innermost of the two applies.
class SavedPlaceholderGuard {
 public:
  explicit SavedPlaceholderGuard(PlaceholderFactory factory);
  ~SavedPlaceholderGuard();
  SavedPlaceholderGuard(const SavedPlaceholderGuard&) = delete;
  SavedPlaceholderGuard& operator=(const SavedPlaceholderGuard&) = delete;
};

class SavedVariable {
 public:
  SavedVariable() = default;
  // `saver` names the node saving it (for the ledger). Undefined tensors save nothing.
  // `saving_node`, when given, is the node that saves it: an output of that node keeps no
  // reference to it (no cycle), the others keep their history for create_graph.
  SavedVariable(const Tensor& t, const std::string& saver, const Node* saving_node = nullptr);
  // Saves t as it is, whatever hooks or placeholders are in effect (what a placeholder
  // keeps in their place).
  static SavedVariable without_hooks(const Tensor& t, const std::string& saver);
  SavedVariable(SavedVariable&& other) noexcept;
  SavedVariable& operator=(SavedVariable&& other) noexcept;
  ~SavedVariable();

  // The saved value for backward. Fails if freed by an earlier backward or if the
  // tensor was modified in place since it was saved (version mismatch).
  Tensor unpack() const;
  // The same with its history, for a backward that records (create_graph, Note
  // [Higher-order gradients] in autograd/engine.h): a leaf that requires grad comes back
  // as itself, an output of `saver` as an output of it, others with their grad_fn.
  Tensor unpack_with_history(const std::shared_ptr<Node>& saver) const;
  // Frees the saved value; returns the bytes that left the ledger (its storage's size
  // when this was the last saved reference to it, else 0).
  int64_t release();
  bool was_defined() const { return was_defined_; }

 private:
  Tensor data_;  // a detached alias (or the packed tensor when hooks were active)
  // History, for unpack_with_history: the leaf itself (when it requires grad), or the
  // grad_fn of a tensor that is not an output of the saving node.
  Tensor leaf_;
  std::shared_ptr<Node> grad_fn_;
  bool is_saver_output_ = false;
  UnpackHook unpack_;
  std::shared_ptr<SavedPlaceholder> placeholder_;
  std::optional<Device> copied_from_;  // set when data_ is a CPU copy (SaveOnCpuGuard)
  uint32_t saved_version_ = 0;
  bool was_defined_ = false;
  bool released_ = false;
  bool is_leaf_ = true;
  uint32_t output_nr_ = 0;
  std::string producer_;  // name of the node that produced the tensor, for messages
  const void* ledger_key_ = nullptr;
};

}  // namespace ember::autograd
