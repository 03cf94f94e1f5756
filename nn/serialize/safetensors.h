// State dicts on disk in the safetensors format (8-byte little-endian header length,
// a JSON header, then raw little-endian tensor bytes), readable by Hugging Face's
// safetensors. Saving is atomic (temp file, fsync, rename); loading validates everything.
#pragma once
#include <map>
#include <string>

#include "nn/module.h"

namespace ember::nn {

// Free-form string pairs stored under "__metadata__" (e.g. the epoch of a checkpoint).
using Metadata = std::map<std::string, std::string>;

struct SafetensorsFile {
  StateDict tensors;  // in the header's order (ember writes the state dict's order)
  Metadata metadata;
};

// Writes float32/float64/int64/uint8/bool/bfloat16/float16 tensors (any device; copied to CPU,
// contiguous). Names must be unique and not "__metadata__". On failure no file is left
// under `path` (an existing file there is untouched) and an ember::Error is thrown.
void save(const StateDict& state, const std::string& path);
void save(const StateDict& state, const std::string& path, const Metadata& metadata);

// Reads a file written by save() or any safetensors writer (dtypes F32, F64, I64, U8,
// BOOL, BF16, F16). A malformed file is an ember::Error naming the file and the problem.
SafetensorsFile load_file(const std::string& path);
StateDict load(const std::string& path);
// torch.load's map_location= (safetensors' load_file(path, device=)): every tensor moved to
// `device` after the read (one at a time), so load_state_dict(..., assign=true) keeps a CUDA model on CUDA.
StateDict load(const std::string& path, Device device);
// Reads only the header's "__metadata__" (empty when there is none).
Metadata load_metadata(const std::string& path);

}  // namespace ember::nn
