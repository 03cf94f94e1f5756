// The per-process folder for fuzz inputs, removed at exit, and the accepted count
// (tests/fuzz/fuzz_input_file.h).
#include "fuzz_input_file.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace ember::fuzz {
namespace {

struct InputFolder {
  std::filesystem::path path;
  InputFolder() {
    path = std::filesystem::temp_directory_path() / ("ember-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
  }
  ~InputFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

size_t accepted = 0;

}  // namespace

void note_accepted() { ++accepted; }
size_t accepted_count() { return accepted; }

std::string write_input_file(const std::string& name, const uint8_t* data, size_t size) {
  static const InputFolder folder;
  const std::string path = (folder.path / name).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) throw std::runtime_error("fuzz harness: cannot write " + path);
  return path;
}

}  // namespace ember::fuzz
