// One entry of x.index({...}) / x.index_put_({...}, v), libtorch's torch::indexing spellings:
// an integer, Slice(start, stop, step), None (a new size-1 dim), Ellipsis (or "..."), a bool,
// or a tensor (int64 positions or a bool mask). Included by core/ops.h.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "core/error.h"
#include "core/tensor.h"

namespace ember::indexing {

// x[start:stop:step]; each end optional (None), negative from the end, step > 0.
struct Slice {
  Slice(std::optional<int64_t> start_ = std::nullopt, std::optional<int64_t> stop_ = std::nullopt,
        std::optional<int64_t> step_ = std::nullopt)
      : start(start_), stop(stop_), step(step_.value_or(1)) {}
  std::optional<int64_t> start, stop;
  int64_t step;
};

struct EllipsisIndexType {};
inline constexpr EllipsisIndexType Ellipsis{};
inline constexpr std::nullopt_t None = std::nullopt;

class TensorIndex {
 public:
  TensorIndex(std::nullopt_t) : value_(NoneIndex{}) {}             // NOLINT: x.index({None})
  TensorIndex(EllipsisIndexType) : value_(EllipsisIndexType{}) {}  // NOLINT
  TensorIndex(const char* text) : value_(EllipsisIndexType{}) {    // NOLINT: "..."
    EMBER_CHECK(std::string_view(text) == "...", "Expected \"...\" to represent an ellipsis index, but got \"", text,
                "\"");
  }
  TensorIndex(int64_t i) : value_(i) {}                    // NOLINT
  TensorIndex(int i) : value_(static_cast<int64_t>(i)) {}  // NOLINT
  TensorIndex(bool b) : value_(BoolIndex{b}) {}            // NOLINT
  TensorIndex(Slice s) : value_(s) {}                      // NOLINT
  TensorIndex(Tensor t) : value_(std::move(t)) {}          // NOLINT

  struct NoneIndex {};
  struct BoolIndex {
    bool value;
  };
  using Value = std::variant<NoneIndex, EllipsisIndexType, int64_t, BoolIndex, Slice, Tensor>;
  const Value& value() const { return value_; }

 private:
  Value value_;
};

}  // namespace ember::indexing
