// libFuzzer harness: any bytes as a safetensors file through nn::load_file (header
// length, JSON header, offsets, coverage, BOOL bytes). An ember::Error is a clean refusal.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "fuzz_input_file.h"
#include "nn/serialize/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = ember::fuzz::write_input_file("input.safetensors", data, size);
  try {
    const ember::nn::SafetensorsFile file = ember::nn::load_file(path);
    // A file that loads must survive a round trip unchanged in names and metadata.
    ember::nn::save(file.tensors, path + ".again", file.metadata);
    const ember::nn::SafetensorsFile again = ember::nn::load_file(path + ".again");
    if (again.tensors.size() != file.tensors.size() || again.metadata != file.metadata) __builtin_trap();
    for (size_t i = 0; i < file.tensors.size(); ++i) {
      if (again.tensors[i].first != file.tensors[i].first) __builtin_trap();
    }
    ember::fuzz::note_accepted();
  } catch (const ember::Error&) {
  }
  return 0;
}
