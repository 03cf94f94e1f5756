// safetensors save/load. Saving lays tensors out by decreasing alignment (so every
// tensor is aligned for readers that map the file) while the JSON keeps the state
// dict's order; loading checks the header, offsets, coverage and bool bytes first.
#include "nn/serialize/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <set>

#include "core/error.h"
#include "nn/serialize/files.h"
#include "nn/serialize/json.h"

namespace ember::nn {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the reference implementation's limit
constexpr const char* kMetadataKey = "__metadata__";

struct DTypeCode {
  DType dtype;
  const char* code;
};
constexpr DTypeCode kDTypeCodes[] = {
    {kFloat32, "F32"}, {kFloat64, "F64"}, {kInt64, "I64"}, {kUInt8, "U8"},
    {kBool, "BOOL"},   {kBFloat16, "BF16"}, {kFloat16, "F16"}};

const char* dtype_code(DType dt) {
  for (const auto& c : kDTypeCodes) {
    if (c.dtype == dt) return c.code;
  }
  EMBER_FAIL("save: dtype ", dtype_name(dt), " has no safetensors code");
}

std::optional<DType> dtype_from_code(std::string_view code) {
  for (const auto& c : kDTypeCodes) {
    if (code == c.code) return c.dtype;
  }
  return std::nullopt;
}

// A file descriptor closed on every path out.
// ---------------------------------------------------------------- save

struct OutEntry {
  std::string name;
  Tensor host;  // contiguous CPU
  uint64_t begin = 0;
  uint64_t end = 0;
};

std::vector<OutEntry> layout(const StateDict& state) {
  std::vector<OutEntry> out;
  std::set<std::string> seen;
  for (const auto& [name, t] : state) {
    EMBER_CHECK(name != kMetadataKey, "save: \"", kMetadataKey, "\" is reserved and cannot name a tensor");
    EMBER_CHECK(seen.insert(name).second, "save: the state dict has two tensors named '", name, "'");
    EMBER_CHECK(t.defined(), "save: tensor '", name, "' is undefined");
    dtype_code(t.dtype());
    OutEntry e;
    e.name = name;
    e.host = t.detach().to(Device::cpu()).contiguous();
    out.push_back(std::move(e));
  }
  std::vector<OutEntry*> by_alignment;
  for (auto& e : out) by_alignment.push_back(&e);
  std::stable_sort(by_alignment.begin(), by_alignment.end(), [](const OutEntry* a, const OutEntry* b) {
    return a->host.element_size() > b->host.element_size();
  });
  uint64_t offset = 0;
  for (OutEntry* e : by_alignment) {
    e->begin = offset;
    offset += e->host.nbytes();
    e->end = offset;
  }
  return out;
}

// The compact JSON header, padded with spaces so the data starts 8-byte aligned. Written
// member by member (Note [JSON objects in file order] in nn/serialize/json.h).
std::string header_json(const std::vector<OutEntry>& entries, const Metadata& metadata) {
  std::string h = "{";
  auto member = [&h](const std::string& key, const json::OrderedJson& value) {
    if (h.size() > 1) h += ',';
    h += json::dump(json::OrderedJson(key)) + ':' + json::dump(value);
  };
  if (!metadata.empty()) member(kMetadataKey, json::OrderedJson(metadata));
  for (const auto& e : entries) {
    json::OrderedJson entry = json::OrderedJson::object();
    entry["dtype"] = dtype_code(e.host.dtype());
    entry["shape"] = std::vector<int64_t>(e.host.sizes().begin(), e.host.sizes().end());
    entry["data_offsets"] = json::OrderedJson::array({e.begin, e.end});
    member(e.name, entry);
  }
  h += '}';
  while (h.size() % 8 != 0) h += ' ';
  return h;
}

// The file: the header's length, the header, then the tensors' bytes in offset order,
// written atomically (nn/serialize/files.h).
void write_file(const std::string& path, const std::string& header, std::vector<OutEntry> entries) {
  std::sort(entries.begin(), entries.end(), [](const OutEntry& a, const OutEntry& b) { return a.begin < b.begin; });
  write_file_atomically(path, "save", [&](int fd) {
    const uint64_t n = header.size();
    bool ok = write_all(fd, &n, sizeof n) && write_all(fd, header.data(), header.size());
    for (size_t i = 0; ok && i < entries.size(); ++i) ok = write_all(fd, entries[i].host.data_ptr(), entries[i].host.nbytes());
    return ok;
  });
}

// ---------------------------------------------------------------- load

template <typename... Args>
[[noreturn]] void bad(const std::string& path, const Args&... what) {
  EMBER_FAIL("invalid safetensors file '", path, "': ", what...);
}

struct InEntry {
  std::string name;
  DType dtype = kFloat32;
  Dims shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

struct Layout {
  uint64_t data_start = 0;
  std::vector<InEntry> entries;  // header order
  Metadata metadata;
};

std::string offsets_text(const InEntry& e) { return detail::str_cat('[', e.begin, ", ", e.end, ']'); }

Metadata parse_metadata(const json::Json& v, const std::string& path) {
  if (!v.is_object()) bad(path, "\"__metadata__\" should be an object, got ", json::kind_name(v));
  Metadata out;
  for (const auto& [k, val] : v.items()) {
    if (!val.is_string()) {
      bad(path, "\"__metadata__\" maps strings to strings, but key '", k, "' holds ", json::kind_name(val));
    }
    out[k] = val.get<std::string>();
  }
  return out;
}

// Reads a JSON array of non-negative integers, naming `field` of tensor `name` in errors.
std::vector<uint64_t> uint_array(const json::Json& v, const std::string& path, const std::string& name,
                                 const char* field) {
  if (!v.is_array()) bad(path, "tensor '", name, "': \"", field, "\" should be an array, got ", json::kind_name(v));
  std::vector<uint64_t> out;
  for (const json::Json& item : v) {
    // Integers past 2^64 and any fraction or exponent parse as floating point: refused.
    if (!item.is_number_unsigned() || item.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      bad(path, "tensor '", name, "': \"", field, "\" should hold non-negative integers, got ",
          item.is_number() ? item.dump() : json::kind_name(item));
    }
    out.push_back(item.get<uint64_t>());
  }
  return out;
}

// [d0, d1, ...] as the file wrote them.
std::string dims_text(const std::vector<uint64_t>& dims) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i) out.append(i ? ", " : "").append(std::to_string(dims[i]));
  return out + "]";
}

