// Range checks of numeric flags with readable messages: "must be in (0, 1e+06]; got
// 1e+308" (%g), never CLI11's std::to_string of DBL_MAX (309 digits). Every `ember`
// subcommand checks its numeric flags with in_range.
#pragma once
#include <CLI/CLI.hpp>

#include <string>

namespace ember::tools {

enum class Bound { Closed, Open };

// "in [lo, hi]", "in (lo, hi]", ... with %g numbers; "finite and > lo" when hi is the
// largest double (closed): a bound that only says "finite" reads as such.
std::string range_text(double lo, double hi, Bound lo_bound = Bound::Closed, Bound hi_bound = Bound::Closed);
// A CLI11 check that the flag's value is a number in the range (NaN never is); its
// failure reads "<flag>: must be <range text>; got <value>". A whole number's leading
// zeros are dropped first, so "010" is ten, never CLI11's octal eight: attach it with
// ->transform(in_range(...)), as ->check runs a validator on a copy of the text.
CLI::Validator in_range(double lo, double hi, Bound lo_bound = Bound::Closed, Bound hi_bound = Bound::Closed);

}  // namespace ember::tools
