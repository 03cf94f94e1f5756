// The parity harness of the kernel checks: runs an op on CPU tensors and on their
// CUDA copies (and both backwards) and compares every result; all_checks() lists the
// families in table order.
#include "tools/kernel_checks/kernel_checks.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace ember::kernel_checks {

namespace {

// The CUDA copy of a CPU input, keeping its dtype (leaf; requires grad when asked).
Tensor device_copy(const Tensor& t, Device device, bool grad) {
  Tensor c = t.to(device).detach();
  if (grad) c.requires_grad_(true);
  return c;
}

// Fixed weights in [-1, 1] for the scalar that backward starts from:
// sum_k sum(out_k * w_k), so every output element gets its own gradient.
Tensor weights_like(const Tensor& out, size_t salt) {
  std::vector<double> w(static_cast<size_t>(out.numel()));
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::sin(0.7548776662466927 * static_cast<double>(i) + 0.5698 * static_cast<double>(salt + 1));
  return tensor(w, out.sizes(), TensorOptions(out.dtype()));
}

}  // namespace

void compare(const std::string& what, const Tensor& got, const Tensor& expected, double atol, double rtol,
             CheckResult& result) {
  auto fail = [&](const std::string& why) {
    result.passed = false;
    if (!result.detail.empty()) result.detail += "; ";
    result.detail += what + ": " + why;
  };
  if (got.defined() != expected.defined()) return fail(got.defined() ? "unexpected tensor" : "missing tensor");
  if (!got.defined()) return;
  if (got.sizes() != expected.sizes()) {
    std::ostringstream os;
    os << "shape " << got.sizes() << " vs " << expected.sizes();
    return fail(os.str());
  }
  if (got.dtype() != expected.dtype())
    return fail(std::string("dtype ") + std::string(dtype_name(got.dtype())) + " vs " + std::string(dtype_name(expected.dtype())));
  const std::vector<double> g = got.to(Device::cpu()).to(kFloat64).to_vector<double>();
  const std::vector<double> e = expected.to(Device::cpu()).to(kFloat64).to_vector<double>();
  int64_t bad = 0, first_bad = -1;
  for (size_t i = 0; i < g.size(); ++i) {
    const bool g_nan = std::isnan(g[i]), e_nan = std::isnan(e[i]);
    double err = 0.0;
    bool ok = true;
    if (g_nan || e_nan) {
      ok = g_nan == e_nan;
      err = ok ? 0.0 : INFINITY;
    } else if (std::isinf(e[i]) || std::isinf(g[i])) {
      ok = g[i] == e[i];
      err = ok ? 0.0 : INFINITY;
    } else {
      err = std::abs(g[i] - e[i]);
      ok = err <= atol + rtol * std::abs(e[i]);
    }
    result.max_error = std::max(result.max_error, err);
    if (!ok && bad++ == 0) first_bad = static_cast<int64_t>(i);
  }
  if (bad > 0) {
    std::ostringstream os;
    os << bad << " of " << g.size() << " elements differ; first at " << first_bad << ": cuda " << g[first_bad]
       << " vs cpu " << e[first_bad];
    fail(os.str());
  }
}

