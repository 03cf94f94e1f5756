// check_output_path: lstat of the target (a symlink is allowed: the atomic writer
// replaces it), stat of its folder, and a temporary created there and removed.
#include "tools/output_check.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "nn/serialize/files.h"

namespace ember::tools {

void check_output_path(const std::string& path, const std::string& flag) {
  EMBER_CHECK(!path.empty(), flag, ": expected a file path, got an empty string");
  EMBER_CHECK(path.back() != '/', flag, ": expected a file path, got the folder '", path, "'");
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    EMBER_CHECK(!S_ISDIR(st.st_mode), flag, ": cannot write '", path, "': it is a directory; expected a file path");
    EMBER_CHECK(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode), flag, ": cannot write '", path,
                "': it exists and is not a regular file");
  }
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  struct stat ds {};
  EMBER_CHECK(::stat(dir.c_str(), &ds) == 0, flag, ": cannot write '", path, "': its folder '", dir,
              "' does not exist (", std::strerror(errno), ")");
  EMBER_CHECK(S_ISDIR(ds.st_mode), flag, ": cannot write '", path, "': '", dir, "' is not a directory");
  if (const auto reason = nn::file_creation_error(path))
    EMBER_FAIL(flag, ": cannot write '", path, "': no file can be created in folder '", dir, "' (", *reason, ")");
}

}  // namespace ember::tools
