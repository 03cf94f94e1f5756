// tools/svg_plot: escaping, round ticks, the document's structure (polylines, markers
// whose labels do not overlap, rotated category labels) parsed back as XML-ish text.
#include <gtest/gtest.h>

#include <cmath>
// GCC 12 at -O1 with the sanitizers (the asan preset) warns falsely inside <regex>
// (-Wmaybe-uninitialized on std::function in regex_automaton.h); the warning is off for
// this test file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>

#include "core/error.h"
#include "tools/svg_plot.h"

namespace ember::tools::svg {
namespace {

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST(SvgPlot, EscapesTextForContentAndAttributes) {
  EXPECT_EQ(escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
  EXPECT_EQ(escape("0 Conv2d"), "0 Conv2d");
}

TEST(SvgPlot, NiceTicksAreRoundAndCoverTheRange) {
  EXPECT_EQ(nice_ticks(0, 95.3), (std::vector<double>{0, 20, 40, 60, 80, 100}));
  EXPECT_EQ(nice_ticks(0, 1), (std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}));
  EXPECT_EQ(nice_ticks(0, 12, 5), (std::vector<double>{0, 2.5, 5, 7.5, 10, 12.5}));
  const auto t = nice_ticks(3, 3);  // an empty range still gets an axis
  EXPECT_LE(t.front(), 3);
  EXPECT_GT(t.back(), 3);
  EXPECT_EQ(format_tick(2.5), "2.5");
  EXPECT_EQ(format_tick(120), "120");
  EXPECT_THROW(nice_ticks(0, std::nan("")), Error);
}

TEST(SvgPlot, RendersLinesMarkersCategoriesAndLegend) {
  Chart c;
  c.title = "memory <by mode>";
  c.x_max = 3;
  c.lines.push_back({"train_grad: peak 10 MiB", "#d62728", {{0, 0}, {1, 10}, {2, 4}, {3, 4}}, false, true, 2});
  c.lines.push_back({"", "#d62728", {{0, 0}, {1, 5}}, true, false, 1});
  // Two markers at the same point: their labels must be moved apart.
  c.markers.push_back({1, 10, "#d62728", "train_grad peak 10.0 MiB"});
  c.markers.push_back({1, 10, "#ff7f0e", "eval_grad peak 10.0 MiB"});
  c.x_categories = {{0.5, "0 Conv2d"}, {1.5, "1 ReLU"}, {2.5, "loss"}};
  c.separators = {{2, "backward"}};
  c.notes = {"dashed: saved"};
  const std::string svg = render(c);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("memory &lt;by mode&gt;"), std::string::npos);
  EXPECT_EQ(count(svg, "<polyline"), 2u);
  EXPECT_EQ(count(svg, "stroke-dasharray=\"6,4\""), 1u);  // the dashed line (legend skips unlabelled lines)
  EXPECT_EQ(count(svg, "<circle"), 2u);
  EXPECT_EQ(count(svg, "rotate(-50"), 3u);
  EXPECT_NE(svg.find(">train_grad: peak 10 MiB</text>"), std::string::npos);
  EXPECT_NE(svg.find(">dashed: saved</text>"), std::string::npos);
  // A staircase: the 4 points give 4 + 3 vertices.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, std::regex("points=\"([^\"]*)\"")));
  EXPECT_EQ(count(m[1].str(), ","), 7u);
  // The two marker labels' boxes do not overlap.
  struct Rect {
    double x, y, w, h;
  };
  std::vector<Rect> boxes;
  const std::regex box("<rect x=\"([0-9.]+)\" y=\"([0-9.]+)\" width=\"([0-9.]+)\" height=\"([0-9.]+)\" fill=\"white\" fill-opacity");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), box); it != std::sregex_iterator(); ++it)
    boxes.push_back({std::stod((*it)[1].str()), std::stod((*it)[2].str()), std::stod((*it)[3].str()),
                     std::stod((*it)[4].str())});
  ASSERT_EQ(boxes.size(), 2u);
  const Rect& a = boxes[0];
  const Rect& b = boxes[1];
  const bool apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
  EXPECT_TRUE(apart) << a.x << "," << a.y << " vs " << b.x << "," << b.y;
  Chart empty;
  empty.x_max = 0;
  EXPECT_THROW(render(empty), Error);
}

}  // namespace
}  // namespace ember::tools::svg
