// The profiler's recorder: a ring of the last max_events events behind one mutex, the
// recording switch, sequence numbers, per-thread ids and the module path of each
// thread. See Note [Profiler] in core/profiler.h.
#include "core/profiler.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <utility>

#include "core/error.h"
#include "core/memory.h"

namespace ember::profiler {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::atomic<uint32_t> g_next_thread{0};
uint32_t thread_id() {
  thread_local const uint32_t id = g_next_thread.fetch_add(1, std::memory_order_relaxed);
  return id;
}

thread_local std::string tls_module_path;

struct Recorder {
  std::mutex mu;
  std::vector<Event> ring;  // grows to max_events, then wraps at `head`
  size_t head = 0;
  uint64_t dropped = 0;
  Options options;
  int64_t steps = 0;
  std::vector<Device> sampled;  // devices with allocator samples, for stop()
  struct LastValue {
    CounterKind kind;
    Device device;
    int64_t value;
  };
  std::vector<LastValue> last;  // each track's last value: a repeated value is not kept
  std::atomic<uint64_t> next_seq{0};
  std::atomic<uint64_t> generation{0};
  std::atomic<int64_t> t0{0};

  // Keeps `e`; a counter sample equal to its track's last one is skipped unless `always`.
  void push(Event&& e, bool always = false) {
    std::lock_guard<std::mutex> lock(mu);
    if (e.type == EventType::Counter) {
      if (e.counter != CounterKind::SavedActivations &&
          std::find(sampled.begin(), sampled.end(), e.device) == sampled.end())
        sampled.push_back(e.device);
      const Device device = e.counter == CounterKind::SavedActivations ? Device::cpu() : e.device;
      auto it = std::find_if(last.begin(), last.end(),
                             [&](const LastValue& l) { return l.kind == e.counter && l.device == device; });
      if (it == last.end()) it = last.insert(last.end(), {e.counter, device, e.value - 1});
      if (it->value == e.value && !always) return;
      it->value = e.value;
    }
    if (ring.size() < options.max_events) {
      ring.push_back(std::move(e));
      return;
    }
    ring[head] = std::move(e);
    head = (head + 1) % ring.size();
    ++dropped;
  }

  Event make(EventType type, Category category) {
    Event e;
    e.type = type;
    e.category = category;
    e.seq = next_seq.fetch_add(1, std::memory_order_relaxed);
    e.start_ns = now_ns() - t0.load(std::memory_order_relaxed);
    e.thread = thread_id();
    return e;
  }
};

Recorder& recorder() {
  static Recorder* r = new Recorder();  // never destroyed: hooks may run during exit
  return *r;
}

}  // namespace

const char* category_name(Category c) {
  switch (c) {
    case Category::Module: return "module";
    case Category::Op: return "op";
    case Category::Backward: return "backward";
    case Category::Optimizer: return "optimizer";
    case Category::Mark: return "mark";
    case Category::Memory: return "memory";
    case Category::Phase: return "phase";
  }
  return "other";
}

const char* counter_name(CounterKind k) {
  switch (k) {
    case CounterKind::Allocated: return "allocated";
    case CounterKind::Reserved: return "reserved";
    case CounterKind::SavedActivations: return "saved_activations";
  }
  return "other";
}

void start(const Options& options) {
  EMBER_CHECK(options.max_events > 0, "profiler::start: expected max_events > 0, got 0");
  EMBER_CHECK(options.max_steps >= 0, "profiler::start: expected max_steps >= 0, got ", options.max_steps);
  Recorder& r = recorder();
  {
    std::lock_guard<std::mutex> lock(r.mu);
    EMBER_CHECK(!is_enabled(), "profiler::start: expected the profiler to be stopped, but it is already recording");
    r.ring.clear();
    r.ring.shrink_to_fit();
    r.head = 0;
    r.dropped = 0;
    r.options = options;
    r.steps = 0;
    r.sampled.clear();
    r.last.clear();
    r.next_seq.store(0, std::memory_order_relaxed);
    r.generation.fetch_add(1, std::memory_order_relaxed);
    r.t0.store(now_ns(), std::memory_order_relaxed);
  }
  thread_id();  // the starting thread gets the first id when it is new
  detail::g_enabled.store(true, std::memory_order_release);
}

