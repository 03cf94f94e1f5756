// The strong Wolfe line search of PyTorch's LBFGS (torch/optim/lbfgs.py's _strong_wolfe),
// with its scalars as host doubles: float64 parameters take PyTorch's roundings.
#include "nn/optim/lbfgs_line_search.h"

#include <cmath>
#include <vector>

#include "core/native.h"

namespace ember::optim::detail {
namespace {

// Python's max(a, b) and min(a, b): the first argument unless the second compares greater
// (smaller), so a NaN first argument is kept.
double py_max(double a, double b) { return b > a ? b : a; }
double py_min(double a, double b) { return b < a ? b : a; }

double max_abs(const Tensor& t) { return native::max(native::abs(t)).item<double>(); }

}  // namespace

double flat_dot(const Tensor& a, const Tensor& b) { return native::matmul(a, b).item<double>(); }

double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                         std::optional<std::pair<double, double>> bounds) {
  const auto [low, high] = bounds ? *bounds : (x1 <= x2 ? std::pair(x1, x2) : std::pair(x2, x1));
  const double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  const double d2_square = d1 * d1 - g1 * g2;
  if (!(d2_square >= 0)) return (low + high) / 2.;
  const double d2 = std::sqrt(d2_square);
  const double min_pos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                                  : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
  return py_min(py_max(min_pos, low), high);
}

LineSearchResult strong_wolfe(const DirectionalObjective& user_objective, double t, const Tensor& d, double f,
                              const Tensor& g, double gtd, double c1, double c2, double tolerance_change,
                              int64_t max_ls) {
  // A NaN loss satisfies none of the conditions' comparisons, so the search cannot bracket it
  // (PyTorch's fails with an IndexError there): a clear error instead.
  const auto objective = [&](double step) {
    auto result = user_objective(step);
    EMBER_CHECK(!std::isnan(result.first), "LBFGS: the strong Wolfe line search got a NaN loss from the closure at ",
                "step length t = ", step, " along the search direction; the loss must be a number wherever the ",
                "search looks (lower lr, or check the model for NaN)");
    return result;
  };
  const double d_norm = max_abs(d);
  auto [f_new, g_new] = objective(t);
  int64_t evaluations = 1;
  double gtd_new = flat_dot(g_new, d);

  // Bracketing: grow t until an interval holds a point satisfying the conditions.
  double t_prev = 0, f_prev = f, gtd_prev = gtd;
  Tensor g_prev = g;
  bool done = false;
  int64_t ls_iter = 0;
  std::vector<double> bracket, bracket_f, bracket_gtd;
  std::vector<Tensor> bracket_g;
  while (ls_iter < max_ls) {
    if (f_new > (f + c1 * t * gtd) || (ls_iter > 1 && f_new >= f_prev)) {
      bracket = {t_prev, t}, bracket_f = {f_prev, f_new}, bracket_g = {g_prev, g_new},
      bracket_gtd = {gtd_prev, gtd_new};
      break;
    }
    if (std::abs(gtd_new) <= -c2 * gtd) {
      bracket = {t}, bracket_f = {f_new}, bracket_g = {g_new};
      done = true;
      break;
    }
    if (gtd_new >= 0) {
      bracket = {t_prev, t}, bracket_f = {f_prev, f_new}, bracket_g = {g_prev, g_new},
      bracket_gtd = {gtd_prev, gtd_new};
      break;
    }
    const double min_step = t + 0.01 * (t - t_prev);
    const double max_step = t * 10;
    const double previous = t;
    t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, std::pair(min_step, max_step));
    t_prev = previous, f_prev = f_new, g_prev = g_new, gtd_prev = gtd_new;
    std::tie(f_new, g_new) = objective(t);
    evaluations += 1;
    gtd_new = flat_dot(g_new, d);
    ls_iter += 1;
  }
  if (ls_iter == max_ls) bracket = {0, t}, bracket_f = {f, f_new}, bracket_g = {g, g_new};

  // Zoom: shrink the bracket by safeguarded cubic interpolation until a point satisfies the
  // conditions or the bracket is too small to matter.
  bool insufficient_progress = false;
  size_t low_pos = bracket.size() == 1 || bracket_f[0] <= bracket_f[1] ? 0 : 1, high_pos = 1 - low_pos;
  while (!done && ls_iter < max_ls) {
    if (std::abs(bracket[1] - bracket[0]) * d_norm < tolerance_change) break;
    t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]);
    const double top = py_max(bracket[0], bracket[1]), bottom = py_min(bracket[0], bracket[1]);
    const double eps = 0.1 * (top - bottom);
    if (py_min(top - t, t - bottom) < eps) {
      // t is too close to an end: move it in by eps, unless the last step made progress.
      if (insufficient_progress || t >= top || t <= bottom) {
        t = std::abs(t - top) < std::abs(t - bottom) ? top - eps : bottom + eps;
        insufficient_progress = false;
      } else {
        insufficient_progress = true;
      }
    } else {
      insufficient_progress = false;
    }
    std::tie(f_new, g_new) = objective(t);
    evaluations += 1;
    gtd_new = flat_dot(g_new, d);
    ls_iter += 1;
    if (f_new > (f + c1 * t * gtd) || f_new >= bracket_f[low_pos]) {
      bracket[high_pos] = t, bracket_f[high_pos] = f_new, bracket_g[high_pos] = g_new, bracket_gtd[high_pos] = gtd_new;
      low_pos = bracket_f[0] <= bracket_f[1] ? 0 : 1, high_pos = 1 - low_pos;
    } else {
      if (std::abs(gtd_new) <= -c2 * gtd) {
        done = true;
      } else if (gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0) {
        bracket[high_pos] = bracket[low_pos], bracket_f[high_pos] = bracket_f[low_pos];
        bracket_g[high_pos] = bracket_g[low_pos], bracket_gtd[high_pos] = bracket_gtd[low_pos];
      }
      bracket[low_pos] = t, bracket_f[low_pos] = f_new, bracket_g[low_pos] = g_new, bracket_gtd[low_pos] = gtd_new;
    }
  }
  return {bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], evaluations};
}

}  // namespace ember::optim::detail
