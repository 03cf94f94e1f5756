// Errors: ember::Error for a caller's mistake (EMBER_CHECK), OutOfMemoryError for
// allocation failure, EMBER_INTERNAL_ASSERT for broken invariants (a bug in ember).
// Messages say what was expected and what was got; library code never aborts.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

#include "core/macros.h"

namespace ember {

class Error : public std::runtime_error {
 public:
  Error(std::string message, const char* file = "", int line = 0)
      : std::runtime_error(std::move(message)), file_(file), line_(line) {}
  const char* file() const { return file_; }
  int line() const { return line_; }

 private:
  const char* file_;
  int line_;
};

class OutOfMemoryError : public Error {
 public:
  using Error::Error;
};

namespace detail {
template <typename... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
[[noreturn]] void throw_error(const char* file, int line, std::string message);
[[noreturn]] void throw_internal(const char* file, int line, const char* cond, std::string message);
}  // namespace detail
}  // namespace ember

// A caller's mistake: throws ember::Error with the concatenated message.
#define EMBER_CHECK(cond, ...)                                                                   \
  do {                                                                                           \
    if (EMBER_UNLIKELY(!(cond))) {                                                               \
      ::ember::detail::throw_error(__FILE__, __LINE__, ::ember::detail::str_cat(__VA_ARGS__));   \
    }                                                                                            \
  } while (0)

#define EMBER_FAIL(...) ::ember::detail::throw_error(__FILE__, __LINE__, ::ember::detail::str_cat(__VA_ARGS__))

// A broken invariant inside ember: still an exception (library code never aborts),
// but the message says it is a bug and where.
#define EMBER_INTERNAL_ASSERT(cond, ...)                                                       \
  do {                                                                                         \
    if (EMBER_UNLIKELY(!(cond))) {                                                             \
      ::ember::detail::throw_internal(__FILE__, __LINE__, #cond,                               \
                                      ::ember::detail::str_cat("" __VA_OPT__(, ) __VA_ARGS__)); \
    }                                                                                          \
  } while (0)
