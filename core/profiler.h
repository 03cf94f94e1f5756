// ember::profiler: a bounded in-memory recorder of op/module/backward spans, memory
// counters and instant marks, like torch.profiler with profile_memory. start()/stop()
// here; export_chrome_trace(path) (Trace Event JSON) is in nn/serialize/chrome_trace.h.
// Off, every hook costs one relaxed atomic load (Note [Profiler]).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/device.h"
#include "core/macros.h"

namespace ember::profiler {

// Note [Profiler]
// - What is recorded: spans (a begin time and a duration) for each nn::Module call
//   (named "<dotted path> <Type>", e.g. "features.0 Conv2d"), for nn::functional ops,
//   for each autograd node run by backward (its name, e.g. "ConvolutionBackward", with
//   the module path its forward ran in), and for optimizer steps; instant marks at
//   backward start/end and after each optimizer step; counters.
// - Counters are sampled by the caching allocator on every allocate and free (the
//   allocated and reserved bytes of that device, read from its statistics under its
//   lock), by the saved-activation ledger on every change (its current bytes: the
//   ledger is one for the process, so this is one track, whatever the device), and
//   once more for every sampled device at stop(). Sampling at the allocator rather than
//   at span ends shows the peaks inside an op (a convolution's workspace, a backward's
//   temporaries), costs a copy of the statistics per allocation while on, and makes the
//   last sample equal memory::stats(dev).allocated_bytes.current at stop(). A sample
//   equal to its track's previous one is not kept (reserved bytes rarely change).
// - Bounded: events go to a ring that keeps the last `max_events` (older ones are
//   dropped and counted), and `max_steps` > 0 stops recording by itself after that many
//   optimizer steps (torch.profiler's schedule, simplified), so a long run cannot fill
//   memory or disk.
// - Cost when off: each hook first reads one std::atomic<bool> (relaxed) and returns;
//   nothing else (no clock read, no string built). When on, an event takes the
//   recorder's mutex: several threads (a DataLoader worker) may allocate at once.
// - Every event carries a sequence number taken when it begins, so events can be
//   ordered exactly (the clock may give two events the same microsecond).

enum class EventType : uint8_t { Span, Instant, Counter };
enum class Category : uint8_t { Module, Op, Backward, Optimizer, Mark, Memory, Phase };  // Phase: a tool's own steps
enum class CounterKind : uint8_t { Allocated, Reserved, SavedActivations };

const char* category_name(Category c);        // "module", "op", "backward", ..., "phase"
const char* counter_name(CounterKind k);       // "allocated", "reserved", "saved_activations"

struct Event {
  EventType type = EventType::Span;
  Category category = Category::Op;
  CounterKind counter = CounterKind::Allocated;  // Counter events only
  std::string name;    // span / instant name; empty for counters
  std::string module;  // dotted module path the event ran in (backward: its forward's)
  Device device = Device::cpu();  // Counter events (Allocated/Reserved) only
  uint64_t seq = 0;       // begin order, unique within a recording
  uint64_t end_seq = 0;   // spans: the sequence number at their end
  int64_t start_ns = 0;   // since start()
  int64_t duration_ns = 0;
  int64_t value = 0;      // counters: bytes
  uint32_t thread = 0;    // small per-thread id (0 = the thread that called start first)
};

struct Options {
  size_t max_events = 1'000'000;  // ring size: the last max_events events are kept
  int64_t max_steps = 0;          // > 0: stop recording after this many optimizer steps
};

// Clears earlier events and starts recording (an ember::Error if already recording, or
// if max_events is 0).
void start(const Options& options = {});
// Stops recording (a no-op when not recording); the events stay until the next start().
// Takes a last allocated/reserved sample of every device sampled so far.
void stop();

namespace detail {
inline std::atomic<bool> g_enabled{false};
}  // namespace detail
// Whether events are being recorded now: the one check every hook makes.
inline bool is_enabled() { return detail::g_enabled.load(std::memory_order_relaxed); }

// The events kept, oldest first (by sequence number).
std::vector<Event> events();
// Events dropped by the ring since start(), and the options of the last start().
uint64_t dropped_events();
Options options();
// Optimizer steps seen since start().
int64_t steps();

// ---- hooks (each returns at once when not recording) ----
// An instant mark ("backward start", ...).
void mark(Category category, std::string_view name);
// A counter sample: Allocated/Reserved of `device`, or the ledger's SavedActivations.
void counter(CounterKind kind, Device device, int64_t bytes);
// A step of an optimizer: an instant named `name`; may end the recording (max_steps).
void optimizer_step(const char* name);

// A span for a scope. Inactive unless begun while recording; a span that ends after
// stop(), or in a later recording, is dropped.
class RecordScope {
 public:
  RecordScope() = default;
  RecordScope(Category category, const char* name) {
    if (EMBER_UNLIKELY(is_enabled())) begin(category, name);
  }
  ~RecordScope() {
    if (event_) end();
  }
  RecordScope(const RecordScope&) = delete;
  RecordScope& operator=(const RecordScope&) = delete;

  // Call only when is_enabled(); `module` defaults to the current module path.
  void begin(Category category, std::string name);
  void begin(Category category, std::string name, std::string module);
  // Ends the span now (the destructor then does nothing).
  void finish() {
    if (event_) end();
  }

 private:
  void end();
  std::unique_ptr<Event> event_;  // null when inactive: nothing to build when off
  uint64_t generation_ = 0;
};

// A span named `name` (a string literal) for the rest of the enclosing scope: an op.
#define EMBER_PROFILE_OP(name) \
  const ::ember::profiler::RecordScope ember_profile_op_span(::ember::profiler::Category::Op, name)

// A span for an optimizer step, followed by its instant mark (optimizer_step).
class StepScope {
 public:
  explicit StepScope(const char* name) : span_(Category::Optimizer, name), name_(name) {}
  ~StepScope() {
    if (is_enabled()) finish();
  }
  StepScope(const StepScope&) = delete;
  StepScope& operator=(const StepScope&) = delete;

 private:
  void finish();
  RecordScope span_;
  const char* name_;
};

// The dotted path of the nn::Module running on this thread ("" outside any), kept by
// nn::Module while recording: spans and autograd nodes take it.
const std::string& current_module_path();
class ModulePathScope {
 public:
  explicit ModulePathScope(const std::string& path);  // replaces the path; restores it after
  ~ModulePathScope();
  ModulePathScope(const ModulePathScope&) = delete;
  ModulePathScope& operator=(const ModulePathScope&) = delete;

 private:
  std::string previous_;
};

}  // namespace ember::profiler
