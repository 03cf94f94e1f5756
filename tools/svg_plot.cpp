// The SVG line-chart writer: layout (plot area, a legend column on the right, rotated
// category labels below), round ticks, polylines and marker labels moved apart until
// their boxes do not overlap (text width estimated from the font size).
#include "tools/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"

namespace ember::tools::svg {
namespace {

constexpr double kFont = 13;          // px, labels and legend
constexpr double kCharWidth = 7.2;    // px per character at kFont (sans-serif, estimated)
constexpr double kLabelHeight = 16;   // px per label line
constexpr double kLeft = 80, kTop = 80, kBottom = 135, kLegendWidth = 440;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

struct Box {
  double x0, y0, x1, y1;
  bool overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

struct Frame {
  double left, top, right, bottom;  // plot area in px
  double x_min, x_max, y_min, y_max;
  double px(double x) const { return left + (x - x_min) / (x_max - x_min) * (right - left); }
  double py(double y) const { return bottom - (y - y_min) / (y_max - y_min) * (bottom - top); }
};

std::string text(double x, double y, std::string_view s, const char* extra = "") {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\"" + extra + ">" + escape(s) + "</text>\n";
}

std::string polyline(const Frame& f, const Line& line) {
  std::string pts;
  std::pair<double, double> prev{};
  bool first = true;
  for (const auto& p : line.points) {
    if (line.steps && !first) pts += num(f.px(p.first)) + "," + num(f.py(prev.second)) + " ";
    pts += num(f.px(p.first)) + "," + num(f.py(p.second)) + " ";
    prev = p;
    first = false;
  }
  std::string out = "<polyline fill=\"none\" stroke=\"" + escape(line.color) + "\" stroke-width=\"" +
                    num(line.width) + "\" stroke-linejoin=\"round\"";
  if (line.dashed) out += " stroke-dasharray=\"6,4\"";
  if (line.opacity < 1) out += " stroke-opacity=\"" + num(line.opacity) + "\"";
  return out + " points=\"" + pts + "\"/>\n";
}

// The drawn lines as screen segments, so labels can avoid covering them.
std::vector<Box> segments(const Frame& f, const std::vector<Line>& lines) {
  std::vector<Box> out;
  for (const Line& l : lines) {
    for (size_t i = 1; i < l.points.size(); ++i) {
      const double x0 = f.px(l.points[i - 1].first), y0 = f.py(l.points[i - 1].second);
      const double x1 = f.px(l.points[i].first), y1 = f.py(l.points[i].second);
      const double yh = l.steps ? y0 : y1;  // a staircase: horizontal first, then vertical
      out.push_back({std::min(x0, x1), std::min(y0, yh), std::max(x0, x1), std::max(y0, yh)});
      if (l.steps) out.push_back({x1, std::min(y0, y1), x1, std::max(y0, y1)});
    }
  }
  return out;
}

bool touches(const Box& box, const Box& seg) {
  return seg.x0 <= box.x1 && box.x0 <= seg.x1 && seg.y0 <= box.y1 && box.y0 <= seg.y1;
}

// Marker dots, and a label beside each: of the places left or right of the dot, moved
// up or down, the one that overlaps no other label, covers the fewest line segments and
// moves least.
std::string markers(const Frame& f, const std::vector<Marker>& list, const std::vector<Box>& lines) {
  std::vector<Box> placed;
  std::string out;
  for (const Marker& m : list) {
    const double x = f.px(m.x), y = f.py(m.y);
    const double w = kCharWidth * static_cast<double>(m.text.size()) + 4;
    double best_score = 1e300, tx = x + 10, ty = y + 4;
    for (const bool left : {false, true}) {
      const double cx = left ? x - 10 - w : x + 10;
      if (cx < f.left + 2 || cx + w > f.right - 2) continue;
      for (double dy = -160; dy <= 160; dy += 4) {
        const double base = y + 4 + dy;
        const Box box{cx - 2, base - kLabelHeight + 3, cx + w + 2, base + 3};
        if (box.y0 < f.top + 2 || box.y1 > f.bottom - 2) continue;
        const bool clash = std::any_of(placed.begin(), placed.end(), [&](const Box& b) { return b.overlaps(box); });
        const auto hits = std::count_if(lines.begin(), lines.end(), [&](const Box& seg) { return touches(box, seg); });
        const double score = (clash ? 1e6 : 0) + 40.0 * static_cast<double>(hits) + std::abs(dy) + (left ? 2 : 0);
        if (score < best_score) best_score = score, tx = cx, ty = base;
      }
    }
    placed.push_back({tx - 2, ty - kLabelHeight + 3, tx + w + 2, ty + 3});
    out += "<circle cx=\"" + num(x) + "\" cy=\"" + num(y) + "\" r=\"4.5\" fill=\"" + escape(m.color) +
           "\" stroke=\"white\" stroke-width=\"1.5\"/>\n";
    if (std::abs(ty - 4 - y) > 6) {  // a leader from the dot to a label that had to move
      const double lx = tx > x ? tx - 2 : tx + w + 2;
      out += "<line x1=\"" + num(x) + "\" y1=\"" + num(y) + "\" x2=\"" + num(lx) + "\" y2=\"" + num(ty - 4) +
             "\" stroke=\"" + escape(m.color) + "\" stroke-width=\"1\"/>\n";
    }
    out += "<rect x=\"" + num(tx - 2) + "\" y=\"" + num(ty - kLabelHeight + 3) + "\" width=\"" + num(w + 4) +
           "\" height=\"" + num(kLabelHeight) + "\" fill=\"white\" fill-opacity=\"0.85\"/>\n";
    out += text(tx, ty, m.text, (" fill=\"" + escape(m.color) + "\" font-weight=\"bold\"").c_str());
  }
  return out;
}

}  // namespace

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double low, double high, int target) {
  EMBER_CHECK(std::isfinite(low) && std::isfinite(high) && target > 0, "nice_ticks: expected a finite range and ",
              "a positive count, got [", low, ", ", high, "] and ", target);
  if (high <= low) high = low + 1;
  const double raw = (high - low) / target;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * power;
  for (double f : {1.0, 2.0, 2.5, 5.0})
    if (f * power >= raw) {
      step = f * power;
      break;
    }
  std::vector<double> ticks;
  const double first = std::floor(low / step) * step;
  for (int i = 0;; ++i) {
    const double t = first + i * step;
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
    if (t >= high - step * 1e-9) break;
  }
  return ticks;
}

std::string format_tick(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  return buf;
}

std::string render(const Chart& c) {
  EMBER_CHECK(c.x_max > c.x_min, "svg::render: expected x_max > x_min, got [", c.x_min, ", ", c.x_max, "]");
  double y_top = c.y_min + 1e-9;
  for (const Line& l : c.lines)
    for (const auto& p : l.points) y_top = std::max(y_top, p.second);
  for (const Marker& m : c.markers) y_top = std::max(y_top, m.y);
  const std::vector<double> yt = nice_ticks(c.y_min, y_top * 1.04);
  const Frame f{kLeft, kTop, c.width - kLegendWidth, c.height - kBottom, c.x_min, c.x_max, yt.front(), yt.back()};

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(c.width) + "\" height=\"" +
         std::to_string(c.height) + "\" viewBox=\"0 0 " + std::to_string(c.width) + " " + std::to_string(c.height) +
         "\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"" + num(kFont) + "\">\n";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  out += text(kLeft, 28, c.title, " font-size=\"18\" font-weight=\"bold\"");
  out += text(kLeft, 50, c.subtitle, " fill=\"#444\"");
  // y grid and ticks
  for (double t : yt) {
    const double y = f.py(t);
    out += "<line x1=\"" + num(f.left) + "\" y1=\"" + num(y) + "\" x2=\"" + num(f.right) + "\" y2=\"" + num(y) +
           "\" stroke=\"#e3e3e3\"/>\n";
    out += text(f.left - 8, y + 4, format_tick(t), " text-anchor=\"end\"");
  }
  out += text(20, (f.top + f.bottom) / 2, c.y_label,
              (" text-anchor=\"middle\" transform=\"rotate(-90 20 " + num((f.top + f.bottom) / 2) + ")\"").c_str());
  // x categories, rotated so that long module names fit
  for (const auto& [x, label] : c.x_categories) {
    const double px = f.px(x), py = f.bottom + 14;
    out += "<line x1=\"" + num(px) + "\" y1=\"" + num(f.bottom) + "\" x2=\"" + num(px) + "\" y2=\"" +
           num(f.bottom + 4) + "\" stroke=\"#888\"/>\n";
    out += text(px, py, label,
                (" text-anchor=\"end\" font-size=\"11\" transform=\"rotate(-50 " + num(px) + " " + num(py) + ")\"").c_str());
  }
  out += text((f.left + f.right) / 2, c.height - 12.0, c.x_label, " text-anchor=\"middle\" fill=\"#444\"");
  for (const auto& [x, caption] : c.separators) {
    const double px = f.px(x);
    out += "<line x1=\"" + num(px) + "\" y1=\"" + num(f.top - 8) + "\" x2=\"" + num(px) + "\" y2=\"" + num(f.bottom) +
           "\" stroke=\"#777\" stroke-dasharray=\"3,3\"/>\n";
    out += text(px + 6, f.top - 10, caption, " fill=\"#555\"");
  }
  out += "<rect x=\"" + num(f.left) + "\" y=\"" + num(f.top) + "\" width=\"" + num(f.right - f.left) + "\" height=\"" +
         num(f.bottom - f.top) + "\" fill=\"none\" stroke=\"#888\"/>\n";
  for (const Line& l : c.lines) out += polyline(f, l);
  out += markers(f, c.markers, segments(f, c.lines));
  // legend column
  double ly = f.top + 6;
  const double lx = f.right + 24;
  for (const Line& l : c.lines) {
    if (l.label.empty()) continue;
    out += "<line x1=\"" + num(lx) + "\" y1=\"" + num(ly) + "\" x2=\"" + num(lx + 28) + "\" y2=\"" + num(ly) +
           "\" stroke=\"" + escape(l.color) + "\" stroke-width=\"" + num(std::min(l.width, 3.0) + 1) + "\"" +
           (l.dashed ? " stroke-dasharray=\"6,4\"" : "") + "/>\n";
    out += text(lx + 36, ly + 4, l.label);
    ly += kLabelHeight + 6;
  }
  ly += 6;
  for (const std::string& note : c.notes) {
    const size_t indent = note.find_first_not_of(' ');  // leading spaces indent (SVG collapses them)
    const size_t skip = indent == std::string::npos ? note.size() : indent;
    out += text(lx + 6.5 * static_cast<double>(skip), ly + 4, note.substr(skip), " fill=\"#444\" font-size=\"12\"");
    ly += kLabelHeight;
  }
  return out + "</svg>\n";
}

}  // namespace ember::tools::svg
