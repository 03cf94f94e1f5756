// Chrome trace export: one JSON object per line in "traceEvents", times in
// microseconds with nanosecond decimals (written with integers: no locale, no rounding).
#include "nn/serialize/chrome_trace.h"

#include <set>
#include <string>
#include <string_view>

#include "nn/serialize/files.h"
#include "nn/serialize/json.h"

namespace ember::profiler {
namespace {

// A JSON string of a span's name or module path; bytes that are not UTF-8 become U+FFFD
// (a trace is diagnostic output: one odd byte in a name must not lose the recording).
std::string quote(std::string_view s) {
  return nn::json::OrderedJson(std::string(s)).dump(-1, ' ', false, nn::json::OrderedJson::error_handler_t::replace);
}

// ns -> "12.345" (microseconds).
std::string micros(int64_t ns) {
  const bool negative = ns < 0;
  const uint64_t v = negative ? static_cast<uint64_t>(-ns) : static_cast<uint64_t>(ns);
  const std::string frac = std::to_string(v % 1000);
  std::string out = negative ? "-" : "";
  out += std::to_string(v / 1000);
  out += '.';
  out.append(3 - frac.size(), '0');
  out += frac;
  return out;
}

void append_event(std::string& out, const Event& e) {
  const char* phase = e.type == EventType::Span ? "X" : e.type == EventType::Instant ? "i" : "C";
  const std::string name = e.type == EventType::Counter ? counter_track(e) : e.name;
  out += "{\"ph\": \"";
  out += phase;
  out += "\", \"cat\": \"";
  out += category_name(e.category);
  out += "\", \"name\": " + quote(name) + ", \"ts\": " + micros(e.start_ns);
  if (e.type == EventType::Span) out += ", \"dur\": " + micros(e.duration_ns);
  if (e.type == EventType::Instant) out += ", \"s\": \"t\"";
  out += ", \"pid\": 1, \"tid\": " + std::to_string(e.thread);
  if (e.type == EventType::Counter) {
    out += ", \"args\": {\"bytes\": " + std::to_string(e.value) + "}";
  } else {
    out += ", \"args\": {\"module\": " + quote(e.module) + ", \"seq\": " + std::to_string(e.seq) + "}";
  }
  out += "}";
}

}  // namespace

std::string counter_track(const Event& e) {
  if (e.counter == CounterKind::SavedActivations) return "saved activations";
  return e.device.str() + " " + counter_name(e.counter);
}

std::string chrome_trace_json(const std::vector<Event>& events, uint64_t dropped) {
  std::string out;
  out.reserve(160 * events.size() + 512);
  out += "{\"displayTimeUnit\": \"ms\",\n \"otherData\": {\"producer\": \"ember\", \"events\": ";
  out += std::to_string(events.size()) + ", \"dropped_events\": " + std::to_string(dropped) + "},\n";
  out += " \"traceEvents\": [\n";
  out += "  {\"ph\": \"M\", \"name\": \"process_name\", \"pid\": 1, \"tid\": 0, \"args\": {\"name\": \"ember\"}}";
  std::set<uint32_t> threads;
  for (const Event& e : events) threads.insert(e.thread);
  for (uint32_t t : threads) {
    out += ",\n  {\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": 1, \"tid\": " + std::to_string(t) +
           ", \"args\": {\"name\": \"thread " + std::to_string(t) + "\"}}";
  }
  for (const Event& e : events) {
    out += ",\n  ";
    append_event(out, e);
  }
  out += "\n]}\n";
  return out;
}

void export_chrome_trace(const std::string& path) {
  stop();
  nn::write_text_atomically(path, "write trace file", chrome_trace_json(events(), dropped_events()));
}

}  // namespace ember::profiler
