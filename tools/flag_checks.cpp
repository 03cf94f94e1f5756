// Readable range checks of numeric flags (tools/flag_checks.h).
#include "tools/flag_checks.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace ember::tools {

namespace {

std::string g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

bool within(double v, double lo, double hi, Bound lo_bound, Bound hi_bound) {
  const bool above = lo_bound == Bound::Open ? v > lo : v >= lo;
  const bool below = hi_bound == Bound::Open ? v < hi : v <= hi;
  return above && below;  // false for NaN
}

// "010" -> "10", "-007" -> "-7": the system CLI11 reads integers with strtoll in base 0,
// which takes a leading 0 for octal ("010" was 8, "08" an error) where the range check
// and every user read decimal. Other text is left as it is.
void strip_leading_zeros(std::string& input) {
  const size_t sign = !input.empty() && (input[0] == '+' || input[0] == '-') ? 1 : 0;
  size_t first = sign;
  while (first + 1 < input.size() && input[first] == '0') ++first;
  if (first == sign) return;
  for (size_t i = sign; i < input.size(); ++i)
    if (input[i] < '0' || input[i] > '9') return;
  input.erase(sign, first - sign);
}

}  // namespace

std::string range_text(double lo, double hi, Bound lo_bound, Bound hi_bound) {
  if (hi == std::numeric_limits<double>::max() && hi_bound == Bound::Closed)  // no upper bound but finiteness
    return std::string("finite and ") + (lo_bound == Bound::Open ? "> " : ">= ") + g(lo);
  return "in " + ((lo_bound == Bound::Open ? "(" : "[") + g(lo)) + ", " + g(hi) + (hi_bound == Bound::Open ? ")" : "]");
}

CLI::Validator in_range(double lo, double hi, Bound lo_bound, Bound hi_bound) {
  const std::string range = range_text(lo, hi, lo_bound, hi_bound);
  return CLI::Validator(
      [=](std::string& input) -> std::string {
        strip_leading_zeros(input);
        char* end = nullptr;
        const double v = std::strtod(input.c_str(), &end);
        if (input.empty() || end != input.c_str() + input.size())
          return "must be a number " + range + "; got '" + input + "'";
        if (!within(v, lo, hi, lo_bound, hi_bound)) return "must be " + range + "; got " + g(v);
        return {};
      },
      range);
}

}  // namespace ember::tools
