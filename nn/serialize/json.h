// JSON for the files ember reads and writes, on nlohmann-json: parsing with the limits
// a file from elsewhere needs (nesting depth, duplicate keys) and writing that turns
// nlohmann's exceptions (invalid UTF-8) into ember::Error.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ember::nn::json {

// Note [JSON objects in file order]
// nlohmann::json keeps an object's keys in a sorted map (lookups O(log n));
// nlohmann::ordered_json keeps insertion order but finds a key by a linear scan, so
// building a large object with it is quadratic: a 100 MB safetensors header of tiny
// entries would take hours. So a parsed document is a sorted `Json` plus the root
// object's keys in file order (the tensors' order), and writers of large objects
// (the safetensors header) write member by member; `OrderedJson` is for objects with
// a handful of keys whose order a reader sees (the --json reports).
using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

constexpr int kMaxDepth = 64;

struct Document {
  Json root;
  std::vector<std::string> root_keys;  // the root object's keys in file order (empty otherwise)
};

// Parses one JSON document (RFC 8259, UTF-8 checked, surrounding whitespace allowed).
// Syntax errors, a key twice in one object and nesting deeper than kMaxDepth throw
// ember::Error("invalid JSON: ...").
Document parse(std::string_view text);

// Compact text (no spaces); indent >= 0 pretty-prints with that many spaces and ends
// with a newline. A string that is not valid UTF-8 throws ember::Error.
std::string dump(const OrderedJson& value, int indent = -1);

// s as a JSON string literal, quotes included (for writers that build text line by
// line, e.g. the Chrome trace); invalid UTF-8 throws ember::Error.
std::string quote(std::string_view s);

// "a string", "an array", ... for messages.
const char* kind_name(const Json& value);

}  // namespace ember::nn::json
