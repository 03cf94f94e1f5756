// CUDA-vs-CPU kernel checks shared by `ember kernels` (tools/) and the cuda-labelled
// tests (tests/cuda/test_kernel_checks.cpp): each check runs an op (and its backward)
// on CPU tensors and on their CUDA copies and compares the results within tolerances.
// One file per op family adds its checks (elementwise_checks.cpp, ...).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <ember/ember.h>

namespace ember::kernel_checks {

struct CheckResult {
  double max_error = 0.0;  // max |cuda - cpu| over every compared tensor
  bool passed = false;
  std::string detail;  // what failed, empty when passed
};

struct Check {
  std::string op;     // "add", "sum(dim=1)", "cross_entropy backward"
  std::string shape;  // "[64, 128] + [128]"
  double tolerance;   // the atol (and rtol) it is judged by, for the table
  std::function<CheckResult()> run;  // needs a CUDA device
};

// A parity check: fn runs once on `inputs` (CPU) and once on their CUDA copies; every
// output must match within atol + rtol * |cpu|. With backward, floating inputs require
// grad, sum(out_k * w_k) over floating outputs (w fixed random) is backpropagated and
// the inputs' gradients must match too. NaN must match NaN; dtypes and shapes exactly.
struct ParitySpec {
  std::string op;
  std::string shape;
  std::vector<Tensor> inputs = {};
  std::function<std::vector<Tensor>(const std::vector<Tensor>&)> fn;
  bool backward = false;
  double atol = 1e-5;
  double rtol = 1e-5;
  // Instead of `inputs` (for the large ones): drawn when the check runs, from a seed of
  // its own (op and shape), so that a process that lists or skips the checks (every cuda
  // test without a GPU) does not draw them, and a check draws the same inputs alone or in a table.
  std::function<std::vector<Tensor>()> make_inputs = nullptr;
  // Inputs (by index) that stay constants under `backward`, as PyTorch requires of some
  // (nll_loss's class weight: "not differentiable with respect to argument 'weight'").
  std::vector<size_t> constant_inputs = {};
};
Check parity(ParitySpec spec);

// Compares one CUDA result with its CPU reference (accumulates into result).
void compare(const std::string& what, const Tensor& got, const Tensor& expected, double atol, double rtol,
             CheckResult& result);

// A check of bad input a CUDA kernel reports through the device error word: `bad` must
// not throw at the launch but by the next synchronising point, with an ember::Error
// containing `phrase`; `good` (a valid call) must then run without an error.
Check deferred_error_check(std::string op, std::string shape, std::string phrase, std::function<void()> bad,
                           std::function<void()> good);

// Every check, in table order.
std::vector<Check> all_checks();

// The families (one file each).
void add_runtime_checks(std::vector<Check>& checks);      // copies, allocator, streams (runtime_checks.cpp)
void add_elementwise_checks(std::vector<Check>& checks);  // unary/binary/where/copy/fill/random (elementwise_checks.cpp)
void add_reduce_checks(std::vector<Check>& checks);       // sum/mean/amax/amin/argmax/matmul (reduce_checks.cpp)
void add_statistics_checks(std::vector<Check>& checks);   // var/std, prod, logsumexp, norms, scans (statistics_checks.cpp)
void add_indexing_checks(std::vector<Check>& checks);     // index_select and its gradient (indexing_checks.cpp)
void add_gather_sort_checks(std::vector<Check>& checks);  // gather/scatter/sort/topk (gather_sort_checks.cpp)
void add_nn_checks(std::vector<Check>& checks);           // softmax, losses, optimizers (nn_checks.cpp)
void add_layer_checks(std::vector<Check>& checks);        // conv, pooling, batch/layer/group norm, dropout (layer_checks.cpp)

}  // namespace ember::kernel_checks
