// The deterministic-algorithms switch (Note [Deterministic algorithms] in core/deterministic.h).
#include "core/deterministic.h"

#include <atomic>

namespace ember {
namespace {
std::atomic<bool> g_deterministic{false};
std::atomic<bool> g_warn_only{false};
}  // namespace

void use_deterministic_algorithms(bool mode, bool warn_only) {
  g_deterministic.store(mode);
  g_warn_only.store(warn_only);  // as PyTorch's context keeps it, whatever the mode
}
bool are_deterministic_algorithms_enabled() { return g_deterministic.load(); }
bool is_deterministic_algorithms_warn_only_enabled() { return g_warn_only.load(); }

}  // namespace ember
