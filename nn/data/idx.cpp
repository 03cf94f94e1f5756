// The IDX reader (over GzipReader: nothing may follow the gzip stream; an uncompressed file,
// as torchvision extracts them, is read as it is) and writer (over zlib's gz* interface).
// Reading checks every promise the header makes: gzip framing,
// magic, dimensions, and that exactly prod(dims) bytes follow.
#include "nn/data/idx.h"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "nn/data/gzip_reader.h"
#include "nn/serialize/files.h"

namespace ember::data {
namespace {

// Owns a gzFile; closes it on every path out.
class GzFile {
 public:
  // Takes `fd` (gzclose closes it).
  GzFile(int fd, const char* mode) : file_(gzdopen(fd, mode)) {}
  ~GzFile() {
    if (file_ != nullptr) gzclose(file_);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;
  gzFile get() const { return file_; }
  // Closes now and reports whether everything buffered reached the file.
  bool close() {
    const int rc = gzclose(file_);
    file_ = nullptr;
    return rc == Z_OK;
  }

 private:
  gzFile file_;
};

// Reads exactly n bytes of `what`; a short read is a truncated file.
void read_exact(GzipReader& f, const std::string& path, uint8_t* dst, uint64_t n, const char* what) {
  const uint64_t got = f.read(dst, n);
  EMBER_CHECK(got == n, "truncated IDX file '", path, "': expected ", n, " bytes of ", what, ", got ", got);
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void store_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

std::string dims_text(const Dims& dims) {
  std::ostringstream os;
  for (size_t i = 0; i < dims.size(); ++i) os << (i ? " x " : "") << dims[i];
  return os.str();
}

// Checks the magic (00 00 08 ndims) and returns the dimension count.
int check_magic(const uint8_t* m, const std::string& path, int expected_dims) {
  const uint32_t magic = load_be32(m);
  const int ndims = m[3];
  const bool ok = m[0] == 0 && m[1] == 0 && m[2] == 0x08 && ndims > 0 && (expected_dims <= 0 || ndims == expected_dims);
  if (!ok) {
    const std::string want =
        expected_dims > 0 ? hex32(0x800u | static_cast<uint32_t>(expected_dims)) : std::string("0x000008NN");
    EMBER_FAIL("bad magic in IDX file '", path, "': expected ", want, " (unsigned byte data",
               expected_dims > 0 ? ", " + std::to_string(expected_dims) + " dimensions" : std::string(), "), got ",
               hex32(magic));
  }
  EMBER_CHECK(ndims <= kMaxDims, "IDX file '", path, "' has ", ndims, " dimensions; tensors hold at most ", kMaxDims);
  return ndims;
}

// Reads the dimensions and checks that they are non-zero and not absurdly large.
Dims read_dims(GzipReader& f, const std::string& path, int ndims) {
  std::vector<uint8_t> raw(static_cast<size_t>(ndims) * 4);
  read_exact(f, path, raw.data(), raw.size(), "header");
  Dims dims = Dims::filled(static_cast<size_t>(ndims), 0);
  uint64_t total = 1;
  for (int i = 0; i < ndims; ++i) {
    dims[static_cast<size_t>(i)] = load_be32(&raw[static_cast<size_t>(i) * 4]);
  }
  for (int64_t d : dims) {
    EMBER_CHECK(d > 0, "IDX file '", path, "' has a zero dimension (", dims_text(dims), ")");
    total *= static_cast<uint64_t>(d);
    EMBER_CHECK(total <= kMaxIdxBytes, "IDX file '", path, "' promises an absurd size (", dims_text(dims),
                "), more than ", kMaxIdxBytes, " bytes: the header is corrupt");
  }
  return dims;
}

// Note [Memory follows the data, not the header]
// Twenty bytes of gzip can hold an IDX header promising kMaxIdxBytes (4 GiB). Allocating
// the promise before reading made such a file take 4 GiB (or fail with std::bad_alloc,
// not an ember::Error; found by tests/fuzz/fuzz_idx). A promise up to kDirectReadBytes
// (every Fashion-MNIST file) is read straight into the tensor; a larger one is read in
// chunks into a buffer that grows with what arrives, so a truncated file fails having
// allocated about what it holds, and a whole one costs one copy.
constexpr uint64_t kDirectReadBytes = uint64_t{64} << 20;

Tensor read_data(GzipReader& file, const std::string& path, const Dims& dims) {
  uint64_t total = 1;
  for (int64_t d : dims) total *= static_cast<uint64_t>(d);  // <= kMaxIdxBytes (read_dims)
  if (total <= kDirectReadBytes) {
    Tensor out = make_empty(dims, kUInt8, Device::cpu());
    read_exact(file, path, out.data_ptr<uint8_t>(), total, "data");
    return out;
  }
  std::vector<uint8_t> buffer;
  uint64_t got = 0;
  while (got < total) {
    const uint64_t chunk = std::min(total - got, std::max(got, kDirectReadBytes));  // doubling
    buffer.resize(got + chunk);
    const uint64_t n = file.read(buffer.data() + got, chunk);
    got += n;
    EMBER_CHECK(n == chunk, "truncated IDX file '", path, "': expected ", total, " bytes of data, got ", got);
  }
  Tensor out = make_empty(dims, kUInt8, Device::cpu());
  std::memcpy(out.data_ptr<uint8_t>(), buffer.data(), total);
  return out;
}

// A name without .gz may be an uncompressed IDX file (torchvision's raw/ folder); one that
// ends in .gz must be gzip (a damaged download is an error, not read as bytes).
bool raw_allowed(const std::string& path) { return !path.ends_with(".gz"); }

}  // namespace

Tensor read_idx(const std::string& path, int expected_dims) {
  GzipReader file(path, raw_allowed(path));
  uint8_t magic[4];
  read_exact(file, path, magic, sizeof magic, "header");
  const int ndims = check_magic(magic, path, expected_dims);
  const Dims dims = read_dims(file, path, ndims);

  Tensor out = read_data(file, path, dims);

  // To the end of the file: more data is an error, and so is anything after the gzip
  // stream (Note [Nothing after the gzip stream]).
  uint8_t extra[4096];
  const uint64_t trailing = file.read(extra, sizeof extra);
  EMBER_CHECK(trailing == 0, "IDX file '", path, "' has trailing bytes after the ", out.numel(),
              " bytes of data its header promises (", dims_text(dims), ")");
  return out;
}

Dims read_idx_dims(const std::string& path, int expected_dims) {
  GzipReader file(path, raw_allowed(path));
  uint8_t magic[4];
  read_exact(file, path, magic, sizeof magic, "header");
  return read_dims(file, path, check_magic(magic, path, expected_dims));
}

void write_idx(const std::string& path, const Tensor& bytes) {
  EMBER_CHECK(bytes.dtype() == kUInt8 && bytes.is_cpu(), "write_idx: expected a uint8 CPU tensor, got ",
              dtype_name(bytes.dtype()), " on ", bytes.device());
  EMBER_CHECK(bytes.dim() >= 1, "write_idx: expected at least 1 dimension, got a 0-dim tensor");
  const Tensor data = bytes.contiguous();
  std::vector<uint8_t> header(4 + 4 * static_cast<size_t>(data.dim()), 0);
  header[2] = 0x08;
  header[3] = static_cast<uint8_t>(data.dim());
  for (int64_t i = 0; i < data.dim(); ++i) {
    EMBER_CHECK(data.size(i) > 0 && data.size(i) <= int64_t{0xFFFFFFFF}, "write_idx: dimension ", i, " has size ",
                data.size(i), ", which IDX cannot hold");
    store_be32(&header[4 + 4 * static_cast<size_t>(i)], static_cast<uint32_t>(data.size(i)));
  }

  // Atomically, never through a planted link (nn::write_file_atomically): gzip writes into
  // its own duplicate of the temporary file's descriptor.
  nn::write_file_atomically(path, "write IDX file", [&](int fd) {
    const int own = ::dup(fd);
    if (own < 0) return false;
    GzFile file(own, "wb6");
    if (file.get() == nullptr) {
      ::close(own);
      return false;
    }
    const auto put = [&](const uint8_t* p, uint64_t n) {
      while (n > 0) {
        const auto chunk = static_cast<unsigned>(std::min<uint64_t>(n, uint64_t{1} << 30));
        if (gzwrite(file.get(), p, chunk) != static_cast<int>(chunk)) return false;
        p += chunk;
        n -= chunk;
      }
      return true;
    };
    return put(header.data(), header.size()) && put(data.data_ptr<uint8_t>(), static_cast<uint64_t>(data.numel())) &&
           file.close();
  });
}

}  // namespace ember::data
