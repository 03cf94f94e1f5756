// `ember mem --plot`: the allocated bytes of each mode across one forward (and
// backward), drawn from the profiler's events over the model's top-level modules, with
// each mode's peak and saved-activation bytes marked (tools/svg_plot.h draws it).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/profiler.h"

namespace ember::tools {

// One measured mode: its events lie inside a Phase span named `phase` (e.g.
// "mem train_grad"); bytes are drawn above `base_bytes` (parameters and input) and
// saved bytes above `saved_base_bytes`.
struct PlotMode {
  std::string name;   // "train_grad", ...
  std::string phase;  // the Phase span's name
  int64_t base_bytes = 0, saved_base_bytes = 0;
};

// One mode's curve: x in segment units (segment i spans [i, i+1]), y in MiB above base.
struct ModeCurve {
  std::string name;
  std::vector<std::pair<double, double>> allocated, saved;
  double peak_x = 0, peak_mib = 0;       // the highest allocated sample
  double forward_end_x = 0, saved_mib = 0;  // saved activations when the forward ended
  bool has_backward = false;
};

// The x axis shared by every mode: "0 Conv2d", ..., "loss" (forward), then the same
// names for the backward nodes grouped by the module their forward ran in.
struct PlotAxis {
  std::vector<std::string> labels;
  std::vector<bool> backward;
};

// Curves of `modes` from `events` (sorted by seq) for `device`, on one shared axis.
std::vector<ModeCurve> mem_curves(const std::vector<profiler::Event>& events, Device device,
                                  const std::vector<PlotMode>& modes, PlotAxis& axis);

// The SVG picture of those curves. `title_detail` e.g. "small CNN, batch 256, cpu".
std::string mem_plot_svg(const std::vector<ModeCurve>& curves, const PlotAxis& axis, const std::string& title_detail);

}  // namespace ember::tools
