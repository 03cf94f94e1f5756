// Python's repr of a float (2.0, 0.1, 1e-05, inf), for messages and printing that quote
// numbers as PyTorch's Python does (module reprs in nn/repr.h, a Scalar's operator<<).
#pragma once
#include <charconv>
#include <cmath>
#include <string>

namespace ember::detail {

// Python's repr of a float: the shortest digits that read back as v, written fixed for a
// decimal exponent in [-4, 16) (with ".0" on integers: 0.0001, 1e+16 -> "1e+16"), else in
// scientific notation with a two-digit exponent at least (2e-05), as Python's float_repr.
inline std::string python_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[400];
  auto end = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific).ptr;
  const std::string scientific(buf, end);
  const int exponent = std::stoi(scientific.substr(scientific.find('e') + 1));
  if (exponent < -4 || exponent >= 16) return scientific;
  end = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed).ptr;
  std::string s(buf, end);
  if (s.find('.') == std::string::npos) s += ".0";
  return s;
}

}  // namespace ember::detail
