// Custom differentiable functions, libtorch's torch::autograd::Function<T> (PyTorch's
// torch.autograd.Function): a struct with static forward(ctx, args...) and backward(ctx,
// grad_outputs), called as T::apply(args...) (Note [Custom functions] in
// autograd/custom_function.cpp).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

#include "autograd/node.h"
#include "core/grad_mode.h"
#include "core/profiler.h"

namespace ember::autograd {

// A value kept in AutogradContext::saved_data (libtorch's IValue there): a number, a flag,
// a tensor (kept as it is: no in-place check), sizes or a string, read back with the
// accessor of its kind.
class SavedValue {
 public:
  SavedValue() = default;
  SavedValue(double v) : value_(v) {}                      // NOLINT(google-explicit-constructor)
  SavedValue(float v) : value_(static_cast<double>(v)) {}  // NOLINT(google-explicit-constructor)
  SavedValue(int64_t v) : value_(v) {}                     // NOLINT(google-explicit-constructor)
  SavedValue(int v) : value_(static_cast<int64_t>(v)) {}   // NOLINT(google-explicit-constructor)
  SavedValue(long long v) : value_(static_cast<int64_t>(v)) {}  // NOLINT(google-explicit-constructor)
  SavedValue(unsigned v) : value_(static_cast<int64_t>(v)) {}   // NOLINT(google-explicit-constructor)
  SavedValue(uint64_t v);                                       // NOLINT(google-explicit-constructor): <= INT64_MAX
  SavedValue(const Dims& v) : value_(v.vec()) {}                // NOLINT(google-explicit-constructor)
  SavedValue(bool v) : value_(v) {}                        // NOLINT(google-explicit-constructor)
  SavedValue(Tensor v) : value_(std::move(v)) {}           // NOLINT(google-explicit-constructor)
  SavedValue(std::vector<int64_t> v) : value_(std::move(v)) {}  // NOLINT(google-explicit-constructor)
  SavedValue(std::string v) : value_(std::move(v)) {}           // NOLINT(google-explicit-constructor)
  SavedValue(const char* v) : value_(std::string(v)) {}         // NOLINT(google-explicit-constructor)

  double toDouble() const;  // a double, or an integer
  int64_t toInt() const;
  bool toBool() const;
  const Tensor& toTensor() const;
  const std::vector<int64_t>& toIntVector() const;
  const std::string& toStringRef() const;

 private:
  std::variant<std::monostate, double, int64_t, bool, Tensor, std::vector<int64_t>, std::string> value_;
};

// What forward leaves for backward (libtorch's AutogradContext).
class AutogradContext {
 public:
  // Tensors for backward, given back by get_saved_variables() there; an in-place change to
  // one before backward is the "modified by an inplace operation" error. Call in forward.
  void save_for_backward(tensor_list to_save);
  tensor_list get_saved_variables() const;  // in backward
  // Outputs that get no gradient (indices, masks): they do not require grad, and their
  // gradient in backward is zeros (or undefined without materialized grads). Call in forward
  // with tensors forward returns.
  void mark_non_differentiable(const tensor_list& outputs);
  // Inputs forward modified in place (libtorch's mark_dirty): each must also be returned, and
  // the caller gets that input itself back, its history now the custom node's (a leaf that
  // requires grad is PyTorch's in-place error; a tensor that is no input, its warning). Call
  // in forward.
  void mark_dirty(const tensor_list& inputs);
  // false: an output no gradient reached gives backward an undefined tensor, not zeros.
  void set_materialize_grads(bool value) { materialize_grads_ = value; }
  // Whether tensor input `index` needs a gradient, libtorch's numbering: the tensors among
  // forward's arguments in order (a tensor_list's one by one), the other arguments not
  // counted.
  bool needs_input_grad(size_t index) const;

  std::map<std::string, SavedValue> saved_data;

