// --trace flags and TraceSession (see trace_flags.h).
#include "tools/trace_flags.h"

#include <cstdio>
#include <filesystem>

#include "core/profiler.h"
#include "nn/serialize/chrome_trace.h"
#include "tools/flag_checks.h"
#include "tools/output_check.h"

namespace ember::tools {

void add_trace_flags(CLI::App& app, TraceFlags& flags, bool steps) {
  app.add_option("--trace", flags.path,
                 "write a Chrome trace (Trace Event JSON: op/module/backward spans, memory counters; open in "
                 "Perfetto or chrome://tracing)");
  app.add_option("--trace-events", flags.max_events, "keep only the last N trace events")
      ->check(CLI::Range(size_t{1}, size_t{100'000'000}))
      ->capture_default_str();
  if (steps)
    app.add_option("--trace-steps", flags.max_steps, "stop tracing after N optimizer steps (0: the whole run)")
        ->transform(in_range(0, 1e12))
        ->capture_default_str();
}

void check_trace_flags(const TraceFlags& flags) {
  if (!flags.path.empty()) check_output_path(flags.path, "--trace");
}

TraceSession::TraceSession(const TraceFlags& flags, bool force) : flags_(flags) {
  if (flags_.path.empty() && !force) return;
  profiler::start({.max_events = flags_.max_events, .max_steps = flags_.max_steps});
  active_ = true;
}

TraceSession::~TraceSession() {
  if (active_) profiler::stop();
}

void TraceSession::finish() {
  if (!active_) return;
  active_ = false;
  profiler::stop();
  if (flags_.path.empty()) return;
  profiler::export_chrome_trace(flags_.path);
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(flags_.path, ec);
  std::fprintf(stderr, "trace: %zu events (%llu dropped by --trace-events %zu), %.1f MB -> %s\n",
               profiler::events().size(), static_cast<unsigned long long>(profiler::dropped_events()),
               flags_.max_events, ec ? 0.0 : static_cast<double>(bytes) / 1e6, flags_.path.c_str());
}

}  // namespace ember::tools
