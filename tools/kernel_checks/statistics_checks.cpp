// Kernel checks of the statistics and scans (var/std/var_mean, prod, logsumexp,
// vector_norm, cumsum, cumprod, logcumsumexp, cummax/cummin): the Welford reducer in row,
// column and split layouts, products with zeros, both scan kernels (a block per long line, a
// thread per short or strided line) forward and reverse (through backward), cumprod's
// gradient at zeros, the cumulative extremes' tie rule.
#include <cmath>
#include <limits>
#include <vector>

#include "tools/kernel_checks/kernel_checks.h"

namespace ember::kernel_checks {
namespace {

using Inputs = std::vector<Tensor>;

constexpr double kInf = std::numeric_limits<double>::infinity();

// randn * scale + shift with zeros at every `every`-th element (a contiguous CPU tensor;
// the zeros go in last, so they stay zeros).
Tensor randn_with_zeros(const Dims& sizes, int64_t every, double scale, double shift) {
  Tensor t = randn(sizes) * scale + shift;
  float* data = t.data_ptr<float>();
  for (int64_t i = 0; i < t.numel(); i += every) data[i] = 0.0f;
  return t;
}

void add_moment_checks(std::vector<Check>& checks) {
  checks.push_back(parity({.op = "var/std(dim=1)",
                           .shape = "[64, 1000]",
                           .inputs = {randn({64, 1000})},
                           .fn = [](const Inputs& x) { return Inputs{var(x[0], {1}), std(x[0], {1}, 0, true)}; },
                           .backward = true,
                           .atol = 1e-5,
                           .rtol = 1e-5}));
  checks.push_back(parity({.op = "var_mean(dim=0) columns",
                           .shape = "[1000, 64]",
                           .inputs = {randn({1000, 64})},
                           .fn = [](const Inputs& x) { auto [v, m] = var_mean(x[0], {0}); return Inputs{v, m}; },
                           .backward = true,
                           .atol = 1e-5,
                           .rtol = 1e-5}));
  // Note [Accumulating variance]: a large mean, one output over 2^20 elements (split).
  checks.push_back(parity({.op = "std_mean 1e4 + noise",
                           .shape = "[1048576]",
                           .fn = [](const Inputs& x) { auto [s, m] = std_mean(x[0]); return Inputs{s, m}; },
                           .atol = 1e-6,
                           .rtol = 1e-5,
                           .make_inputs = [] { return Inputs{randn({1 << 20}) * 1e-2 + 1e4}; }}));
  checks.push_back(parity({.op = "var(dims={0,2}) of permute float64",
                           .shape = "[6, 40, 10].permute(2, 0, 1)",
                           .inputs = {randn({6, 40, 10}, kFloat64)},
                           .fn = [](const Inputs& x) { return Inputs{var(x[0].permute({2, 0, 1}), {0, 2}, 2, true)}; },
                           .backward = true,
                           .atol = 1e-12,
                           .rtol = 1e-12}));
}

void add_product_checks(std::vector<Check>& checks) {
  checks.push_back(parity({.op = "prod(dim=1) with zeros",
                           .shape = "[64, 20]",
                           .inputs = {randn_with_zeros({64, 20}, 37, 0.5, 1.0)},
                           .fn = [](const Inputs& x) { return Inputs{x[0].prod(1), x[0].prod(0, true)}; },
                           .backward = true,
                           .atol = 1e-5,
                           .rtol = 1e-4}));
  checks.push_back(parity({.op = "prod int64",
                           .shape = "[40, 6]",
                           .inputs = {randint(-3, 4, {40, 6})},
                           .fn = [](const Inputs& x) { return Inputs{x[0].prod(), x[0].prod(1), x[0].cumprod(0)}; },
                           .atol = 0.0,
                           .rtol = 0.0}));
}

void add_scan_checks(std::vector<Check>& checks) {
  // One long line each: the block-per-line kernel; backward runs the reverse scan.
  checks.push_back(parity({.op = "cumsum(dim=1) long lines",
                           .shape = "[4, 5000]",
                           .inputs = {randn({4, 5000})},
                           .fn = [](const Inputs& x) { return Inputs{x[0].cumsum(1)}; },
                           .backward = true,
                           .atol = 1e-4,
                           .rtol = 1e-5}));
  // Many strided lines: a thread per line.
  checks.push_back(parity({.op = "cumsum/cumprod(dim=0) many lines",
                           .shape = "[50, 6000]",
                           .inputs = {randn({50, 6000}) * 0.1 + 1.0},
                           .fn = [](const Inputs& x) { return Inputs{x[0].cumsum(0), x[0].cumprod(0)}; },
                           .backward = true,
                           .atol = 1e-4,
                           .rtol = 1e-4}));
  checks.push_back(parity({.op = "cumprod with zeros",
                           .shape = "[32, 300].t()",
                           .inputs = {randn_with_zeros({32, 300}, 101, 0.2, 1.0)},
                           .fn = [](const Inputs& x) { return Inputs{x[0].t().cumprod(1), x[0].t().cumprod(0)}; },
                           .backward = true,
                           .atol = 1e-4,
                           .rtol = 1e-4}));
  checks.push_back(parity({.op = "cumsum int64 / bool",
                           .shape = "[30, 700]",
                           .inputs = {randint(-1000, 1000, {30, 700}), randn({30, 700})},
                           .fn = [](const Inputs& x) { return Inputs{x[0].cumsum(1), gt(x[1], 0.0).cumsum(0)}; },
                           .atol = 0.0,
                           .rtol = 0.0}));
  // The log-add-exp scan on both kernels (long lines, then many strided ones), -inf included.
  checks.push_back(parity({.op = "logcumsumexp(dim=1) / (dim=0)",
                           .shape = "[4, 5000] / [50, 600]",
                           .inputs = {randn({4, 5000}) * 20.0, cat({randn({49, 600}), full({1, 600}, -kInf)})},
                           .fn = [](const Inputs& x) { return Inputs{x[0].logcumsumexp(1), x[1].logcumsumexp(0)}; },
                           .backward = true,
                           .atol = 1e-3,
                           .rtol = 1e-4}));
  // Ties everywhere (small integers): the later index on both devices; the gradient goes to it.
  checks.push_back(parity({.op = "cummax/cummin values and indices",
                           .shape = "[30, 700]",
                           .inputs = {randint(0, 9, {30, 700}).to(kFloat32)},
                           .fn =
                               [](const Inputs& x) {
                                 auto [vmax, imax] = x[0].cummax(1);
                                 auto [vmin, imin] = x[0].t().cummin(1);
                                 return Inputs{vmax, imax, vmin, imin};
                               },
                           .atol = 0.0,
                           .rtol = 0.0}));
  checks.push_back(parity({.op = "cummax/cummin backward",
                           .shape = "[30, 700]",
                           .inputs = {randint(0, 9, {30, 700}).to(kFloat32)},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{std::get<0>(x[0].cummax(1)), std::get<0>(x[0].cummin(0))};
                               },
                           .backward = true,
                           .atol = 1e-4,
                           .rtol = 1e-5}));
}

void add_composite_checks(std::vector<Check>& checks) {
  checks.push_back(parity({.op = "logsumexp(dim=1) with -inf rows",
                           .shape = "[64, 300]",
                           .inputs = {randn({64, 300}) * 10.0, full({2, 300}, -kInf)},
                           .fn = [](const Inputs& x) { return Inputs{logsumexp(x[0], 1), logsumexp(x[1], 1, true)}; },
                           .backward = true,
                           .atol = 1e-4,
                           .rtol = 1e-5}));
  checks.push_back(parity({.op = "vector_norm ord 2/1/inf/3",
                           .shape = "[64, 300]",
                           .inputs = {randn({64, 300})},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{linalg::vector_norm(x[0], 2, 1), linalg::vector_norm(x[0], 1, 0),
                                               linalg::vector_norm(x[0], kInf, 1), linalg::vector_norm(x[0], 3)};
                               },
                           .backward = true,
                           .atol = 1e-4,
                           .rtol = 1e-4}));
}

}  // namespace

void add_statistics_checks(std::vector<Check>& checks) {
  add_moment_checks(checks);
  add_product_checks(checks);
  add_scan_checks(checks);
  add_composite_checks(checks);
}

}  // namespace ember::kernel_checks
