// Kernel checks of the reduction family (sum, mean, amax/amin, argmax/argmin, max with
// indices; contiguous, column-wise, strided, split and NaN/tie cases) and of matmul
// (mm, bmm, transposed operands, 1-D @ 2-D, bfloat16; cuBLAS may sum in another order).
#include <cmath>
#include <limits>
#include <vector>

#include "tools/kernel_checks/kernel_checks.h"

namespace ember::kernel_checks {
namespace {

using Inputs = std::vector<Tensor>;

// Small integer values as floats: many exact ties for argmax/argmin.
Tensor tied_values(const Dims& sizes, int64_t distinct) { return randint(0, distinct, sizes).to(kFloat32); }

// randn with NaN planted at the given flat positions (a contiguous CPU tensor).
Tensor randn_with_nans(const Dims& sizes, const std::vector<int64_t>& nan_positions) {
  Tensor t = randn(sizes);
  float* data = t.data_ptr<float>();
  for (int64_t p : nan_positions) data[p] = std::numeric_limits<float>::quiet_NaN();
  return t;
}

void add_reduction_checks(std::vector<Check>& checks) {
  checks.push_back(parity({.op = "sum",
                           .shape = "[1048576]",
                           .fn = [](const Inputs& x) { return Inputs{sum(x[0])}; },
                           .atol = 1e-4,
                           .rtol = 1e-4,
                           .make_inputs = [] { return Inputs{rand({1 << 20})}; }}));
  checks.push_back(parity({.op = "sum(dim=1)",
                           .shape = "[64, 1000]",
                           .inputs = {randn({64, 1000})},
                           .fn = [](const Inputs& x) { return Inputs{sum(x[0], {1})}; },
                           .backward = true,
                           .atol = 1e-4,
                           .rtol = 1e-4}));
  checks.push_back(parity({.op = "sum(dim=0) columns",
                           .shape = "[1000, 64]",
                           .inputs = {randn({1000, 64})},
                           .fn = [](const Inputs& x) { return Inputs{sum(x[0], {0})}; },
                           .backward = true,
                           .atol = 1e-4,
                           .rtol = 1e-4}));
  // Few outputs, long columns: the reduction is split into chunks (two passes).
  checks.push_back(parity({.op = "sum(dim=0) split columns",
                           .shape = "[8192, 48] float64",
                           .inputs = {randn({8192, 48}, kFloat64)},
                           .fn = [](const Inputs& x) { return Inputs{sum(x[0], {0}), mean(x[0], {0}, true)}; },
                           .atol = 1e-10,
                           .rtol = 1e-10}));
  checks.push_back(parity({.op = "mean(dims={0,2}, keepdim)",
                           .shape = "[8, 16, 32]",
                           .inputs = {randn({8, 16, 32})},
                           .fn = [](const Inputs& x) { return Inputs{mean(x[0], {0, 2}, true)}; },
                           .backward = true,
                           .atol = 1e-5,
                           .rtol = 1e-5}));
  checks.push_back(parity({.op = "sum(dim=1) of transpose",
                           .shape = "[48, 64].t()",
                           .inputs = {randn({48, 64})},
                           .fn = [](const Inputs& x) { return Inputs{sum(x[0].t(), {1}), sum(x[0].t(), {0})}; },
                           .backward = true,
                           .atol = 1e-4,
                           .rtol = 1e-4}));
  checks.push_back(parity({.op = "sum/amax(dims={0,2}) of permute",
                           .shape = "[6, 40, 10].permute(2, 0, 1)",
                           .inputs = {randn({6, 40, 10})},
                           .fn =
                               [](const Inputs& x) {
                                 const Tensor p = x[0].permute({2, 0, 1});
                                 return Inputs{sum(p, {0, 2}), amax(p, {0, 2})};
                               },
                           .atol = 1e-4,
                           .rtol = 1e-4}));
  checks.push_back(parity({.op = "sum int64 / bool",
                           .shape = "[300, 70]",
                           .inputs = {randint(-1000, 1000, {300, 70}), randn({300, 70})},
                           .fn =
                               [](const Inputs& x) {
                                 const Tensor positive = gt(x[1], 0.0);
                                 return Inputs{sum(x[0]), sum(x[0], {0}), sum(x[0], {1}), sum(positive, {1})};
                               },
                           .atol = 0.0,
                           .rtol = 0.0}));
  checks.push_back(parity({.op = "amax/amin with NaN",
                           .shape = "[32, 200]",
                           .inputs = {randn_with_nans({32, 200}, {5 * 200 + 17, 20 * 200 + 199, 31 * 200})},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{amax(x[0], {1}), amin(x[0], {1}), amax(x[0], {0}), amin(x[0], {0}),
                                               argmax(x[0], 1), argmin(x[0], 0)};
                               },
                           .atol = 0.0,
                           .rtol = 0.0}));
  checks.push_back(parity({.op = "argmax(dim=1)",
                           .shape = "[128, 10]",
                           .inputs = {randn({128, 10})},
                           .fn = [](const Inputs& x) { return Inputs{argmax(x[0], 1), argmin(x[0], 1)}; },
                           .atol = 0.0,
                           .rtol = 0.0}));
  checks.push_back(parity({.op = "argmax/argmin ties",
                           .shape = "[64, 300], zeros [16, 50]",
                           .inputs = {tied_values({64, 300}, 4), zeros({16, 50})},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{argmax(x[0], 1), argmin(x[0], 1), argmax(x[0], 0), argmin(x[0], 0),
                                               argmax(x[1], 1), argmin(x[1], 0)};
                               },
                           .atol = 0.0,
                           .rtol = 0.0}));
  // One output over 2^20 elements: chunked; ties across chunks must keep the first.
  checks.push_back(parity({.op = "argmax/argmin flat ties",
                           .shape = "[1024, 1024]",
                           .fn = [](const Inputs& x) { return Inputs{argmax(x[0]), argmin(x[0]), x[0].max()}; },
                           .atol = 0.0,
                           .rtol = 0.0,
                           .make_inputs = [] { return Inputs{tied_values({1024, 1024}, 100)}; }}));
  checks.push_back(parity({.op = "max(dim) values+indices",
                           .shape = "[24, 70, 9]",
                           .inputs = {randn({24, 70, 9}, kFloat64)},
                           .fn =
                               [](const Inputs& x) {
                                 auto [values, indices] = x[0].max(1);
                                 auto [min_values, min_indices] = x[0].min(2, true);
                                 return Inputs{values, indices, min_values, min_indices};
                               },
                           .atol = 0.0,
                           .rtol = 0.0}));
}

