// Checks made before a command starts its work that a file it will write at the end
// (--trace, --plot) can be written: the parent folder exists and is writable, and the
// target is not a folder or another non-regular file.
#pragma once
#include <string>

namespace ember::tools {

// An ember::Error "--trace: cannot write 'PATH': ..." when `path` cannot be written.
void check_output_path(const std::string& path, const std::string& flag);

}  // namespace ember::tools
