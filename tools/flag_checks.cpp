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