void add_matmul_checks(std::vector<Check>& checks) {
  checks.push_back(parity({.op = "mm",
                           .shape = "[64, 128] x [128, 32]",
                           .inputs = {randn({64, 128}), randn({128, 32})},
                           .fn = [](const Inputs& x) { return Inputs{mm(x[0], x[1])}; },
                           .backward = true,
                           .atol = 1e-4,
                           .rtol = 1e-4}));
  checks.push_back(parity({.op = "mm float64",
                           .shape = "[64, 128] x [128, 32]",
                           .inputs = {randn({64, 128}, kFloat64), randn({128, 32}, kFloat64)},
                           .fn = [](const Inputs& x) { return Inputs{mm(x[0], x[1])}; },
                           .backward = true,
                           .atol = 1e-10,
                           .rtol = 1e-10}));
  checks.push_back(parity({.op = "bmm",
                           .shape = "[4, 32, 16] x [4, 16, 8]",
                           .inputs = {randn({4, 32, 16}), randn({4, 16, 8})},
                           .fn = [](const Inputs& x) { return Inputs{bmm(x[0], x[1])}; },
                           .backward = true,
                           .atol = 1e-4,
                           .rtol = 1e-4}));
  checks.push_back(parity({.op = "matmul transposed",
                           .shape = "[32, 64].t() x [32, 16], [40, 24] x [16, 24].t()",
                           .inputs = {randn({32, 64}), randn({32, 16}), randn({40, 24}), randn({16, 24})},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{matmul(x[0].t(), x[1]), matmul(x[2], x[3].t())};
                               },
                           .backward = true,
                           .atol = 1e-4,
                           .rtol = 1e-4}));
  // bfloat16 and float16 with fp32 accumulation (cublasGemmStridedBatchedEx,
  // CUBLAS_COMPUTE_32F; the CPU upcasts): the two devices sum in other orders, so results
  // may differ by one 16-bit rounding (2^-8 relative for bf16, 2^-11 for float16).
  for (const auto& precision : {std::pair{kBFloat16, 2e-2}, std::pair{kFloat16, 4e-3}}) {
    const DType dt = precision.first;
    const double tol = precision.second;
    checks.push_back(parity({.op = std::string("mm, bmm, matmul transposed ") + std::string(dtype_name(dt)),
                             .shape = "[64, 128] x [128, 32]; [4, 32, 16] x [4, 16, 8]; [32, 64].t() x [32, 16]",
                             .inputs = {randn({64, 128}, dt), randn({128, 32}, dt), randn({4, 32, 16}, dt),
                                        randn({4, 16, 8}, dt), randn({32, 64}, dt), randn({32, 16}, dt)},
                             .fn =
                                 [](const Inputs& x) {
                                   return Inputs{mm(x[0], x[1]), bmm(x[2], x[3]), matmul(x[4].t(), x[5])};
                                 },
                             .backward = true,
                             .atol = tol,
                             .rtol = tol}));
  }
  checks.push_back(parity({.op = "matmul 1-D @ 2-D",
                           .shape = "[128] x [128, 32]",
                           .inputs = {randn({128}), randn({128, 32})},
                           .fn = [](const Inputs& x) { return Inputs{matmul(x[0], x[1])}; },
                           .backward = true,
                           .atol = 1e-4,
                           .rtol = 1e-4}));
}

}  // namespace

void add_reduce_checks(std::vector<Check>& checks) {
  add_reduction_checks(checks);
  add_matmul_checks(checks);
}

}  // namespace ember::kernel_checks
