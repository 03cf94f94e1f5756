// The fuzz input as a file: the readers under test take a path (they open only regular
// files), so each harness writes its input to one file in a per-process folder.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace ember::fuzz {

// Writes `size` bytes to `<per-process folder>/<name>` (replaced each call) and returns its path.
std::string write_input_file(const std::string& name, const uint8_t* data, size_t size);

}  // namespace ember::fuzz
