// A small JSON reader/writer for the safetensors header (internal to nn/serialize):
// a strict RFC 8259 parser keeping object members in file order, and string quoting.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ember::nn::json {

struct Value {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  std::string text;                                    // String: decoded UTF-8; Number: the literal
  std::vector<Value> items;                            // Array
  std::vector<std::pair<std::string, Value>> members;  // Object, in file order

  // A non-negative integer literal that fits in 64 bits, else nullopt.
  std::optional<uint64_t> as_uint() const;
  // The member named `key`, or nullptr.
  const Value* find(std::string_view key) const;
};

// Parses one JSON document (surrounding whitespace allowed). Errors, duplicate object
// keys and nesting deeper than 64 throw ember::Error("... at byte N").
Value parse(std::string_view text);

// `s` as a JSON string literal, quotes included.
std::string quote(std::string_view s);

// "string", "array", ... for messages.
const char* kind_name(Value::Kind kind);

}  // namespace ember::nn::json
