// mem_curves: each mode's events cut into segments (a top-level module's forward span,
// the loss op, then runs of backward nodes of one module), laid on one shared x axis;
// allocator samples placed evenly inside their segment. mem_plot_svg: the chart.
#include "tools/mem_plot.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <map>

#include "core/error.h"
#include "nn/serialize/chrome_trace.h"
#include "tools/svg_plot.h"

namespace ember::tools {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

struct Segment {
  std::string label;
  bool backward = false;
  uint64_t begin = 0, end = 0;  // sequence numbers
  std::string key() const { return (backward ? "B:" : "F:") + label; }
};

std::string top_component(const std::string& path) { return path.substr(0, path.find('.')); }

// Segments of one mode from its events (by seq), in order.
std::vector<Segment> segments_of(const std::vector<const profiler::Event*>& events) {
  using profiler::Category;
  std::map<std::string, std::string> label_of;  // top-level path -> "0 Conv2d"
  std::vector<Segment> segs;
  for (const profiler::Event* e : events) {
    if (e->type != profiler::EventType::Span) continue;
    const bool inside = !segs.empty() && !segs.back().backward && e->seq < segs.back().end;
    if (e->category == Category::Module && !e->module.empty() && e->module.find('.') == std::string::npos) {
      label_of[e->module] = e->name;
      segs.push_back({e->name, false, e->seq, e->end_seq});
    } else if (e->category == Category::Op && e->module.empty() && !inside) {
      segs.push_back({"loss", false, e->seq, e->end_seq});
    } else if (e->category == Category::Backward) {
      const std::string top = top_component(e->module);
      const auto it = label_of.find(top);
      const std::string label = top.empty() ? "loss" : it == label_of.end() ? top : it->second;
      if (!segs.empty() && segs.back().backward && segs.back().label == label) {
        segs.back().end = std::max(segs.back().end, e->end_seq);
      } else {
        segs.push_back({label, true, e->seq, e->end_seq});
      }
    }
  }
  return segs;
}

// Adds the keys of `segs` to the shared order, each after the previous key of its mode.
void merge_keys(const std::vector<Segment>& segs, std::vector<std::string>& order) {
  size_t at = 0;
  for (const Segment& s : segs) {
    const auto it = std::find(order.begin(), order.end(), s.key());
    if (it != order.end()) {
      at = static_cast<size_t>(it - order.begin()) + 1;
    } else {
      order.insert(order.begin() + static_cast<std::ptrdiff_t>(at), s.key());
      ++at;
    }
  }
}

// Index of the segment holding sequence number `seq`: the one spanning it, else the
// next to begin, else the last.
size_t segment_of(const std::vector<Segment>& segs, uint64_t seq) {
  for (size_t i = 0; i < segs.size(); ++i)
    if (seq <= segs[i].end) return i;
  return segs.size() - 1;
}

// Samples of one counter placed on the axis, as a staircase from 0 at the first segment.
std::vector<std::pair<double, double>> place(const std::vector<std::pair<uint64_t, double>>& samples,
                                             const std::vector<Segment>& segs, const std::vector<double>& xs) {
  std::vector<std::vector<double>> per(segs.size());
  for (const auto& [seq, v] : samples) per[segment_of(segs, seq)].push_back(v);
  std::vector<std::pair<double, double>> pts{{xs.front(), 0.0}};
  double last = 0;
  for (size_t i = 0; i < segs.size(); ++i) {
    const double n = static_cast<double>(per[i].size());
    for (size_t j = 0; j < per[i].size(); ++j) {
      last = per[i][j];
      pts.emplace_back(xs[i] + (static_cast<double>(j) + 0.5) / n, last);
    }
  }
  pts.emplace_back(xs.back() + 1, last);
  return pts;
}

}  // namespace

