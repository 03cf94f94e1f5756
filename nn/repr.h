// How Python prints the values in PyTorch's module reprs and messages, for extra_repr and
// errors that quote them: floats (2.0, 0.1, inf) and tuples of ints or floats ((1, 2), (3,)).
#pragma once
#include <string>
#include <vector>

#include "core/python_float.h"

namespace ember::nn::detail {

using ember::detail::python_float;  // core/python_float.h

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