// spec.make_inputs() after seeding the generator from the check's op and shape (FNV-1a).
std::vector<Tensor> drawn_inputs(const ParitySpec& spec) {
  uint64_t seed = 1469598103934665603ull;
  for (const char c : spec.op + "|" + spec.shape) seed = (seed ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  manual_seed(seed >> 1);
  return spec.make_inputs();
}

Check parity(ParitySpec spec) {
  Check check{spec.op, spec.shape, spec.atol, nullptr};
  check.run = [spec = std::move(spec)]() {
    CheckResult result;
    result.passed = true;
    const Device gpu = Device::cuda(0);
    std::vector<Tensor> cpu_in, gpu_in;
    const std::vector<Tensor> inputs = spec.make_inputs ? drawn_inputs(spec) : spec.inputs;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Tensor& t = inputs[i];
      const bool constant = std::ranges::find(spec.constant_inputs, i) != spec.constant_inputs.end();
      const bool grad = spec.backward && t.is_floating_point() && !constant;
      cpu_in.push_back(grad ? t.detach().requires_grad_(true) : t);
      gpu_in.push_back(device_copy(t, gpu, grad));
    }
    std::vector<Tensor> cpu_out, gpu_out;
    if (spec.backward) {
      cpu_out = spec.fn(cpu_in);
      gpu_out = spec.fn(gpu_in);
    } else {
      NoGradGuard no_grad;
      cpu_out = spec.fn(cpu_in);
      gpu_out = spec.fn(gpu_in);
    }
    if (cpu_out.size() != gpu_out.size()) {
      result.passed = false;
      result.detail = "the op returned a different number of outputs on each device";
      return result;
    }
    for (size_t k = 0; k < cpu_out.size(); ++k) {
      if (gpu_out[k].defined() && !gpu_out[k].is_cuda()) {
        result.passed = false;
        result.detail = "output " + std::to_string(k) + " is not on the CUDA device";
        return result;
      }
      compare("output " + std::to_string(k), gpu_out[k], cpu_out[k], spec.atol, spec.rtol, result);
    }
    if (spec.backward) {
      Tensor cpu_loss, gpu_loss;
      for (size_t k = 0; k < cpu_out.size(); ++k) {
        if (!cpu_out[k].defined() || !cpu_out[k].is_floating_point() || !cpu_out[k].requires_grad()) continue;
        const Tensor w = weights_like(cpu_out[k], k);
        const Tensor term_cpu = (cpu_out[k] * w).sum();
        const Tensor term_gpu = (gpu_out[k] * w.to(gpu)).sum();
        cpu_loss = cpu_loss.defined() ? cpu_loss + term_cpu : term_cpu;
        gpu_loss = gpu_loss.defined() ? gpu_loss + term_gpu : term_gpu;
      }
      if (cpu_loss.defined()) {
        cpu_loss.backward();
        gpu_loss.backward();
        for (size_t i = 0; i < cpu_in.size(); ++i) {
          if (!cpu_in[i].requires_grad()) continue;
          compare("grad of input " + std::to_string(i), gpu_in[i].grad(), cpu_in[i].grad(), spec.atol * 10,
                  spec.rtol * 10, result);
        }
      }
    }
    return result;
  };
  return check;
}

Check deferred_error_check(std::string op, std::string shape, std::string phrase, std::function<void()> bad,
                           std::function<void()> good) {
  Check check{std::move(op), std::move(shape), 0.0, nullptr};
  check.run = [phrase = std::move(phrase), bad = std::move(bad), good = std::move(good), what = check.op] {
    CheckResult result;
    std::string message;
    try {
      bad();
    } catch (const Error& e) {  // a kernel's error must not need a synchronisation at the launch
      result.detail = std::string("the launch itself threw: ") + e.what();
      return result;
    }
    try {
      cuda::synchronize();
    } catch (const Error& e) {
      message = e.what();
    }
    result.passed = message.find(phrase) != std::string::npos;
    if (!result.passed) {
      result.detail = message.empty() ? std::string("no error was thrown")
                                      : std::string("unexpected error: ").append(message);
      return result;
    }
    try {  // the error was consumed: later work on the device is unaffected
      good();
      cuda::synchronize();
    } catch (const Error& e) {
      result.passed = false;
      result.detail = std::string("a later, valid call after \"") + what + "\" threw: " + e.what();
    }
    return result;
  };
  return check;
}

std::vector<Check> all_checks() {
  std::vector<Check> checks;
  add_runtime_checks(checks);
  add_elementwise_checks(checks);
  add_reduce_checks(checks);
  add_statistics_checks(checks);
  add_indexing_checks(checks);
  add_gather_sort_checks(checks);
  add_nn_checks(checks);
  add_layer_checks(checks);
  return checks;
}

}  // namespace ember::kernel_checks
