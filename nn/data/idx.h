// IDX files (the MNIST format), gzip-compressed or not: read_idx validates the magic, the
// dimensions and the exact data length and returns a uint8 CPU tensor; write_idx makes
// such a file, atomically (for tests and for users packaging their own data).
#pragma once
#include <cstdint>
#include <string>

#include "core/tensor.h"

namespace ember::data {

// Largest payload read_idx accepts (4 GiB): a guard against corrupt headers.
inline constexpr uint64_t kMaxIdxBytes = uint64_t{1} << 32;

// Reads an IDX file of unsigned bytes (type code 0x08), gzip-compressed, or uncompressed
// when its name does not end in .gz (torchvision's extracted files). When
// expected_dims > 0 the file must have exactly that many dimensions (images: 3,
// magic 0x00000803; labels: 1, magic 0x00000801). Every mistake (missing file, not
// gzip, corrupt stream, bad magic, zero or absurd dimensions, truncated data,
// trailing bytes) is an ember::Error naming the file.
Tensor read_idx(const std::string& path, int expected_dims = 0);

// The dimensions an IDX file's header promises, checked as read_idx checks them, without
// reading its data: a caller can refuse a shape before inflating it (a few hundred KB of
// gzip can hold gigabytes of zeros).
Dims read_idx_dims(const std::string& path, int expected_dims = 0);

// Writes a contiguous uint8 tensor (at least 1 dimension) as a gzip-compressed IDX file.
void write_idx(const std::string& path, const Tensor& bytes);

}  // namespace ember::data
