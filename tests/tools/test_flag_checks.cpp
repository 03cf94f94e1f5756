// tools/flag_checks.h: in_range's readable messages, and whole numbers read as decimal
// ("010" is ten; the system CLI11 alone reads a leading 0 as octal).
#include <gtest/gtest.h>

#include <string>

#include "tools/flag_checks.h"

namespace ember::tools {
namespace {

// Parses `ember --n VALUE` with an in_range check; the error text, or "" on success.
template <typename T>
std::string parse(const std::string& value, T& out, double lo, double hi) {
  CLI::App app{"test"};
  app.add_option("--n", out)->transform(in_range(lo, hi));
  try {
    app.parse("--n " + value, /*program_name_included=*/false);
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

TEST(FlagChecks, WholeNumbersWithLeadingZerosAreDecimal) {
  int64_t n = 0;
  EXPECT_EQ(parse("010", n, 1, 100), "");
  EXPECT_EQ(n, 10);
  EXPECT_EQ(parse("08", n, 1, 100), "");  // an octal error before
  EXPECT_EQ(n, 8);
  EXPECT_EQ(parse("-007", n, -100, 100), "");
  EXPECT_EQ(n, -7);
  EXPECT_EQ(parse("000", n, 0, 100), "");
  EXPECT_EQ(n, 0);
  double d = 0;
  EXPECT_EQ(parse("0.5", d, 0, 1), "");
  EXPECT_EQ(d, 0.5);
  EXPECT_EQ(parse("00.25", d, 0, 1), "");
  EXPECT_EQ(d, 0.25);
}

TEST(FlagChecks, OutOfRangeAndNonNumbersGiveReadableErrors) {
  int64_t n = 0;
  EXPECT_NE(parse("0101", n, 1, 100).find("must be in [1, 100]; got 101"), std::string::npos);
  EXPECT_NE(parse("12abc", n, 1, 100).find("must be a number in [1, 100]; got '12abc'"), std::string::npos);
  double d = 0;
  EXPECT_NE(parse("nan", d, 0, 1).find("must be in [0, 1]; got nan"), std::string::npos);
}

}  // namespace
}  // namespace ember::tools
