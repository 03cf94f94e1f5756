// libFuzzer harness: the fuzz input split on NUL bytes is argv[1..] of `ember`, parsed
// by the same CLI11 app main() builds (tools/cli_app.h); no command runs. A parse error
// (CLI::ParseError, --help and --version included) is a clean refusal.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_input_file.h"
#include "tools/cli_app.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args;
  std::string current;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      args.push_back(current);
      current.clear();
    } else {
      current += static_cast<char>(data[i]);
    }
  }
  if (!current.empty()) args.push_back(current);
  if (args.size() > 64) return 0;  // long argument lists add nothing but time
  std::vector<char*> argv;
  std::string program = "ember";
  argv.push_back(program.data());
  for (std::string& a : args) argv.push_back(a.data());
  const auto cli = ember::tools::make_cli_app();
  try {
    cli->app.parse(static_cast<int>(argv.size()), argv.data());
    ember::fuzz::note_accepted();
  } catch (const CLI::ParseError&) {
  }
  return 0;
}
