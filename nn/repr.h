// How Python prints the values in PyTorch's module reprs and messages, for extra_repr and
// errors that quote them: floats (2.0, 0.1, inf) and tuples of ints or floats ((1, 2), (3,)).
#pragma once
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

namespace ember::nn::detail {

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

// ", inplace=True" after a module's other arguments when set, nothing otherwise (PyTorch's
// activation reprs).
inline std::string inplace_suffix(bool inplace) { return inplace ? ", inplace=True" : ""; }

template <typename T> std::string python_tuple(const std::vector<T>& values) {
  std::string s = "(";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) s += ", ";
    if constexpr (std::is_floating_point_v<T>) s += python_float(values[i]);
    else s += std::to_string(values[i]);
  }
  return s + (values.size() == 1 ? ",)" : ")");
}

}  // namespace ember::nn::detail
