// torch.set_printoptions: how tensors print (core/print.cpp). Process-wide, as PyTorch's
// PRINT_OPTS; each field left unset keeps its value, except sci_mode (unset: chosen from the
// values, PyTorch's None).
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace ember {

struct PrintOptions {
  std::optional<int64_t> precision = std::nullopt;  // digits after the point (default 4)
  std::optional<int64_t> threshold = std::nullopt;  // more elements than this print summarized (default 1000)
  std::optional<int64_t> edgeitems = std::nullopt;  // elements kept at each end of a summarized dim (default 3)
  std::optional<int64_t> linewidth = std::nullopt;  // characters per line before wrapping (default 80)
  // "default", "short" (precision 2, edgeitems 2) or "full" (never summarized), applied first.
  std::optional<std::string_view> profile = std::nullopt;
  std::optional<bool> sci_mode = std::nullopt;  // true / false forces scientific / fixed notation
};

// Negative counts and an unknown profile are errors.
void set_printoptions(const PrintOptions& options);

// The options in force (sci_mode unset when chosen from the values).
struct CurrentPrintOptions {
  int64_t precision = 4, threshold = 1000, edgeitems = 3, linewidth = 80;
  std::optional<bool> sci_mode = std::nullopt;
};
CurrentPrintOptions get_printoptions();

}  // namespace ember
