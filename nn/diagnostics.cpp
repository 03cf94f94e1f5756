// ember::diagnostics levels, counts and reporting (Note [Mode diagnostics] in
// nn/diagnostics.h): the EMBER_DIAGNOSTICS parser, warn-once memory, the last message,
// and the deferred Error of checks that fire in destructors.
#include "nn/diagnostics.h"

#include <array>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <set>
#include <utility>

#include "core/error.h"
#include "core/logging.h"

namespace ember::diagnostics {
namespace detail {
namespace {

constexpr std::array<const char*, kNumChecks> kNames = {"step_after_eval_forward", "unused_graph",
                                                        "grad_across_steps", "backward_on_no_grad",
                                                        "tiny_batch_norm_batch"};
constexpr int64_t kDefaultUnusedGraphThreshold = int64_t{1} << 20;

std::string valid_names() {
  std::string out;
  for (const char* n : kNames) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

int index_of_name(const std::string& name) {
  for (int i = 0; i < kNumChecks; ++i)
    if (name == kNames[static_cast<size_t>(i)]) return i;
  EMBER_FAIL("unknown diagnostic \"", name, "\"; expected one of: ", valid_names(), " (or \"all\")");
}

Level parse_level(const std::string& text) {
  if (text == "ignore") return Level::Ignore;
  if (text == "warn") return Level::Warn;
  if (text == "error") return Level::Error;
  EMBER_FAIL("unknown diagnostics level \"", text, "\"; expected ignore, warn or error");
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// "a=warn,b=error" -> levels; -1 in `all` when no "all=" entry. Throws on any error.
std::array<int, kNumChecks> parse_spec(const std::string& spec, std::array<int, kNumChecks> levels) {
  size_t start = 0;
  while (start <= spec.size()) {
    const size_t comma = std::min(spec.find(',', start), spec.size());
    const std::string entry = trim(spec.substr(start, comma - start));
    start = comma + 1;
    if (entry.empty()) continue;
    const size_t eq = entry.find('=');
    EMBER_CHECK(eq != std::string::npos, "EMBER_DIAGNOSTICS: expected NAME=LEVEL entries separated by commas, got \"",
                entry, "\" (names: ", valid_names(), ", all; levels: ignore, warn, error)");
    const std::string name = trim(entry.substr(0, eq));
    const Level level = parse_level(trim(entry.substr(eq + 1)));
    if (name == "all")
      levels.fill(static_cast<int>(level));
    else
      levels[static_cast<size_t>(index_of_name(name))] = static_cast<int>(level);
  }
  return levels;
}

struct State {
  std::array<std::atomic<int>, kNumChecks> levels;
  std::array<std::atomic<int64_t>, kNumChecks> counts{};
  std::atomic<int64_t> unused_graph_threshold{kDefaultUnusedGraphThreshold};
  std::mutex mu;  // guards warned, last, pending
  std::set<std::pair<int, const void*>> warned;
  std::string last;
  std::string pending;

  State() { apply(from_environment()); }

  static std::array<int, kNumChecks> from_environment() {
    std::array<int, kNumChecks> levels;
    levels.fill(static_cast<int>(Level::Warn));
    const char* env = std::getenv("EMBER_DIAGNOSTICS");
    return env ? parse_spec(env, levels) : levels;
  }
  void apply(const std::array<int, kNumChecks>& levels_in) {
    for (int i = 0; i < kNumChecks; ++i) levels[static_cast<size_t>(i)].store(levels_in[static_cast<size_t>(i)]);
  }
};

// Built on first use; an invalid EMBER_DIAGNOSTICS throws here (and again on the next use).
State& state() {
  static State* s = new State();  // never destroyed: graphs may die at exit
  return *s;
}

std::atomic<bool> g_pending{false};

}  // namespace

const char* name_of(Check check) { return kNames[static_cast<size_t>(check)]; }

Level level_of(Check check) { return static_cast<Level>(state().levels[static_cast<size_t>(check)].load()); }

void fire(Check check, const void* key, const std::string& message, bool deferred) {
  State& s = state();
  const Level level = level_of(check);
  if (level == Level::Ignore) return;
  s.counts[static_cast<size_t>(check)].fetch_add(1);
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.last = message;
    first = s.warned.insert({static_cast<int>(check), key}).second;
    if (level == Level::Error && deferred) {
      s.pending = message;
      g_pending.store(true);
    }
  }
  if (level == Level::Error) {
    if (!deferred) EMBER_FAIL(message);
    logging::error("{}", message);
  } else if (first) {
    logging::warn("{}", message);
  }
}

void count_only(Check check, const std::string& message) {
  State& s = state();
  s.counts[static_cast<size_t>(check)].fetch_add(1);
  std::lock_guard<std::mutex> lock(s.mu);
  s.last = message;
}

void throw_if_pending() {
  if (!g_pending.load(std::memory_order_relaxed)) return;
  State& s = state();
  std::string message;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    message = std::exchange(s.pending, std::string());
    g_pending.store(false);
  }
  if (!message.empty()) EMBER_FAIL(message, " (reported when that graph was destroyed)");
}

}  // namespace detail

using detail::state;

std::vector<std::string> names() { return {detail::kNames.begin(), detail::kNames.end()}; }

void set_level(const std::string& name, Level level) {
  state().levels[static_cast<size_t>(detail::index_of_name(name))].store(static_cast<int>(level));
}

void set_level_all(Level level) {
  for (auto& l : state().levels) l.store(static_cast<int>(level));
}

Level level(const std::string& name) {
  return static_cast<Level>(state().levels[static_cast<size_t>(detail::index_of_name(name))].load());
}

std::map<std::string, int64_t> counts() {
  std::map<std::string, int64_t> out;
  for (int i = 0; i < detail::kNumChecks; ++i)
    out[detail::kNames[static_cast<size_t>(i)]] = state().counts[static_cast<size_t>(i)].load();
  return out;
}

void reset_counts() {
  detail::State& s = state();
  for (auto& c : s.counts) c.store(0);
  std::lock_guard<std::mutex> lock(s.mu);
  s.warned.clear();
  s.last.clear();
  s.pending.clear();
  detail::g_pending.store(false);
}

std::string last_message() {
  std::lock_guard<std::mutex> lock(state().mu);
  return state().last;
}

void configure(const std::string& spec) {
  std::array<int, detail::kNumChecks> levels;
  for (int i = 0; i < detail::kNumChecks; ++i) levels[static_cast<size_t>(i)] = state().levels[static_cast<size_t>(i)].load();
  state().apply(detail::parse_spec(spec, levels));
}

void reload_environment() { state().apply(detail::State::from_environment()); }

void set_unused_graph_threshold(int64_t bytes) {
  EMBER_CHECK(bytes >= 0, "set_unused_graph_threshold: expected a byte count >= 0, got ", bytes);
  state().unused_graph_threshold.store(bytes);
}

int64_t unused_graph_threshold() { return state().unused_graph_threshold.load(); }

}  // namespace ember::diagnostics
