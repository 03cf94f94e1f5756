// The deterministic-algorithms switch and its fill of uninitialized memory (Note
// [Deterministic algorithms] in core/deterministic.h).
#include "core/deterministic.h"

#include <atomic>

namespace ember {
namespace {
std::atomic<bool> g_deterministic{false};
std::atomic<bool> g_warn_only{false};
std::atomic<bool> g_fill_uninitialized{true};
}  // namespace

void use_deterministic_algorithms(bool mode, bool warn_only) {
  g_deterministic.store(mode);
  g_warn_only.store(warn_only);  // as PyTorch's context keeps it, whatever the mode
}
bool are_deterministic_algorithms_enabled() { return g_deterministic.load(); }
bool is_deterministic_algorithms_warn_only_enabled() { return g_warn_only.load(); }
void set_deterministic_fill_uninitialized_memory(bool fill) { g_fill_uninitialized.store(fill); }
bool deterministic_fill_uninitialized_memory() { return g_fill_uninitialized.load(); }

}  // namespace ember