std::vector<ModeCurve> mem_curves(const std::vector<profiler::Event>& events, Device device,
                                  const std::vector<PlotMode>& modes, PlotAxis& axis) {
  std::vector<std::vector<const profiler::Event*>> mode_events(modes.size());
  for (size_t m = 0; m < modes.size(); ++m) {
    const auto phase = std::find_if(events.begin(), events.end(), [&](const profiler::Event& e) {
      return e.type == profiler::EventType::Span && e.category == profiler::Category::Phase && e.name == modes[m].phase;
    });
    EMBER_CHECK(phase != events.end(), "mem plot: expected the profiler span '", modes[m].phase,
                "' in the recorded events (were they dropped by the ring?)");
    for (const profiler::Event& e : events)
      if (e.seq > phase->seq && e.seq < phase->end_seq) mode_events[m].push_back(&e);
  }
  std::vector<std::vector<Segment>> segs(modes.size());
  std::vector<std::string> order;
  for (size_t m = 0; m < modes.size(); ++m) {
    segs[m] = segments_of(mode_events[m]);
    EMBER_CHECK(!segs[m].empty(), "mem plot: mode ", modes[m].name, " recorded no module spans");
    merge_keys(segs[m], order);
  }
  axis = {};
  for (const std::string& k : order) {
    axis.labels.push_back(k.substr(2));
    axis.backward.push_back(k[0] == 'B');
  }
  std::vector<ModeCurve> curves;
  for (size_t m = 0; m < modes.size(); ++m) {
    std::vector<double> xs;
    for (const Segment& s : segs[m])
      xs.push_back(static_cast<double>(std::find(order.begin(), order.end(), s.key()) - order.begin()));
    std::vector<std::pair<uint64_t, double>> alloc, saved;
    for (const profiler::Event* e : mode_events[m]) {
      if (e->type != profiler::EventType::Counter) continue;
      if (e->counter == profiler::CounterKind::Allocated && e->device == device)
        alloc.emplace_back(e->seq, static_cast<double>(e->value - modes[m].base_bytes) / kMiB);
      if (e->counter == profiler::CounterKind::SavedActivations)
        saved.emplace_back(e->seq, static_cast<double>(e->value - modes[m].saved_base_bytes) / kMiB);
    }
    ModeCurve c;
    c.name = modes[m].name;
    c.allocated = place(alloc, segs[m], xs);
    c.saved = place(saved, segs[m], xs);
    for (const auto& [x, y] : c.allocated)
      if (y > c.peak_mib) c.peak_mib = y, c.peak_x = x;
    size_t fwd = 0;
    while (fwd < segs[m].size() && !segs[m][fwd].backward) ++fwd;
    c.has_backward = fwd < segs[m].size();
    c.forward_end_x = fwd < segs[m].size() ? xs[fwd] : xs.back() + 1;
    for (const auto& [x, y] : c.saved)
      if (x <= c.forward_end_x) c.saved_mib = y;
    curves.push_back(std::move(c));
  }
  return curves;
}

std::string mem_plot_svg(const std::vector<ModeCurve>& curves, const PlotAxis& axis, const std::string& title_detail) {
  static const std::map<std::string, std::string> kColors{{"train_grad", "#d62728"},
                                                          {"eval_grad", "#ff7f0e"},
                                                          {"eval_no_grad", "#1f77b4"},
                                                          {"eval_inference_mode", "#2ca02c"}};
  // The variants (+amp, +checkpoint) in colours of their own, in the order drawn.
  static const char* const kVariantColors[] = {"#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};
  size_t variants = 0;
  auto mib = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MiB", v);
    return std::string(buf);
  };
  svg::Chart chart;
  chart.title = "Allocated memory across one forward + backward, by mode";
  chart.subtitle = title_detail + " (bytes above the parameters and the input batch)";
  chart.y_label = "allocated (MiB)";
  chart.x_label = "top-level modules: forward, then the backward nodes of each module";
  chart.x_max = static_cast<double>(axis.labels.size());
  for (size_t i = 0; i < axis.labels.size(); ++i) {
    chart.x_categories.emplace_back(static_cast<double>(i) + 0.5, axis.labels[i]);
    if (axis.backward[i] && (i == 0 || !axis.backward[i - 1])) chart.separators.emplace_back(i, "backward \u2192");
  }
  chart.separators.emplace_back(0.0, "forward \u2192");
  for (const ModeCurve& c : curves) {
    const auto it = kColors.find(c.name);
    const std::string color = it != kColors.end() ? it->second : kVariantColors[variants++ % std::size(kVariantColors)];
    // The first mode of a pair that nearly coincides (train/eval with grad, no_grad and
    // inference mode) is drawn wide and light, the second narrow on top of it.
    const bool under = c.name == "train_grad" || c.name == "eval_no_grad";
    chart.lines.push_back({c.name + ": peak " + mib(c.peak_mib) + ", saved " + mib(c.saved_mib), color, c.allocated,
                           false, true, under ? 6.0 : 2.0, under ? 0.45 : 1.0});
    if (c.saved_mib > 0) chart.lines.push_back({"", color, c.saved, true, true, 1.4, 1.0});
    chart.markers.push_back({c.peak_x, c.peak_mib, color, c.name + " peak " + mib(c.peak_mib)});
    if (c.saved_mib > 0)
      chart.markers.push_back({c.forward_end_x, c.saved_mib, color, c.name + " saved " + mib(c.saved_mib)});
  }
  chart.notes = {"solid: allocated bytes (caching allocator)",
                 "dashed: saved activations (autograd ledger)",
                 "dots: each mode's peak, and what its graph saves",
                 "  by the end of the forward",
                 "wide light lines lie under narrow ones:",
                 "  train_grad under eval_grad: eval() changes",
                 "    what is computed, not what is kept;",
                 "  eval_no_grad under eval_inference_mode:",
                 "    forward only, nothing saved, no backward"};
  return svg::render(chart);
}

}  // namespace ember::tools
