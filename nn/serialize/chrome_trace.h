// The profiler's events as a Chrome trace (Trace Event JSON, what PyTorch's profiler
// exports; opens in Perfetto and chrome://tracing), and the atomic export to a file.
// Here rather than in core/ because safe file writing and JSON quoting live in nn/serialize.
#pragma once
#include <string>
#include <vector>

#include "core/profiler.h"

namespace ember::profiler {

// Trace Event JSON of `events`: "X" spans, "i" marks and "C" counters (one track per
// device and kind: "cpu allocated", "cpu reserved", "saved activations"), with ts and
// dur in microseconds, pid 1 and a tid per thread, and "otherData" saying how many
// events the ring dropped.
std::string chrome_trace_json(const std::vector<Event>& events, uint64_t dropped = 0);
// The events of the last recording, written atomically to `path` (nothing is left
// behind on failure). Stops the profiler first if it is recording.
void export_chrome_trace(const std::string& path);

// The name of a counter event's track, e.g. "cpu allocated", "cuda:0 reserved",
// "saved activations".
std::string counter_track(const Event& e);

}  // namespace ember::profiler
