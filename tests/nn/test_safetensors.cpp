// safetensors tests: round trips of every dtype (exact bytes), a file checked byte for
// byte against a hand-computed example, malformed files (each a clear ember::Error, never
// a crash, including every truncation and random corruption) and atomic saves.
#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include "nn/linear.h"
#include "nn/serialize/safetensors.h"
#include "support/helpers.h"

namespace fs = std::filesystem;
using namespace ember;
using nn::StateDict;

namespace {

using ember::testing::TempDir;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A file image: 8-byte little-endian length, the header, then `data`.
std::string file_image(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

std::string raw_bytes(const Tensor& t) {
  const Tensor c = t.contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), c.nbytes());
}

using ember::testing::error_of;

}  // namespace

TEST(SafetensorsTest, RoundTripEveryDtypeExactly) {
  TempDir dir;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  StateDict sd = {
      {"layer.0.weight",
       tensor(std::vector<float>{1.5f, -0.0f, static_cast<float>(nan), static_cast<float>(inf), 1e-45f, 3.4e38f},
              {2, 3})},
      {"f64", tensor(std::vector<double>{M_PI, -inf, 5e-324}, {3})},
      {"bn.num_batches_tracked", scalar_tensor(int64_t{7}, TensorOptions(kInt64))},
      {"i64", tensor(std::vector<int64_t>{std::numeric_limits<int64_t>::min(), -1, std::numeric_limits<int64_t>::max()},
                     {1, 3})},
      {"u8", tensor(std::vector<uint8_t>{0, 128, 255}, {3, 1})},
      {"mask", tensor(std::vector<bool>{true, false, true, true}, {2, 2})},
      {"bf16", tensor(std::vector<float>{1.5f, -0.1f, static_cast<float>(inf)}, {3}).to(kBFloat16)},  // "BF16"
      {"f16", tensor(std::vector<float>{1.5f, -0.1f, 65504.0f, 0x1p-24f}, {2, 2}).to(kFloat16)},       // "F16"
      {"empty", zeros({0, 4})},
      {"quote\"back\\slash\nnewline é", ones({1})},
  };
  const std::string path = dir.file("all.safetensors");
  nn::save(sd, path, {{"epoch", "3"}, {"optimizer", "sgd \"momentum\""}});
  const nn::SafetensorsFile back = nn::load_file(path);
  ASSERT_EQ(back.tensors.size(), sd.size());
  for (size_t i = 0; i < sd.size(); ++i) {
    SCOPED_TRACE(sd[i].first);
    EXPECT_EQ(back.tensors[i].first, sd[i].first);  // the state dict's order
    EXPECT_EQ(back.tensors[i].second.dtype(), sd[i].second.dtype());
    EXPECT_EQ(back.tensors[i].second.sizes(), sd[i].second.sizes());
    EXPECT_EQ(raw_bytes(back.tensors[i].second), raw_bytes(sd[i].second));
  }
  EXPECT_EQ(back.metadata, (nn::Metadata{{"epoch", "3"}, {"optimizer", "sgd \"momentum\""}}));
  EXPECT_EQ(nn::load_metadata(path), back.metadata);
  EXPECT_EQ(nn::load(path).size(), sd.size());
  // Data starts 8-byte aligned.
  uint64_t n = 0;
  std::memcpy(&n, read_all(path).data(), 8);
  EXPECT_EQ(n % 8, 0u);
}

