// The readable name of a C++ type (abi::__cxa_demangle of typeid's), for messages and for
// module names taken from the class (nn::Module's default constructor).
#pragma once
#include <string>
#include <typeinfo>

namespace ember {

// "ember::nn::Linear" for typeid(Linear); the mangled name where demangling fails.
std::string demangled_type_name(const std::type_info& type);
// The name without its namespaces or enclosing classes: "Linear" (template arguments kept).
std::string unqualified_type_name(const std::type_info& type);

}  // namespace ember
