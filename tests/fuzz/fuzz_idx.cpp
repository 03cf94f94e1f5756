// libFuzzer harness for the IDX reader. The first byte chooses: bit 0 clear, the rest
// is the .gz file as is (the gzip layer is fuzzed); set, the rest is a raw IDX image
// that the harness gzips first (the IDX header and data checks are fuzzed). Bits 1-2
// give expected_dims (0 = any).
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/error.h"
#include "fuzz_input_file.h"
#include "nn/data/idx.h"

namespace {

std::vector<uint8_t> gzip(const uint8_t* data, size_t size) {
  z_stream zs{};
  if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) __builtin_trap();
  std::vector<uint8_t> out(deflateBound(&zs, static_cast<uLong>(size)) + 32);
  zs.next_in = const_cast<Bytef*>(data);
  zs.avail_in = static_cast<uInt>(size);
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) __builtin_trap();
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const int expected_dims = (mode >> 1) & 3;
  std::vector<uint8_t> file(data + 1, data + size);
  if (mode & 1) file = gzip(file.data(), file.size());
  const std::string path = ember::fuzz::write_input_file("input.gz", file.data(), file.size());
  try {
    const ember::Tensor t = ember::data::read_idx(path, expected_dims);
    if (expected_dims > 0 && t.dim() != expected_dims) __builtin_trap();
    ember::fuzz::note_accepted();
  } catch (const ember::Error&) {
  }
  return 0;
}
