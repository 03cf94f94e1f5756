// The --trace flags of `ember train` and `ember mem`, and a recording session: the
// profiler started with the flags' bounds, stopped and exported to the file at the end.
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace ember::tools {

struct TraceFlags {
  std::string path;               // --trace: Chrome trace file ("" = none)
  size_t max_events = 1'000'000;  // --trace-events: ring size
  int64_t max_steps = 0;          // --trace-steps: optimizer steps recorded (0 = all)
};

// --trace and --trace-events; --trace-steps too when `steps` (commands that train).
void add_trace_flags(CLI::App& app, TraceFlags& flags, bool steps);
// Up-front checks: an ember::Error before any work when --trace cannot be written.
void check_trace_flags(const TraceFlags& flags);

// Records while it lives when flags.path (or `force`) is set; finish() writes the file.
class TraceSession {
 public:
  explicit TraceSession(const TraceFlags& flags, bool force = false);
  ~TraceSession();  // stops a recording that finish() did not
  TraceSession(const TraceSession&) = delete;
  TraceSession& operator=(const TraceSession&) = delete;
  bool active() const { return active_; }
  // Stops; writes the trace (when --trace was given) and says so on stderr.
  void finish();

 private:
  TraceFlags flags_;
  bool active_ = false;
};

}  // namespace ember::tools
