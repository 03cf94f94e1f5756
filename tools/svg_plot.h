// A small SVG line-chart writer for the tools' pictures (`ember mem --plot`): axes with
// round ticks, category labels along x, step or straight polylines, labelled markers
// placed so that their labels do not overlap, dashed separators and a legend.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ember::tools::svg {

// Text for SVG content and attribute values: & < > " ' escaped.
std::string escape(std::string_view text);

// About `target` round tick values (1, 2, 2.5 or 5 times a power of ten) covering
// [low, high]; the first is <= low and the last >= high.
std::vector<double> nice_ticks(double low, double high, int target = 6);

// A number for a tick label: no trailing zeros ("0", "2.5", "120").
std::string format_tick(double value);

struct Line {
  std::string label;  // legend text; empty: not in the legend
  std::string color;  // any SVG colour, e.g. "#1f77b4"
  std::vector<std::pair<double, double>> points;  // data coordinates, in x order
  bool dashed = false;
  bool steps = false;  // draw as a staircase: horizontal, then vertical
  double width = 2.0;
  double opacity = 1.0;  // a wide, light line stays visible under one drawn on top of it
};

struct Marker {
  double x = 0, y = 0;  // data coordinates
  std::string color;
  std::string text;  // label next to the point
};

struct Chart {
  std::string title, subtitle, x_label, y_label;
  int width = 1280, height = 700;
  std::vector<Line> lines;
  std::vector<Marker> markers;
  // Category labels along x (written rotated under the axis) at data x positions.
  std::vector<std::pair<double, std::string>> x_categories;
  // Vertical dashed lines at data x with a caption at the top (e.g. "backward ->").
  std::vector<std::pair<double, std::string>> separators;
  // Extra legend lines after the lines' own entries (e.g. what dashes mean).
  std::vector<std::string> notes;
  double x_min = 0, x_max = 1;  // the x range shown
  double y_min = 0;             // the y range starts here; its top comes from the data
};

// The chart as a standalone SVG document. An ember::Error if the x range is empty.
std::string render(const Chart& chart);

}  // namespace ember::tools::svg
