// Kernel checks of gather, scatter, scatter_add, index_add, scatter_reduce, sort and topk
// (and what is made of them: searchsorted, quantile, median, unique, ...): strided
// (transposed) inputs, float32/float64/int64/bfloat16, backward, and a bad gather index
// reported at the next synchronising point. Random inputs have no ties, so indices (and
// amax/amin's gradients) compare exactly.
#include <cstdint>
#include <limits>
#include <vector>

#include "tools/kernel_checks/kernel_checks.h"

namespace ember::kernel_checks {
namespace {

using Inputs = std::vector<Tensor>;

// A permutation of [0, n) in every row of [rows, n] (scatter without repeated indices).
Tensor row_permutations(int64_t rows, int64_t n) { return std::get<1>(randn({rows, n}).sort(1)); }

}  // namespace

void add_gather_sort_checks(std::vector<Check>& checks) {
  checks.push_back(parity({.op = "gather(dim=1) transposed input, backward",
                           .shape = "[70, 40]^T at [40, 90]",
                           .inputs = {randn({70, 40}, kFloat64), randint(0, 70, {40, 90})},
                           .fn = [](const Inputs& x) { return Inputs{gather(x[0].t(), 1, x[1])}; },
                           .backward = true,
                           .atol = 1e-12,
                           .rtol = 1e-12}));
  checks.push_back(parity({.op = "gather(dim=0) int64, bfloat16",
                           .shape = "[300, 7] at [500, 7]",
                           .inputs = {randint(-1000, 1000, {300, 7}), randint(0, 300, {500, 7})},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{gather(x[0], 0, x[1]), gather(x[0].to(kBFloat16), 0, x[1])};
                               },
                           .atol = 0.0,
                           .rtol = 0.0}));
  checks.push_back(parity({.op = "scatter(dim=1) of permutations, and a value, backward",
                           .shape = "[64, 50] from [64, 30]",
                           .inputs = {randn({64, 50}), randn({64, 30}), row_permutations(64, 50).narrow(1, 0, 30)},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{scatter(x[0], 1, x[2], x[1]), scatter(x[0], 1, x[2], -3.5)};
                               },
                           .backward = true,
                           .atol = 0.0,
                           .rtol = 0.0}));
  checks.push_back(parity({.op = "scatter_add(dim=0) repeated indices, backward",
                           .shape = "[20, 33] from [400, 33]",
                           .inputs = {randn({20, 33}, kFloat64), randn({400, 33}, kFloat64), randint(0, 20, {400, 33})},
                           .fn = [](const Inputs& x) { return Inputs{scatter_add(x[0], 0, x[2], x[1])}; },
                           .backward = true,
                           .atol = 1e-12,
                           .rtol = 1e-12}));
  checks.push_back(parity({.op = "scatter_add float32, int64",
                           .shape = "[10, 8] from [300, 8]",
                           .inputs = {randn({300, 8}), randint(0, 10, {300, 8})},
                           .fn =
                               [](const Inputs& x) {
                                 const Tensor z = zeros({10, 8}, TensorOptions().device(x[0].device()));
                                 return Inputs{scatter_add(z, 0, x[1], x[0]), scatter_add(z.to(kInt64), 0, x[1], x[1])};
                               },
                           .atol = 1e-4,
                           .rtol = 1e-5}));
  // bf16 and float16 round after every add, in another order on CUDA: a few adds per element.
  for (const auto& precision : {std::pair{kBFloat16, 0.05}, std::pair{kFloat16, 0.01}}) {
    const DType dt = precision.first;  // copies: lambdas capture no structured bindings in clang 14
    const double tol = precision.second;
    checks.push_back(parity({.op = std::string("scatter_add ") + std::string(dtype_name(dt)),
                             .shape = "[10, 8] from [30, 8]",
                             .inputs = {randn({30, 8}), randint(0, 10, {30, 8})},
                             .fn =
                                 [dt](const Inputs& x) {
                                   const Tensor z = zeros({10, 8}, TensorOptions(dt).device(x[0].device()));
                                   return Inputs{scatter_add(z, 0, x[1], x[0].to(dt)),
                                                 scatter_reduce(z, 0, x[1], x[0].to(dt), "amax")};
                                 },
                             .atol = tol,
                             .rtol = tol * 0.4}));
  }
  checks.push_back(parity({.op = "index_add(dim=0) repeated indices, alpha, backward",
                           .shape = "[20, 33] from [400, 33]",
                           .inputs = {randn({20, 33}, kFloat64), randn({400, 33}, kFloat64), randint(0, 20, {400})},
                           .fn = [](const Inputs& x) { return Inputs{index_add(x[0], 0, x[2], x[1], 0.5)}; },
                           .backward = true,
                           .atol = 1e-12,
                           .rtol = 1e-12}));
  // amax/amin compare exactly; products of values near 1 stay finite.
  checks.push_back(parity({.op = "scatter_reduce amax/amin (backward), prod, mean, with and without self",
                           .shape = "[16, 8] from [16, 500]",
                           .inputs = {randn({16, 8}, kFloat64), randn({16, 500}, kFloat64), randint(0, 8, {16, 500})},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{scatter_reduce(x[0], 1, x[2], x[1], "amax"),
                                               scatter_reduce(x[0], 1, x[2], x[1], "amin", false),
                                               scatter_reduce(x[0], 1, x[2], x[1], "mean", false)};
                               },
                           .backward = true,
                           .atol = 1e-12,
                           .rtol = 1e-12}));
  checks.push_back(parity({.op = "scatter_reduce prod float32, amax int64 and bfloat16",
                           .shape = "[16, 8] from [16, 200]",
                           .inputs = {randn({16, 8}), randn({16, 200}), randint(0, 8, {16, 200})},
                           .fn =
                               [](const Inputs& x) {
                                 const Tensor near_one = x[1] * 0.05 + 1.0;
                                 return Inputs{scatter_reduce(x[0], 1, x[2], near_one, "prod"),
                                               scatter_reduce(x[2], 1, x[2], x[2] * 3, "amax", false),
                                               scatter_reduce(x[0].to(kBFloat16), 1, x[2], x[1].to(kBFloat16), "amin")};
                               },
                           .atol = 1e-4,
                           .rtol = 1e-4}));
  // Every sort is stable on both devices (Note [Sort order of ties and NaN]), so even
  // ties and NaNs give the same indices.
  checks.push_back(parity({.op = "sort(dim=1) ties and NaN, both directions",
                           .shape = "[256, 1000] of 20 values and NaN",
                           .fn =
                               [](const Inputs& x) {
                                 auto [v, i] = x[0].sort(1);
                                 auto [vd, id] = x[0].sort(1, true);
                                 return Inputs{v, i, vd, id};
                               },
                           .atol = 0.0,
                           .rtol = 0.0,
                           .make_inputs =
                               [] {
                                 Tensor t = randint(0, 20, {256, 1000}).to(kFloat32);
                                 return Inputs{where(t == 7.0, std::numeric_limits<float>::quiet_NaN(), t)};
                               }}));
  checks.push_back(parity({.op = "sort(dim=1) of a transposed float64 input, descending, backward",
                           .shape = "[3, 100000]^T and [100000, 3]",
                           .fn = [](const Inputs& x) { return Inputs{std::get<0>(x[0].t().sort(1, true)),
                                                                     std::get<1>(x[0].t().sort(1, true))}; },
                           .backward = true,
                           .atol = 0.0,
                           .rtol = 0.0,
                           .make_inputs = [] { return Inputs{randn({100000, 3}, kFloat64)}; }}));
  checks.push_back(parity({.op = "sort int64, bfloat16, uint8 with ties",
                           .shape = "[50, 333]",
                           .inputs = {randint(-5, 5, {50, 333})},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{std::get<1>(x[0].sort()), std::get<1>(x[0].to(kBFloat16).sort(-1, true)),
                                               std::get<0>(x[0].to(kBFloat16).sort()),
                                               std::get<1>((x[0] + 5).to(kUInt8).sort())};
                               },
                           .atol = 0.0,
                           .rtol = 0.0}));
  checks.push_back(parity({.op = "topk(k=5, dim=0) and smallest, backward",
                           .shape = "[200, 40]",
                           .inputs = {randn({200, 40})},
                           .fn =
                               [](const Inputs& x) {
                                 auto [v, i] = x[0].topk(5, 0);
                                 auto [vs, is] = x[0].topk(5, 0, false);
                                 return Inputs{v, i, vs, is};
                               },
                           .backward = true,
                           .atol = 0.0,
                           .rtol = 0.0}));
  checks.push_back(parity({.op = "searchsorted both sides, rows and one row",
                           .shape = "[64, 500] in [64, 300] and [300]",
                           .inputs = {std::get<0>(randint(-50, 50, {64, 300}).to(kFloat32).sort(1)),
                                      randint(-60, 60, {64, 500}).to(kFloat32)},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{searchsorted(x[0], x[1]), searchsorted(x[0], x[1], false, true),
                                               bucketize(x[1], x[0].select(0, 3), false, true)};
                               },
                           .atol = 0.0,
                           .rtol = 0.0}));
  checks.push_back(parity({.op = "quantile, nanquantile, median, kthvalue, backward",
                           .shape = "[40, 257] float64",
                           .inputs = {randn({40, 257}, kFloat64)},
                           .fn =
                               [](const Inputs& x) {
                                 const Tensor q = tensor(std::vector<double>{0.05, 0.5, 0.99}, {3}, dtype(kFloat64))
                                                      .to(x[0].device());
                                 return Inputs{quantile(x[0], q, 1), nanquantile(x[0], 0.3, 0, false, "midpoint"),
                                               std::get<0>(median(x[0], 1)), std::get<0>(kthvalue(x[0], 7, 0))};
                               },
                           .backward = true,
                           .atol = 1e-12,
                           .rtol = 1e-12}));
  checks.push_back(parity({.op = "unique (inverse, counts), by rows, nonzero, bincount, histc",
                           .shape = "[300, 4] of 0..4",
                           .inputs = {randint(0, 5, {300, 4})},
                           .fn =
                               [](const Inputs& x) {
                                 auto [v, i, c] = unique(x[0], true, true, true);
                                 auto [rv, ri, rc] = unique(x[0], true, true, true, 0);
                                 return Inputs{v, i, c, rv, ri, rc, nonzero(x[0]), bincount(x[0].reshape({-1})),
                                               histc(x[0].to(kFloat32), 7, -1, 5)};
                               },
                           .atol = 0.0,
                           .rtol = 0.0}));
  checks.push_back(deferred_error_check(
      "gather bad index", "[4, 3], index 9 along dim 0", "index 9 is out of bounds for dimension 0 with size 4",
      [] { (void)randn({4, 3}).cuda().gather(0, tensor(std::vector<int64_t>{1, 9}, {1, 2}).cuda()); },
      [] { (void)randn({4, 3}).cuda().gather(0, tensor(std::vector<int64_t>{3}, {1, 1}).cuda()).sum().item<double>(); }));
  checks.push_back(deferred_error_check(
      "scatter_add bad index", "[4, 3], index -1 along dim 1", "index -1 is out of bounds for dimension 1 with size 3",
      [] { (void)zeros({4, 3}).cuda().scatter_add(1, tensor(std::vector<int64_t>{-1}, {1, 1}).cuda(), ones({1, 1}).cuda()); },
      [] { (void)zeros({4, 3}).cuda().scatter(1, tensor(std::vector<int64_t>{2}, {1, 1}).cuda(), 1.0).sum().item<double>(); }));
}

}  // namespace ember::kernel_checks