TEST(SafetensorsTest, NonContiguousAndGradTensors) {
  TempDir dir;
  Tensor base = tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor w = tensor(std::vector<float>{1, 2}, {2}, TensorOptions(kFloat32).requires_grad(true));
  nn::save({{"t", base.t()}, {"w", w}}, dir.file("v.safetensors"));
  StateDict back = nn::load(dir.file("v.safetensors"));
  EXPECT_EQ(back[0].second.sizes(), (Dims{3, 2}));
  EXPECT_EQ(back[0].second.to_vector<float>(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  EXPECT_FALSE(back[1].second.requires_grad());
  EXPECT_TRUE(nn::load_metadata(dir.file("v.safetensors")).empty());
}

TEST(SafetensorsTest, MatchesHandComputedBytes) {
  TempDir dir;
  StateDict sd = {{"w", tensor(std::vector<float>{1.0f, -2.0f}, {2})},
                  {"n", scalar_tensor(int64_t{5}, TensorOptions(kInt64))},
                  {"b", tensor(std::vector<bool>{true, false, true}, {3})}};
  nn::save(sd, dir.file("small.safetensors"), {{"epoch", "12"}});
  // Data laid out by alignment (n, then w, then b); JSON in the state dict's order,
  // 193 bytes padded with 7 spaces to 200.
  const std::string header =
      "{\"__metadata__\":{\"epoch\":\"12\"},"
      "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
      "\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
      "\"b\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[16,19]}}"
      "       ";
  const unsigned char expected_prefix[8] = {200, 0, 0, 0, 0, 0, 0, 0};
  const unsigned char expected_data[19] = {5, 0, 0,    0,    0, 0, 0, 0,  // n = 5
                                           0, 0, 0x80, 0x3F,              // 1.0f
                                           0, 0, 0,    0xC0,              // -2.0f
                                           1, 0, 1};                      // true false true
  const std::string expected = std::string(reinterpret_cast<const char*>(expected_prefix), 8) + header +
                               std::string(reinterpret_cast<const char*>(expected_data), 19);
  EXPECT_EQ(header.size(), 200u);
  EXPECT_EQ(read_all(dir.file("small.safetensors")), expected);
}

// An F16 tensor as PyTorch's safetensors writer lays it out (IEEE binary16, little-endian):
// torch.tensor([1.0, -2.0, 65504.0, float("inf")], dtype=torch.float16).
TEST(SafetensorsTest, ReadsFloat16AsWrittenByPyTorch) {
  TempDir dir;
  const std::string path = dir.file("f16.safetensors");
  write_all(path, file_image(R"({"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}})",
                             std::string("\x00\x3C\x00\xC0\xFF\x7B\x00\x7C", 8)));
  const StateDict back = nn::load(path);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].second.dtype(), kFloat16);
  EXPECT_EQ(back[0].second.to(kFloat64).to_vector<double>(),
            (std::vector<double>{1.0, -2.0, 65504.0, std::numeric_limits<double>::infinity()}));
}

TEST(SafetensorsTest, MalformedFilesAreClearErrors) {
  TempDir dir;
  const std::string good_entry = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  const std::string data8(8, '\x01');
  std::string long_header = file_image("{}", "");  // claims a 4096-byte header in a 10-byte file
  const uint64_t claimed = 4096;
  std::memcpy(long_header.data(), &claimed, 8);
  struct Case {
    const char* name;
    std::string bytes;
    std::string phrase;
  };
  const std::vector<Case> cases = {
      {"short", "abc", "the file has 3 bytes, fewer than the 8-byte header length"},
      {"long_header", long_header, "the header length 4096 is larger than the rest of the file (2 bytes)"},
      // What torch.save writes: a zip archive, or (before 1.6) a pickle starting 0x80 0x02.
      {"torch_save_zip", std::string("PK\x03\x04\x14\x00\x00\x00\x08\x00", 10) + "archive/data.pkl",
       "this is a PyTorch torch.save file (a zip archive), not safetensors"},
      {"torch_save_pickle", std::string("\x80\x02\x8a\x0a", 4) + std::string(12, 'x'),
       "this is a PyTorch torch.save file (a pickle), not safetensors"},
      {"json", file_image("{\"a\":{", data8), "bad JSON header: invalid JSON"},
      {"not_object", file_image("[1,2]   ", ""), "should be a JSON object"},
      {"dtype", file_image(R"({"a":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}})", "abcd"),
       "tensor 'a' has dtype I32, which ember does not support"},
      {"range", file_image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", data8),
       "tensor 'a' has data_offsets [0, 16] outside the 8 bytes of data"},
      {"mismatch", file_image(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data8),
       "has data_offsets [0, 8] (8 bytes) but shape [3] of F32 needs 12"},
      {"overlap", file_image("{" + good_entry + R"(,"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})", data8),
       "tensors 'a' [0, 8] and 'b' [4, 8] overlap"},
      {"gap", file_image(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})", data8),
       "bytes [0, 4) of the data belong to no tensor"},
      {"trailing", file_image("{" + good_entry + "}", data8 + "xyz"), "3 trailing bytes after the last tensor's data"},
      {"bool", file_image(R"({"m":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})", std::string("\x01\x02", 2)),
       "tensor 'm' is BOOL but element 1 is the byte 2"},
      {"metadata", file_image(R"({"__metadata__":{"epoch":3}})", ""), "key 'epoch' holds a number"},
      {"duplicate", file_image("{" + good_entry + "," + good_entry + "}", data8), "duplicate key \"a\""},
      {"negative", file_image(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data8),
       "\"shape\" should hold non-negative integers, got -2"},
      {"fraction", file_image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8.0]}})", data8), "got 8.0"},
      {"missing_field", file_image(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", data8),
       "tensor 'a' lacks \"shape\""},
      {"unknown_field", file_image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", data8),
       "unknown field 'x'"},
      {"offsets_arity", file_image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", data8),
       "should hold 2 integers, got 1"},
      {"deep", file_image("{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}", ""),
       "nesting deeper than 64"},
      {"huge_shape", file_image(R"({"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", data8),
       "has shape [4294967296, 4294967296], whose dimensions multiply past 2^63"},
      {"huge_bytes", file_image(R"({"a":{"dtype":"F64","shape":[2147483648,2147483648],"data_offsets":[0,8]}})", data8),
       "needs more than 2^64"},
      // Empty, but its strides would still pass int64: refused naming the file.
      {"huge_empty", file_image(R"({"a":{"dtype":"U8","shape":[0,4611686018427387904,4],"data_offsets":[0,0]}})", ""),
       "has shape [0, 4611686018427387904, 4], whose dimensions multiply past 2^63"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = dir.file(std::string(c.name) + ".safetensors");
    write_all(path, c.bytes);
    const std::string msg = error_of([&] { nn::load(path); });
    EXPECT_NE(msg.find("invalid safetensors file '" + path + "': "), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.phrase), std::string::npos) << msg;
  }
  EXPECT_EMBER_ERROR(nn::load(dir.file("absent.safetensors")), "cannot open '" + dir.file("absent.safetensors") + "'");
  EXPECT_EMBER_ERROR(nn::load(dir.path().string()), "not a regular file");
}

