// LBFGS's strong Wolfe line search and its safeguarded cubic interpolation, PyTorch's
// _strong_wolfe and _cubic_interpolate step for step (nn/optim/lbfgs.h calls them).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>

#include "core/tensor.h"

namespace ember::optim::detail {

// The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
// `bounds` (default: the interval between x1 and x2); the middle of the bounds when the
// cubic has no minimum. Python's min/max are kept: a NaN candidate is returned unclamped
// where Python's would be.
double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                         std::optional<std::pair<double, double>> bounds = std::nullopt);

// The loss and flat gradient at x + t * d (the parameters put back afterwards).
using DirectionalObjective = std::function<std::pair<double, Tensor>(double t)>;
// A flat vector's dot product with another, read on the host.
double flat_dot(const Tensor& a, const Tensor& b);

struct LineSearchResult {
  double loss;
  Tensor flat_grad;
  double t;
  int64_t evaluations;
};

// A step t along d satisfying the strong Wolfe conditions (sufficient decrease c1, curvature
// c2), from loss f, flat gradient g and directional derivative gtd at t = 0: bracketing
// by cubic extrapolation, then zooming by safeguarded cubic interpolation, at most max_ls
// evaluations after the first. PyTorch calls it with these defaults (tolerance_change is
// not the optimizer's).
LineSearchResult strong_wolfe(const DirectionalObjective& objective, double t, const Tensor& d, double f,
                              const Tensor& g, double gtd, double c1 = 1e-4, double c2 = 0.9,
                              double tolerance_change = 1e-9, int64_t max_ls = 25);

}  // namespace ember::optim::detail