InEntry parse_entry(const std::string& name, const json::Json& v, const std::string& path, uint64_t data_size) {
  if (!v.is_object()) bad(path, "tensor '", name, "' should be an object, got ", json::kind_name(v));
  for (const auto& member : v.items()) {
    const std::string& k = member.key();
    if (k != "dtype" && k != "shape" && k != "data_offsets")
      bad(path, "tensor '", name, "' has an unknown field '", k, "'");
  }
  const auto dtype = v.find("dtype");
  const auto shape = v.find("shape");
  const auto offsets = v.find("data_offsets");
  if (dtype == v.end() || shape == v.end() || offsets == v.end()) {
    bad(path, "tensor '", name, "' lacks \"", dtype == v.end() ? "dtype" : shape == v.end() ? "shape" : "data_offsets",
        "\"");
  }
  InEntry e;
  e.name = name;
  const std::string dtype_text = dtype->is_string() ? dtype->get<std::string>() : json::kind_name(*dtype);
  const std::optional<DType> dt = dtype->is_string() ? dtype_from_code(dtype_text) : std::nullopt;
  if (!dt.has_value()) {
    bad(path, "tensor '", name, "' has dtype ", dtype_text,
        ", which ember does not support (F32, F64, I64, U8, BOOL, BF16, F16)");
  }
  e.dtype = *dt;
  const std::vector<uint64_t> dims = uint_array(*shape, path, name, "shape");
  if (dims.size() > static_cast<size_t>(kMaxDims))
    bad(path, "tensor '", name, "' has ", dims.size(), " dimensions; tensors hold at most ", kMaxDims);
  // The dimensions' product (zeros left out: the strides still multiply the others) must
  // fit int64, checked here, naming the file; the bytes are 0 where any dimension is 0.
  const bool empty = std::find(dims.begin(), dims.end(), uint64_t{0}) != dims.end();
  uint64_t numel = 1, nbytes = 0;
  bool overflow = false;
  for (uint64_t d : dims) {
    e.shape.push_back(static_cast<int64_t>(d));
    overflow = overflow || __builtin_mul_overflow(numel, std::max<uint64_t>(d, 1), &numel);
  }
  if (overflow || numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    bad(path, "tensor '", name, "' has shape ", dims_text(dims), ", whose dimensions multiply past 2^63");
  overflow = !empty && __builtin_mul_overflow(numel, itemsize(e.dtype), &nbytes);
  if (empty) nbytes = 0;
  const std::vector<uint64_t> off = uint_array(*offsets, path, name, "data_offsets");
  if (off.size() != 2) bad(path, "tensor '", name, "': \"data_offsets\" should hold 2 integers, got ", off.size());
  e.begin = off[0];
  e.end = off[1];
  if (e.begin > e.end || e.end > data_size) {
    bad(path, "tensor '", name, "' has data_offsets ", offsets_text(e), " outside the ", data_size, " bytes of data");
  }
  if (overflow || nbytes != e.end - e.begin) {
    bad(path, "tensor '", name, "' has data_offsets ", offsets_text(e), " (", e.end - e.begin, " bytes) but shape ",
        dims_text(dims), " of ", dtype_text, " needs ",
        overflow ? std::string("more than 2^64") : std::to_string(nbytes));
  }
  return e;
}

// The tensors must tile the data exactly: no overlap, no gap, nothing after the last.
void check_coverage(const std::vector<InEntry>& entries, const std::string& path, uint64_t data_size) {
  std::vector<const InEntry*> sorted;
  for (const auto& e : entries) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](const InEntry* a, const InEntry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t covered = 0;
  const InEntry* previous = nullptr;
  for (const InEntry* e : sorted) {
    if (e->begin < covered) {
      bad(path, "tensors '", previous->name, "' ", offsets_text(*previous), " and '", e->name, "' ", offsets_text(*e),
          " overlap");
    }
    if (e->begin > covered) bad(path, "bytes [", covered, ", ", e->begin, ") of the data belong to no tensor");
    covered = e->end;
    previous = e;
  }
  if (covered != data_size) bad(path, data_size - covered, " trailing bytes after the last tensor's data");
}

Layout read_layout(int fd, const std::string& path, uint64_t file_size) {
  if (file_size < 8) bad(path, "the file has ", file_size, " bytes, fewer than the 8-byte header length");
  uint64_t n = 0;
  if (!read_at(fd, &n, sizeof n, 0)) bad(path, "cannot read the header length: ", std::strerror(errno));
  if (n > file_size - 8) {
    // A torch.save file read as safetensors: a zip archive (PyTorch >= 1.6) or a pickle
    // (protocol 2 to 5).
    unsigned char magic[4];
    std::memcpy(magic, &n, sizeof magic);
    const bool zip = magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
    if (zip || (magic[0] == 0x80 && magic[1] >= 2 && magic[1] <= 5))
      bad(path, "this is a PyTorch torch.save file (", zip ? "a zip archive" : "a pickle",
          "), not safetensors; ember reads safetensors only: convert it in Python with "
          "safetensors.torch.save_file(torch.load(path), \"model.safetensors\")");
  }
  if (n > file_size - 8)
    bad(path, "the header length ", n, " is larger than the rest of the file (", file_size - 8, " bytes)");
  if (n > kMaxHeaderBytes) bad(path, "the header length ", n, " exceeds the limit of ", kMaxHeaderBytes, " bytes");
  std::string text(n, '\0');
  if (!read_at(fd, text.data(), n, 8)) bad(path, "cannot read the header: ", std::strerror(errno));
  if (text.empty() || text[0] != '{') bad(path, "the header should be a JSON object starting with '{'");
  json::Document doc;
  try {
    doc = json::parse(text);
  } catch (const Error& e) {
    bad(path, "bad JSON header: ", e.what());
  }
  Layout out;
  out.data_start = 8 + n;
  const uint64_t data_size = file_size - out.data_start;
  for (const std::string& name : doc.root_keys) {  // file order: the state dict's
    const json::Json& v = doc.root.at(name);
    if (name == kMetadataKey) {
      out.metadata = parse_metadata(v, path);
    } else {
      out.entries.push_back(parse_entry(name, v, path, data_size));
    }
  }
  check_coverage(out.entries, path, data_size);
  return out;
}

Tensor read_tensor(int fd, const std::string& path, const Layout& layout, const InEntry& e) {
  Tensor t = make_empty(e.shape, e.dtype, Device::cpu());
  if (!read_at(fd, t.data_ptr(), t.nbytes(), layout.data_start + e.begin)) {
    bad(path, "cannot read the data of tensor '", e.name, "': ", errno != 0 ? std::strerror(errno) : "the file shrank");
  }
  if (e.dtype == kBool) {
    const auto* bytes = static_cast<const uint8_t*>(t.data_ptr());
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (bytes[i] > 1)
        bad(path, "tensor '", e.name, "' is BOOL but element ", i, " is the byte ", int{bytes[i]},
            " (expected 0 or 1)");
    }
  }
  return t;
}

}  // namespace

void save(const StateDict& state, const std::string& path) { save(state, path, Metadata{}); }

void save(const StateDict& state, const std::string& path, const Metadata& metadata) {
  std::vector<OutEntry> entries = layout(state);
  const std::string header = header_json(entries, metadata);
  write_file(path, header, std::move(entries));
}

SafetensorsFile load_file(const std::string& path) {
  uint64_t size = 0;
  const Fd fd = open_regular_file(path, &size);
  const Layout layout = read_layout(fd.get(), path, size);
  SafetensorsFile out;
  out.metadata = layout.metadata;
  for (const InEntry& e : layout.entries) {
    errno = 0;
    out.tensors.emplace_back(e.name, read_tensor(fd.get(), path, layout, e));
  }
  return out;
}

StateDict load(const std::string& path) { return load_file(path).tensors; }
StateDict load(const std::string& path, Device device) {
  StateDict tensors = load_file(path).tensors;
  for (auto& [_, t] : tensors) t = t.to(device);
  return tensors;
}

Metadata load_metadata(const std::string& path) {
  uint64_t size = 0;
  const Fd fd = open_regular_file(path, &size);
  return read_layout(fd.get(), path, size).metadata;
}

}  // namespace ember::nn
