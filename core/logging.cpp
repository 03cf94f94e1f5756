// spdlog-backed logger named "ember"; level read once from EMBER_LOG_LEVEL (an unknown
// value is reported and read as the default, warn).
#include "core/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace ember::logging {
namespace {

Level parse_level(const char* s) {
  if (!s) return Level::Warn;
  std::string v(s);
  if (v == "trace") return Level::Trace;
  if (v == "debug") return Level::Debug;
  if (v == "info") return Level::Info;
  if (v == "warn" || v == "warning") return Level::Warn;
  if (v == "error") return Level::Error;
  if (v == "off") return Level::Off;
  // Not a level: warn (the default), and say so once on stderr rather than throw from
  // whatever first logs (a destructor, possibly).
  std::fprintf(stderr,
               "ember: EMBER_LOG_LEVEL: unknown level \"%s\" (expected trace, debug, info, warn, error or off); "
               "using warn\n",
               s);
  return Level::Warn;
}

std::atomic<Level>& current() {
  static std::atomic<Level> lvl{parse_level(std::getenv("EMBER_LOG_LEVEL"))};
  return lvl;
}

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> l = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    auto lg = std::make_shared<spdlog::logger>("ember", sink);
    lg->set_pattern("[%H:%M:%S.%e] [ember] [%^%l%$] %v");
    lg->set_level(spdlog::level::trace);  // filtering is ours
    return lg;
  }();
  return *l;
}

spdlog::level::level_enum to_spdlog(Level l) {
  switch (l) {
    case Level::Trace: return spdlog::level::trace;
    case Level::Debug: return spdlog::level::debug;
    case Level::Info: return spdlog::level::info;
    case Level::Warn: return spdlog::level::warn;
    case Level::Error: return spdlog::level::err;
    case Level::Off: return spdlog::level::off;
  }
  return spdlog::level::warn;
}

}  // namespace

void set_level(Level level) { current().store(level); }
Level level() { return current().load(); }
bool enabled(Level l) { return l != Level::Off && static_cast<int>(l) >= static_cast<int>(level()); }
void write(Level l, std::string_view message) { logger().log(to_spdlog(l), "{}", message); }

}  // namespace ember::logging
