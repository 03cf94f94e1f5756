// How Python prints the values in PyTorch's module reprs and messages, for extra_repr and
// errors that quote them: floats (2.0, 0.1, inf) and tuples of ints or floats ((1, 2), (3,)).
#pragma once
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

namespace ember::nn::detail {

// Python's repr of a float: the shortest text that reads back as v, with ".0" on integers.
inline std::string python_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  std::string s(buf, end);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

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
