// Logging through spdlog, kept out of public headers' dependencies: the level comes
// from EMBER_LOG_LEVEL (trace, debug, info, warn, error, off; default warn).
#pragma once
#include <string>
#include <string_view>

#include "core/error.h"

namespace ember::logging {

enum class Level { Trace, Debug, Info, Warn, Error, Off };

void set_level(Level level);
Level level();
bool enabled(Level level);
void write(Level level, std::string_view message);

namespace detail {
// Minimal "{}" formatting so callers need no fmt/spdlog headers.
inline void format_to(std::string& out, std::string_view fmt) { out += fmt; }
template <typename T, typename... Rest>
void format_to(std::string& out, std::string_view fmt, const T& first, const Rest&... rest) {
  auto pos = fmt.find("{}");
  if (pos == std::string_view::npos) {
    out += fmt;
    return;
  }
  out += fmt.substr(0, pos);
  out += ::ember::detail::str_cat(first);
  format_to(out, fmt.substr(pos + 2), rest...);
}
}  // namespace detail

template <typename... Args>
void log_at(Level lvl, std::string_view fmt, const Args&... args) {
  if (!enabled(lvl)) return;
  std::string msg;
  detail::format_to(msg, fmt, args...);
  write(lvl, msg);
}
template <typename... Args> void trace(std::string_view f, const Args&... a) { log_at(Level::Trace, f, a...); }
template <typename... Args> void debug(std::string_view f, const Args&... a) { log_at(Level::Debug, f, a...); }
template <typename... Args> void info(std::string_view f, const Args&... a) { log_at(Level::Info, f, a...); }
template <typename... Args> void warn(std::string_view f, const Args&... a) { log_at(Level::Warn, f, a...); }
template <typename... Args> void error(std::string_view f, const Args&... a) { log_at(Level::Error, f, a...); }

}  // namespace ember::logging
