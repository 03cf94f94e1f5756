// libtorch's ModuleHolder and TORCH_MODULE: EMBER_MODULE(Net) after struct NetImpl :
// nn::Module {...} makes Net a shared handle to a NetImpl, so a model ported from libtorch
// keeps its spelling (Net net(args); net->fc; net(x); register_module("fc", Linear(...))).
#pragma once
#include <concepts>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

#include "nn/module.h"

namespace ember::nn {

namespace detail {
// Impl overrides (or declares) forward(const Tensor&), so a call with one tensor goes through
// Module::operator() (hooks, the memory ledger's scope, the mode diagnostics).
template <typename Impl>
concept HasTensorForward = requires { static_cast<Tensor (Impl::*)(const Tensor&)>(&Impl::forward); };
}  // namespace detail

// A shared handle to one Impl module. Made from Impl's constructor arguments (explicitly), from
// a std::shared_ptr<Impl>, or empty from nullptr (libtorch's Net net{nullptr}, assigned later);
// -> and * reach the module, and it converts to std::shared_ptr<Impl> or to one of a base
// (Sequential, register_module, optimizers' net->parameters()). holder(args...) calls forward:
// one tensor through Module::operator() when Impl has forward(const Tensor&), anything else
// (libtorch's forward(Tensor x), several arguments) by calling Impl's forward directly.
template <typename Impl>
class ModuleHolder {
 public:
  using ContainedType = Impl;

  ModuleHolder()
    requires std::default_initializable<Impl>
      : impl_(std::make_shared<Impl>()) {}
  ModuleHolder(std::nullptr_t) {}  // NOLINT(google-explicit-constructor): libtorch's Net net{nullptr}
  ModuleHolder(std::shared_ptr<Impl> module) : impl_(std::move(module)) {}  // NOLINT(google-explicit-constructor)
  template <typename Head, typename... Tail>
    requires(!std::is_same_v<std::decay_t<Head>, ModuleHolder> && !std::is_same_v<std::decay_t<Head>, std::nullptr_t> &&
             !std::is_convertible_v<Head, std::shared_ptr<Impl>> && std::constructible_from<Impl, Head, Tail...>)
  explicit ModuleHolder(Head&& head, Tail&&... tail)
      : impl_(std::make_shared<Impl>(std::forward<Head>(head), std::forward<Tail>(tail)...)) {}

  Impl* operator->() const { return get(); }
  Impl& operator*() const { return *get(); }
  Impl* get() const {
    EMBER_CHECK(impl_ != nullptr, "Accessing empty ModuleHolder");
    return impl_.get();
  }
  const std::shared_ptr<Impl>& ptr() const {
    EMBER_CHECK(impl_ != nullptr, "Accessing empty ModuleHolder");
    return impl_;
  }
  bool is_empty() const noexcept { return impl_ == nullptr; }
  explicit operator bool() const noexcept { return !is_empty(); }
  template <typename Base>
    requires std::is_convertible_v<Impl*, Base*>
  operator std::shared_ptr<Base>() const {  // NOLINT(google-explicit-constructor): Sequential(a, b)
    return ptr();
  }

  template <typename... Args>
  decltype(auto) operator()(Args&&... args) const {
    if constexpr (sizeof...(Args) == 1 && (std::is_convertible_v<Args, const Tensor&> && ...) &&
                  detail::HasTensorForward<Impl>) {
      return static_cast<Module&>(*get())(std::forward<Args>(args)...);
    } else {
      return get()->forward(std::forward<Args>(args)...);
    }
  }

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace ember::nn

// EMBER_MODULE(Net): Net is ModuleHolder<NetImpl> (libtorch's TORCH_MODULE), with its constructors.
#define EMBER_MODULE(Name)                                             \
  class Name : public ::ember::nn::ModuleHolder<Name##Impl> {          \
   public:                                                             \
    using ::ember::nn::ModuleHolder<Name##Impl>::ModuleHolder;         \
  }
