// Grad mode and inference mode: thread-local switches with nestable RAII guards
// (torch.no_grad, enable_grad, set_grad_enabled, inference_mode). They decide what
// autograd remembers; module train()/eval() is a separate switch (DESIGN.md).
#pragma once
#include <utility>

namespace ember {

namespace detail {
inline thread_local bool tls_grad_enabled = true;
inline thread_local bool tls_inference_mode = false;
}  // namespace detail

inline bool is_grad_enabled() { return detail::tls_grad_enabled; }
inline bool is_inference_mode_enabled() { return detail::tls_inference_mode; }
inline void set_grad_enabled(bool enabled) { detail::tls_grad_enabled = enabled; }

// torch.set_grad_enabled(enabled) for a scope.
class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled) : previous_(detail::tls_grad_enabled) { detail::tls_grad_enabled = enabled; }
  ~GradModeGuard() { detail::tls_grad_enabled = previous_; }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool previous_;
};

// torch.no_grad(): nothing is recorded or saved inside the scope.
class NoGradGuard : public GradModeGuard {
 public:
  NoGradGuard() : GradModeGuard(false) {}
};

// torch.enable_grad(): recording back on inside a no_grad scope.
class EnableGradGuard : public GradModeGuard {
 public:
  EnableGradGuard() : GradModeGuard(true) {}
};

// torch.inference_mode(): grad mode off, and new tensors are inference tensors
// (no version counter, never saved for backward); nothing records inside it, even
// under an EnableGradGuard. InferenceModeGuard(false) is a scope where inference mode
// is off and grad mode on again, as c10::InferenceMode(false).
class InferenceModeGuard {
 public:
  explicit InferenceModeGuard(bool enabled = true)
      : previous_grad_(detail::tls_grad_enabled), previous_inference_(detail::tls_inference_mode) {
    detail::tls_inference_mode = enabled;
    detail::tls_grad_enabled = !enabled;
  }
  ~InferenceModeGuard() {
    detail::tls_grad_enabled = previous_grad_;
    detail::tls_inference_mode = previous_inference_;
  }
  InferenceModeGuard(const InferenceModeGuard&) = delete;
  InferenceModeGuard& operator=(const InferenceModeGuard&) = delete;

 private:
  bool previous_grad_;
  bool previous_inference_;
};

// The decorator form: auto out = ember::no_grad([&] { return model(x); });
template <typename Fn>
decltype(auto) no_grad(Fn&& fn) {
  NoGradGuard guard;
  return std::forward<Fn>(fn)();
}

template <typename Fn>
decltype(auto) inference_mode(Fn&& fn) {
  InferenceModeGuard guard;
  return std::forward<Fn>(fn)();
}

}  // namespace ember