TEST(SafetensorsTest, EveryTruncationAndCorruptionIsAnErrorNotACrash) {
  TempDir dir;
  const std::string good = dir.file("good.safetensors");
  nn::save({{"a", arange(0, 6, 1, TensorOptions(kFloat32))},
            {"b", tensor(std::vector<bool>{true, false}, {2})},
            {"c", arange(0, 3, 1, TensorOptions(kInt64))}},
           good, {{"k", "v"}});
  const std::string bytes = read_all(good);
  const std::string path = dir.file("bad.safetensors");
  for (size_t len = 0; len < bytes.size(); ++len) {
    write_all(path, bytes.substr(0, len));
    EXPECT_THROW(nn::load(path), Error) << "truncated to " << len << " bytes";
  }
  std::mt19937 rng(1234);
  int loaded = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string corrupt = bytes;
    corrupt[rng() % corrupt.size()] = static_cast<char>(rng());
    write_all(path, corrupt);
    try {
      loaded += nn::load(path).size() == 3;  // a flip inside float data is still a valid file
    } catch (const Error&) {
    }
  }
  EXPECT_GT(loaded, 0);
}

TEST(SafetensorsTest, FailedSaveLeavesNoFile) {
  TempDir dir;
  const StateDict sd = {{"w", ones({2, 2})}};
  const std::string missing_dir = dir.file("no/such/dir/model.safetensors");
  EXPECT_EMBER_ERROR(nn::save(sd, missing_dir), "cannot save '" + missing_dir + "': cannot create");
  EXPECT_FALSE(fs::exists(dir.path() / "no"));

  // The target is a directory: the rename fails and the temp file is removed.
  fs::create_directory(dir.path() / "taken");
  EXPECT_EMBER_ERROR(nn::save(sd, dir.file("taken")), "cannot save '" + dir.file("taken") + "'");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);

  // A bad state dict fails before anything is written; an existing file is untouched.
  const std::string existing = dir.file("model.safetensors");
  nn::save(sd, existing);
  const std::string before = read_all(existing);
  EXPECT_EMBER_ERROR(nn::save({{"a", ones({1})}, {"a", ones({1})}}, existing), "two tensors named 'a'");
  EXPECT_EMBER_ERROR(nn::save({{"__metadata__", ones({1})}}, existing), "is reserved");
  EXPECT_EMBER_ERROR(nn::save({{"u", Tensor()}}, existing), "tensor 'u' is undefined");
  EXPECT_EQ(read_all(existing), before);

  // Overwriting replaces the file whole.
  nn::save({{"z", zeros({3})}}, existing);
  EXPECT_EQ(nn::load(existing)[0].first, "z");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 2);
}

TEST(SafetensorsTest, UnwritableDirectoryLeavesNoFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  TempDir dir;
  const StateDict sd = {{"w", ones({2, 2})}};
  const fs::path locked = dir.path() / "locked";
  fs::create_directory(locked);
  fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_EMBER_ERROR(nn::save(sd, (locked / "m.safetensors").string()), "Permission denied");
  EXPECT_TRUE(fs::is_empty(locked));
  fs::permissions(locked, fs::perms::owner_all);
}

TEST(SafetensorsTest, ModuleStateDictRoundTrip) {
  TempDir dir;
  nn::Linear a(3, 2);
  nn::Linear b(3, 2);
  nn::save(a.state_dict(), dir.file("linear.safetensors"), {{"epoch", "4"}});
  b.load_state_dict(nn::load(dir.file("linear.safetensors")));
  const StateDict sa = a.state_dict();
  const StateDict sb = b.state_dict();
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) {
    EXPECT_EQ(sa[i].first, sb[i].first);
    EXPECT_EQ(raw_bytes(sa[i].second), raw_bytes(sb[i].second));
  }
  EXPECT_EQ(nn::load_metadata(dir.file("linear.safetensors")).at("epoch"), "4");
}
