// Parsing in two linear passes: nlohmann's SAX interface first checks nesting depth and
// duplicate keys (nlohmann itself keeps the last duplicate silently), then the plain parser
// builds the document. nlohmann's callback parser would do both in one pass, but it
// rescans the whole parent object at each object's end: quadratic, hours for a header of
// small objects.
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

// The first pass: depth, duplicate keys and the root object's keys in file order.
class StructureCheck : public nlohmann::json_sax<Json> {
 public:
  explicit StructureCheck(std::vector<std::string>& root_keys) : root_keys_(root_keys) {}
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    open(true);
    return true;
  }
  bool key(string_t& key) override {
    EMBER_CHECK(open_objects_.back().insert(key).second, "invalid JSON: duplicate key ", Json(key).dump());
    if (depth_ == 1) root_keys_.push_back(key);
    return true;
  }
  bool end_object() override {
    open_objects_.pop_back();
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    open(false);
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    EMBER_FAIL("invalid JSON: ", without_prefix(e.what()));
  }

 private:
  void open(bool object) {
    EMBER_CHECK(depth_ < kMaxDepth, "invalid JSON: nesting deeper than ", kMaxDepth, " levels");
    ++depth_;
    if (object) open_objects_.emplace_back();
  }
  std::vector<std::string>& root_keys_;
  std::vector<std::unordered_set<std::string>> open_objects_;  // keys seen, one set per open object
  int depth_ = 0;
};

}  // namespace

Document parse(std::string_view text) {
  Document doc;
  StructureCheck check(doc.root_keys);
  Json::sax_parse(text.begin(), text.end(), &check);
  try {
    doc.root = Json::parse(text.begin(), text.end());
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
