// What the harnesses share: the fuzz input as a file (the readers under test take a
// path and open only regular files) in a per-process folder, and a count of accepted inputs.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace ember::fuzz {

// Counts inputs the code under test accepted (loaded, parsed): the replay driver prints
// the count, and ctest requires the valid seeds to stay accepted.
void note_accepted();
size_t accepted_count();

// Writes `size` bytes to `<per-process folder>/<name>` (replaced each call) and returns its path.
std::string write_input_file(const std::string& name, const uint8_t* data, size_t size);

}  // namespace ember::fuzz