void stop() {
  Recorder& r = recorder();
  if (!detail::g_enabled.exchange(false, std::memory_order_acq_rel)) return;
  std::vector<Device> devices;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    devices = r.sampled;
  }
  // Last samples, so the tracks end at the values the allocators hold now.
  for (Device d : devices) {
    const memory::Stats s = memory::stats(d);
    for (auto [kind, bytes] : {std::pair{CounterKind::Allocated, s.allocated_bytes.current},
                               std::pair{CounterKind::Reserved, s.reserved_bytes.current}}) {
      Event e = r.make(EventType::Counter, Category::Memory);
      e.counter = kind;
      e.device = d;
      e.value = bytes;
      r.push(std::move(e), /*always=*/true);
    }
  }
}

std::vector<Event> events() {
  Recorder& r = recorder();
  std::vector<Event> out;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    out.reserve(r.ring.size());
    out.insert(out.end(), r.ring.begin() + static_cast<std::ptrdiff_t>(r.head), r.ring.end());
    out.insert(out.end(), r.ring.begin(), r.ring.begin() + static_cast<std::ptrdiff_t>(r.head));
  }
  std::stable_sort(out.begin(), out.end(), [](const Event& a, const Event& b) { return a.seq < b.seq; });
  return out;
}

uint64_t dropped_events() {
  std::lock_guard<std::mutex> lock(recorder().mu);
  return recorder().dropped;
}

Options options() {
  std::lock_guard<std::mutex> lock(recorder().mu);
  return recorder().options;
}

int64_t steps() {
  std::lock_guard<std::mutex> lock(recorder().mu);
  return recorder().steps;
}

void mark(Category category, std::string_view name) {
  if (!is_enabled()) return;
  Event e = recorder().make(EventType::Instant, category);
  e.name = std::string(name);
  e.module = tls_module_path;
  recorder().push(std::move(e));
}

void counter(CounterKind kind, Device device, int64_t bytes) {
  if (!is_enabled()) return;
  Event e = recorder().make(EventType::Counter, Category::Memory);
  e.counter = kind;
  e.device = device;
  e.value = bytes;
  recorder().push(std::move(e));
}

void optimizer_step(const char* name) {
  if (!is_enabled()) return;
  mark(Category::Optimizer, name);
  Recorder& r = recorder();
  bool done = false;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    ++r.steps;
    done = r.options.max_steps > 0 && r.steps >= r.options.max_steps;
  }
  if (done) stop();
}

void RecordScope::begin(Category category, std::string name) {
  begin(category, std::move(name), tls_module_path);
}

void RecordScope::begin(Category category, std::string name, std::string module) {
  Recorder& r = recorder();
  event_ = std::make_unique<Event>(r.make(EventType::Span, category));
  event_->name = std::move(name);
  event_->module = std::move(module);
  generation_ = r.generation.load(std::memory_order_relaxed);
}

void RecordScope::end() {
  std::unique_ptr<Event> e = std::move(event_);
  Recorder& r = recorder();
  if (!is_enabled() || r.generation.load(std::memory_order_relaxed) != generation_) return;
  e->end_seq = r.next_seq.fetch_add(1, std::memory_order_relaxed);
  e->duration_ns = now_ns() - r.t0.load(std::memory_order_relaxed) - e->start_ns;
  r.push(std::move(*e));
}

void StepScope::finish() {
  span_.finish();  // the span ends before its mark
  optimizer_step(name_);
}

const std::string& current_module_path() { return tls_module_path; }

ModulePathScope::ModulePathScope(const std::string& path) : previous_(std::move(tls_module_path)) {
  tls_module_path = path;
}
ModulePathScope::~ModulePathScope() { tls_module_path = std::move(previous_); }

}  // namespace ember::profiler
