// Out-of-line throw helpers so EMBER_CHECK costs one predictable branch inline.
#include "core/error.h"

namespace ember::detail {

void throw_error(const char* file, int line, std::string message) {
  throw Error(std::move(message), file, line);
}

void throw_internal(const char* file, int line, const char* cond, std::string message) {
  throw Error(str_cat("internal error in ember (a bug, please report it): ", cond, " failed at ",
                      file, ":", line, message.empty() ? "" : ": ", message),
              file, line);
}

}  // namespace ember::detail
