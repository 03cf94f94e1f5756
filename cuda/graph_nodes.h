// What a captured cuda::Graph holds (last_capture_nodes()): its kernels in capture order,
// named and with their launch shapes, and how many nodes of other kinds. Plain host code with
// no CUDA headers, so the naming is tested on every machine (tests/core/test_graph_nodes.cpp).
#pragma once
#include <cxxabi.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ember::cuda {

struct GraphKernel {
  std::string name;  // kernel_display_name's
  uint32_t blocks = 0, threads = 0;
};

struct GraphNodes {
  std::vector<GraphKernel> kernels;
  int64_t memsets = 0, copies = 0, other = 0;

  int64_t total() const { return static_cast<int64_t>(kernels.size()) + memsets + copies + other; }
  // "64 nodes: 60 kernels, 3 memsets, 1 copy, 0 other".
  std::string summary() const {
    const auto count = [](int64_t n, const char* one, const char* many) {
      return std::to_string(n) + " " + (n == 1 ? one : many);
    };
    return count(total(), "node", "nodes") + ": " +
           count(static_cast<int64_t>(kernels.size()), "kernel", "kernels") + ", " +
           count(memsets, "memset", "memsets") + ", " + count(copies, "copy", "copies") + ", " +
           std::to_string(other) + " other";
  }
};

// A kernel's symbol as a reader wants it in a listing: demangled where it is a C++ name, the
// return type, parameter list and ember's kernel namespaces dropped, at most 160 characters
// ("stats_partial_kernel<float>"); a C name (cuDNN's, cuBLAS's) as it is.
inline std::string kernel_display_name(std::string_view symbol) {
  const std::string mangled(symbol);
  int status = 0;
  const std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status), std::free);
  std::string name = status == 0 && demangled ? std::string(demangled.get()) : mangled;
  for (const std::string_view drop : {"(anonymous namespace)::", "ember::cuda_kernels::", "ember::"}) {
    for (size_t at = name.find(drop); at != std::string::npos; at = name.find(drop)) name.erase(at, drop.size());
  }
  // The parameter list: the first '(' outside template arguments.
  int depth = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '<') ++depth;
    if (name[i] == '>') --depth;
    if (name[i] == '(' && depth == 0) {
      name.resize(i);
      break;
    }
  }
  // The return type ("void "), before the name at depth 0.
  depth = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '<') ++depth;
    if (name[i] == '>') --depth;
    if (name[i] == ' ' && depth == 0) {
      name.erase(0, i + 1);
      break;
    }
  }
  constexpr size_t kMax = 160;
  if (name.size() > kMax) name = name.substr(0, kMax - 3) + "...";
  return name;
}

// The nodes of the graph this thread captured last (Graph::capture_end() lists them, and logs
// them at EMBER_LOG_LEVEL=debug: what each replay launches, for attributing a graphed step's
// GPU time); empty before any capture, without CUDA, or where listing them failed.
GraphNodes last_capture_nodes();

}  // namespace ember::cuda