  // ember's bookkeeping between forward and backward (made by Function<T>::apply).
  struct Internal;
  std::shared_ptr<Internal> internal_;

 private:
  bool materialize_grads_ = true;
  friend struct CustomFunctionRecorder;
};

// The non-template half of Function<T>::apply (autograd/custom_function.cpp).
struct CustomFunctionRecorder {
  using Backward = std::function<tensor_list(AutogradContext*, tensor_list)>;
  // Before forward: one slot per argument (per tensor of a tensor_list): its tensor, or
  // undefined for the arguments that are not tensors, and which slots are tensors.
  static void begin(AutogradContext& ctx, tensor_list arguments, std::vector<bool> is_tensor);
  // After forward: records the node when an input requires grad (and grad mode is on), and
  // returns the outputs to give the caller (with their history).
  static tensor_list finish(const std::shared_ptr<AutogradContext>& ctx, const std::string& name, tensor_list outputs,
                            Backward backward);
};

// T's class name without its namespaces, for the node's name ("<T>Backward", PyTorch's).
std::string custom_function_name(const char* mangled);

// struct Scale : ember::autograd::Function<Scale> {
//   static Tensor forward(AutogradContext* ctx, const Tensor& x, double c) { ... }
//   static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) { ... }
// };
// Tensor y = Scale::apply(x, 2.0);
// Tensor, std::optional<Tensor> and tensor_list arguments are inputs (a list's tensors one by
// one), the others constants. forward runs under no_grad and returns a Tensor or a
// tensor_list; backward returns one gradient per argument, a tensor_list's one per tensor
// (undefined for the arguments that are not tensors or need none). backward is recorded
// under create_graph, so it can be differentiated again when it is written with ember's ops.
template <class T>
struct Function {
  template <typename... Args>
  static auto apply(Args&&... args) {
    auto ctx = std::make_shared<AutogradContext>();
    tensor_list slots;
    std::vector<bool> is_tensor;
    (add_slots(args, slots, is_tensor), ...);
    CustomFunctionRecorder::begin(*ctx, std::move(slots), std::move(is_tensor));
    using Result = decltype(T::forward(ctx.get(), std::forward<Args>(args)...));
    static_assert(std::is_same_v<Result, Tensor> || std::is_same_v<Result, tensor_list>,
                  "forward must return a Tensor or a tensor_list");
    static const std::string forward_name = custom_function_name(typeid(T).name());
    static const std::string name = forward_name + "Backward";
    tensor_list outputs;
    {
      profiler::RecordScope span(profiler::Category::Op, forward_name.c_str());  // PyTorch's RECORD_FUNCTION
      GradModeGuard no_grad(false);
      if constexpr (std::is_same_v<Result, Tensor>) outputs.push_back(T::forward(ctx.get(), std::forward<Args>(args)...));
      else outputs = T::forward(ctx.get(), std::forward<Args>(args)...);
    }
    tensor_list result = CustomFunctionRecorder::finish(
        ctx, name, std::move(outputs), [](AutogradContext* c, tensor_list g) { return T::backward(c, std::move(g)); });
    if constexpr (std::is_same_v<Result, Tensor>) return result[0];
    else return result;
  }

 private:
  template <typename A>
  static void add_slots(const A& a, tensor_list& slots, std::vector<bool>& is_tensor) {
    using D = std::decay_t<A>;
    if constexpr (std::is_same_v<D, Tensor>) {
      slots.push_back(a), is_tensor.push_back(true);
    } else if constexpr (std::is_same_v<D, std::optional<Tensor>>) {
      slots.push_back(a ? *a : Tensor()), is_tensor.push_back(a.has_value());  // empty: not an input, as libtorch's
    } else if constexpr (std::is_same_v<D, tensor_list>) {
      for (const Tensor& t : a) slots.push_back(t), is_tensor.push_back(true);
    } else {
      slots.push_back(Tensor()), is_tensor.push_back(false);
    }
  }
};

}  // namespace ember::autograd
