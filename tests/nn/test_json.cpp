// nn/serialize/json: nlohmann-json with ember's limits (nesting depth, duplicate keys),
// the root's keys in file order, and writing that refuses invalid UTF-8.
#include <gtest/gtest.h>

#include <string>

#include "nn/serialize/json.h"
#include "support/helpers.h"

using namespace ember;
namespace json = ember::nn::json;

TEST(JsonTest, RootKeysKeepFileOrder) {
  const json::Document doc = json::parse(R"( {"z": 1, "a": {"y": [1, 2]}, "m": "x"} )");
  EXPECT_EQ(doc.root_keys, (std::vector<std::string>{"z", "a", "m"}));
  EXPECT_EQ(doc.root.at("a").at("y").at(1).get<int>(), 2);
  EXPECT_EQ(doc.root.at("m").get<std::string>(), "x");
  EXPECT_TRUE(json::parse("[1, {\"k\": 2}]").root_keys.empty());
}

TEST(JsonTest, NestingIsLimitedTo64Levels) {
  const auto nested = [](int levels) { return std::string(levels, '[') + std::string(levels, ']'); };
  EXPECT_TRUE(json::parse(nested(64)).root.is_array());
  EXPECT_EMBER_ERROR(json::parse(nested(65)), "invalid JSON: nesting deeper than 64 levels");
  EXPECT_EMBER_ERROR(json::parse("{\"a\":" + nested(100) + "}"), "nesting deeper than 64 levels");
}

TEST(JsonTest, DuplicateKeysAreRefusedAtAnyDepth) {
  EXPECT_EMBER_ERROR(json::parse(R"({"a": 1, "a": 2})"), "invalid JSON: duplicate key \"a\"");
  EXPECT_EMBER_ERROR(json::parse(R"({"o": [{"k": 1, "j": 2, "k": 3}]})"), "duplicate key \"k\"");
  // The same key in two different objects is fine.
  EXPECT_EQ(json::parse(R"({"a": {"k": 1}, "b": {"k": 2}})").root.at("b").at("k").get<int>(), 2);
}

// A header of many small objects: nlohmann's callback parser rescanned the parent object
// at each object's end (200000 keys took minutes, a 100 MB header days); the two linear
// passes take well under a second. No time is asserted: the old parser would time out.
TEST(JsonTest, ManySmallObjectsParseInLinearTime) {
  std::string text = "{";
  for (int i = 0; i < 200000; ++i) text.append(i ? ",\"" : "\"").append(std::to_string(i)).append("\":{}");
  text.append("}");
  const json::Document doc = json::parse(text);
  ASSERT_EQ(doc.root_keys.size(), 200000u);
  EXPECT_EQ(doc.root_keys[199999], "199999");
  EXPECT_TRUE(doc.root.at("123456").is_object());
}

TEST(JsonTest, SyntaxAndEncodingErrorsAreEmberErrors) {
  EXPECT_EMBER_ERROR(json::parse("{\"a\":"), "invalid JSON: ");
  EXPECT_EMBER_ERROR(json::parse("{} x"), "invalid JSON: ");
  EXPECT_EMBER_ERROR(json::parse("{\"\xff\": 1}"), "invalid JSON: ");  // not UTF-8
  EXPECT_EMBER_ERROR(json::parse("[1e999]"), "invalid JSON: ");        // out of range
}

TEST(JsonTest, DumpIsCompactOrIndentedAndRefusesInvalidUtf8) {
  const json::OrderedJson v = {{"b", 1}, {"a", json::OrderedJson::array({1.5, "x\n"})}};
  EXPECT_EQ(json::dump(v), R"({"b":1,"a":[1.5,"x\n"]})");
  EXPECT_EQ(json::dump(json::OrderedJson{{"k", 2}}, 2), "{\n  \"k\": 2\n}\n");
  EXPECT_EMBER_ERROR(json::dump(json::OrderedJson("\xc3")), "cannot write JSON: ");
}
