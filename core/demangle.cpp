// demangled_type_name / unqualified_type_name (core/demangle.h) over the Itanium ABI's demangler.
#include "core/demangle.h"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace ember {

std::string demangled_type_name(const std::type_info& type) {
  int status = 0;
  const std::unique_ptr<char, void (*)(void*)> name(abi::__cxa_demangle(type.name(), nullptr, nullptr, &status),
                                                    std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

std::string unqualified_type_name(const std::type_info& type) {
  const std::string full = demangled_type_name(type);
  // The last "::" outside template arguments ("ns::Box<ns::T>" -> "Box<ns::T>").
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < full.size(); ++i) {
    if (full[i] == '<')
      ++depth;
    else if (full[i] == '>')
      --depth;
    else if (depth == 0 && full[i] == ':' && i + 1 < full.size() && full[i + 1] == ':')
      start = i + 2;
  }
  // An anonymous namespace prints as "(anonymous namespace)::Net": start is past it already.
  return full.substr(start);
}

}  // namespace ember
