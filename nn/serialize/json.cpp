// Parsing through nlohmann's callback parser, which reports every object/array start
// with its depth and every key: enough to refuse deep nesting and duplicate keys
// before the document is built (nlohmann itself keeps the last duplicate silently).
#include "nn/serialize/json.h"

#include <unordered_set>

#include "core/error.h"

namespace ember::nn::json {
namespace {

// nlohmann's messages start with "[json.exception.parse_error.101] ": keep the rest.
std::string without_prefix(const char* what) {
  const std::string_view s(what);
  const size_t end = s.find("] ");
  return std::string(s.substr(s.rfind("[json.exception.", 0) == 0 && end != std::string_view::npos ? end + 2 : 0));
}

}  // namespace

Document parse(std::string_view text) {
  Document doc;
  std::vector<std::unordered_set<std::string>> open_objects;  // keys seen, one set per open object
  const Json::parser_callback_t check = [&](int depth, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        EMBER_CHECK(depth < kMaxDepth, "invalid JSON: nesting deeper than ", kMaxDepth, " levels");
        if (event == Json::parse_event_t::object_start) open_objects.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        open_objects.pop_back();
        break;
      case Json::parse_event_t::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        EMBER_CHECK(open_objects.back().insert(key).second, "invalid JSON: duplicate key ", Json(key).dump());
        if (depth == 1) doc.root_keys.push_back(key);
        break;
      }
      default:
        break;
    }
    return true;
  };
  try {
    doc.root = Json::parse(text.begin(), text.end(), check);
  } catch (const Json::exception& e) {
    EMBER_FAIL("invalid JSON: ", without_prefix(e.what()));
  }
  if (!doc.root.is_object()) doc.root_keys.clear();
  return doc;
}

std::string dump(const OrderedJson& value, int indent) {
  try {
    return value.dump(indent, ' ', false, OrderedJson::error_handler_t::strict) + (indent >= 0 ? "\n" : "");
  } catch (const OrderedJson::exception& e) {
    EMBER_FAIL("cannot write JSON: ", without_prefix(e.what()));
  }
}

const char* kind_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "a number";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    default:
      return "an unexpected JSON value";
  }
}

std::string quote(std::string_view s) { return dump(OrderedJson(std::string(s))); }

}  // namespace ember::nn::json
