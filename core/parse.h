// Strict number parsing for everything read from outside (checkpoint metadata, state
// dict keys, environment): the whole text must be a decimal integer within [min, max],
// else an ember::Error naming what was being read, what was expected and what was got.
#pragma once
#include <charconv>
#include <cstdint>
#include <string_view>

#include "core/error.h"

namespace ember {

inline int64_t parse_integer(std::string_view text, int64_t min, int64_t max, std::string_view what) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  EMBER_CHECK(!text.empty() && ec != std::errc::invalid_argument && ptr == end, what,
              ": expected a decimal integer, but got '", text, "'");
  EMBER_CHECK(ec != std::errc::result_out_of_range && value >= min && value <= max, what,
              ": expected an integer from ", min, " to ", max, ", but got '", text, "'");
  return value;
}

}  // namespace ember
