// CUDA-vs-CPU checks of the CNN layers: conv2d and conv_transpose2d (strides, padding,
// dilation, groups, no bias; float64, float32 without TF32, float32 with TF32, bfloat16), max/avg/adaptive pooling
// (odd sizes, ties), batch norm in training (running statistics compared too) and eval,
// layer norm and group norm, dropout2d and dropout inside a checkpoint (Philox masks match the CPU's), and cuDNN
// dropout's own contract (its masks differ from the CPU's: values, keep rate, backward
// with the same mask, same seed).
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "tools/kernel_checks/kernel_checks.h"

namespace ember::kernel_checks {

namespace {

namespace F = nn::functional;
using Outputs = std::vector<Tensor>;

std::string dims_name(const Dims& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s.append(i ? ", " : "").append(std::to_string(d[i]));
  return s.append("]");
}

// Sets cudnn's TF32 flag for one scope (checks run one at a time).
struct Tf32Scope {
  bool before;
  explicit Tf32Scope(bool on) : before(cudnn::allow_tf32()) { cudnn::set_allow_tf32(on); }
  ~Tf32Scope() { cudnn::set_allow_tf32(before); }
};

// The check with cudnn's TF32 flag set for its whole run (the harness runs backward after fn).
Check with_tf32(Check check, bool tf32) {
  check.run = [run = std::move(check.run), tf32] {
    Tf32Scope scope(tf32);
    return run();
  };
  return check;
}

// The convolution checks' precisions and tolerances.
struct Precision {
  DType dtype;
  bool tf32;
  double tol;
  const char* name;
};
const std::vector<Precision> precisions{{kFloat64, false, 1e-9, "float64"},
                                        {kFloat32, false, 1e-4, "float32"},
                                        {kFloat32, true, 2e-2, "float32 tf32"},
                                        {kBFloat16, false, 3e-2, "bfloat16"},   // fp32 compute, bf16 rounding
                                        {kFloat16, false, 4e-3, "float16"}};    // fp32 compute, float16 rounding

void add_conv_checks(std::vector<Check>& checks) {
  struct Case {
    Dims x, w;
    int64_t stride, padding, dilation, groups;
    bool bias;
  };
  const std::vector<Case> cases{
      {{4, 3, 9, 11}, {5, 3, 3, 3}, 1, 1, 1, 1, true},   {{3, 4, 10, 7}, {6, 2, 3, 3}, 2, 0, 1, 2, true},
      {{2, 3, 12, 12}, {4, 3, 3, 2}, 1, 2, 2, 1, false}, {{128, 1, 28, 28}, {32, 1, 3, 3}, 1, 1, 1, 1, true},
      {{16, 32, 14, 14}, {64, 32, 3, 3}, 1, 1, 1, 1, true}};
  for (const Case& c : cases)
    for (const Precision& p : precisions) {
      std::vector<Tensor> inputs;  // reserved: GCC 12 misreads a push_back past an initializer list
      inputs.reserve(3);
      inputs.push_back(randn(c.x, p.dtype));
      inputs.push_back(randn(c.w, p.dtype));
      if (c.bias) inputs.push_back(randn({c.w[0]}, p.dtype));
      const std::string shape = dims_name(c.x) + " * " + dims_name(c.w) + " s" + std::to_string(c.stride) + " p" +
                                std::to_string(c.padding) + " d" + std::to_string(c.dilation) + " g" +
                                std::to_string(c.groups) + " " + p.name;
      Check check = parity(ParitySpec{
          .op = "conv2d backward",
          .shape = shape,
          .inputs = inputs,
          .fn = [c](const Outputs& in) -> Outputs {
            return {F::conv2d(in[0], in[1], in.size() > 2 ? in[2] : Tensor(), c.stride, c.padding, c.dilation,
                              c.groups)};
          },
          .backward = true,
          .atol = p.tol,
          .rtol = p.tol,
      });
      checks.push_back(with_tf32(std::move(check), p.tf32));
    }
}

// conv_transpose2d: the same kernels the other way round (Note [Transposed convolution] in
// nn/functional/conv_transpose.cpp).
void add_conv_transpose_checks(std::vector<Check>& checks) {
  struct TransposedCase {
    Dims x, w;
    int64_t stride, padding, output_padding, groups;
  };
  const std::vector<TransposedCase> transposed{{{4, 8, 7, 7}, {8, 6, 3, 3}, 2, 1, 1, 1},
                                               {{2, 4, 5, 6}, {4, 3, 2, 3}, 3, 0, 2, 2}};
  for (const TransposedCase& c : transposed)
    for (const Precision& p : precisions) {
      Check check = parity(ParitySpec{
          .op = "conv_transpose2d backward",
          .shape = dims_name(c.x) + " * " + dims_name(c.w) + " s" + std::to_string(c.stride) + " p" +
                   std::to_string(c.padding) + " op" + std::to_string(c.output_padding) + " g" +
                   std::to_string(c.groups) + " " + p.name,
          .inputs = {randn(c.x, p.dtype), randn(c.w, p.dtype), randn({c.w[1] * c.groups}, p.dtype)},
          .fn = [c](const Outputs& in) -> Outputs {
            return {F::conv_transpose2d(in[0], in[1], in[2], c.stride, c.padding, c.output_padding, c.groups)};
          },
          .backward = true,
          .atol = p.tol,
          .rtol = p.tol,
      });
      checks.push_back(with_tf32(std::move(check), p.tf32));
    }
}

void add_pool_checks(std::vector<Check>& checks) {
  // Small integers make ties, so the first-index rule is compared too. Inputs are drawn
  // when a check runs.
  struct Case {
    std::string op;
    Dims sizes;
    DType dtype;
    std::function<Tensor(const Tensor&)> fn;
    int64_t low = 0, high = 5;  // small integers in [low, high), or normal values when low == high
  };
  const Dims odd{3, 4, 9, 11}, cnn{128, 32, 28, 28};
  const std::vector<Case> cases{
      {"max_pool2d(2) backward", cnn, kFloat32, [](const Tensor& x) { return F::max_pool2d(x, 2); }, 0, 0},
      {"max_pool2d(2) backward", odd, kFloat32, [](const Tensor& x) { return F::max_pool2d(x, 2); }},
      {"max_pool2d(3, 2, 1) backward", odd, kFloat32, [](const Tensor& x) { return F::max_pool2d(x, 3, 2, 1); }},
      {"max_pool2d({3, 2}, 1) backward", odd, kFloat64, [](const Tensor& x) { return F::max_pool2d(x, {3, 2}, 1); }},
      {"avg_pool2d(3, 2, 1) backward", odd, kFloat32, [](const Tensor& x) { return F::avg_pool2d(x, 3, 2, 1); }},
      {"avg_pool2d(2) backward", cnn, kFloat32, [](const Tensor& x) { return F::avg_pool2d(x, 2); }, 0, 0},
      {"adaptive_avg_pool2d({4, 5}) backward", odd, kFloat32,
       [](const Tensor& x) { return F::adaptive_avg_pool2d(x, {4, 5}); }},
      {"adaptive_avg_pool2d(13) backward", odd, kFloat32, [](const Tensor& x) { return F::adaptive_avg_pool2d(x, 13); }},
      // PyTorch's other options (Note [Pooling options] in nn/functional/pool.cpp)
      {"max_pool2d(3, 2, 1, dilation 2, ceil) backward", odd, kFloat32,
       [](const Tensor& x) { return F::max_pool2d(x, 3, 2, 1, 2, true); }},
      {"max_pool2d_with_indices({3, 2}, {2, 1}, {1, 0}, {1, 3}, ceil) backward", odd, kFloat32,
       [](const Tensor& x) {
         return std::get<0>(F::max_pool2d_with_indices(x, {3, 2}, {2, 1}, {1, 0}, {1, 3}, true));
       }},
      {"avg_pool2d(3, 2, 1, ceil, count_include_pad=False) backward", odd, kFloat32,
       [](const Tensor& x) { return F::avg_pool2d(x, 3, 2, 1, true, false); }},
      {"avg_pool2d(3, 2, 1, ceil, divisor_override=4) backward", odd, kFloat64,
       [](const Tensor& x) { return F::avg_pool2d(x, 3, 2, 1, true, true, 4); }},
      {"adaptive_max_pool2d({4, 5}) backward", odd, kFloat32,
       [](const Tensor& x) { return F::adaptive_max_pool2d(x, {4, 5}); }},
      {"adaptive_max_pool2d_with_indices(13) backward", odd, kFloat32,
       [](const Tensor& x) { return std::get<0>(F::adaptive_max_pool2d_with_indices(x, 13)); }},
      // more than 256 window positions: int64 window indices (Note [Compact saved activations])
      {"max_pool2d(17, 1) backward (int64 indices)", {2, 3, 18, 18}, kFloat32,
       [](const Tensor& x) { return F::max_pool2d(x, 17, 1); }},
      // ReLU's bit mask: 1001 elements (a partial last byte) with ties at 0; relu_ in NHWC
      {"relu backward (bit mask)", {7, 11, 13}, kFloat32, [](const Tensor& x) { return F::relu(x); }, -2, 3},
      {"relu_ backward, channels-last (bit masks)", odd, kFloat32,
       [](const Tensor& x) { return F::relu(mul(x.contiguous(MemoryFormat::ChannelsLast), 1.0), true); }},
      // the fused leaky_relu kernels (core/functors.h), ties at 0 take the slope
      {"leaky_relu(0.2) backward", odd, kFloat32, [](const Tensor& x) { return F::leaky_relu(x, 0.2); }, -2, 3},
      // the activations' functors (core/activation_functors.h), ties at the kinks
      {"gelu backward", odd, kFloat32, [](const Tensor& x) { return F::gelu(x); }, 0, 0},
      {"gelu(tanh) backward", odd, kFloat32, [](const Tensor& x) { return F::gelu(x, "tanh"); }, 0, 0},
      {"silu backward", odd, kFloat32, [](const Tensor& x) { return F::silu(x); }, 0, 0},
      {"elu(0.5) backward", odd, kFloat32, [](const Tensor& x) { return F::elu(x, 0.5); }, -2, 3},
      {"softplus(2, 3) backward", odd, kFloat64, [](const Tensor& x) { return F::softplus(mul(x, 0.75), 2.0, 3.0); },
       -3, 4},
      {"hardtanh backward", odd, kFloat32, [](const Tensor& x) { return F::hardtanh(x); }, -2, 3},
      {"relu6 backward", odd, kFloat32, [](const Tensor& x) { return F::relu6(mul(x, 3.0)); }, -1, 4},
      {"mish backward", odd, kFloat32, [](const Tensor& x) { return F::mish(x); }, 0, 0},
  };
  for (const Case& c : cases) {
    const auto fn = c.fn;
    const Dims sizes = c.sizes;
    const DType dtype = c.dtype;
    const int64_t low = c.low, high = c.high;
    checks.push_back(parity(ParitySpec{
        .op = c.op,
        .shape = dims_name(sizes) + (dtype == kFloat64 ? " float64" : ""),
        .fn = [fn](const Outputs& in) -> Outputs { return {fn(in[0])}; },
        .backward = true,
        .make_inputs = [=] {
          return Outputs{low < high ? randint(low, high, sizes).to(dtype) : randn(sizes, dtype)};
        },
    }));
  }
}

void add_batch_norm_checks(std::vector<Check>& checks) {
  struct Case {
    Dims x;
    DType dtype;
    bool training, affine;
    double tol;
  };
  const std::vector<Case> cases{{{5, 3, 7, 9}, kFloat32, true, true, 1e-4},    {{5, 3, 7, 9}, kFloat64, true, true, 1e-9},
                                {{16, 7}, kFloat32, true, false, 1e-4},         {{5, 3, 7, 9}, kFloat32, false, true, 1e-5},
                                {{128, 32, 28, 28}, kFloat32, true, true, 1e-3}, {{4, 6, 5}, kFloat64, false, false, 1e-9}};
  for (const Case& c : cases) {
    const int64_t C = c.x[1];
    const Dims sizes = c.x;
    const DType dtype = c.dtype;
    const bool affine = c.affine;
    // Running statistics made inside fn (on the input's device) and returned, so the
    // update is compared; they do not require grad.
    const Tensor mean0 = randn({C}) * 0.1, var0 = rand({C}) + 0.5;
    const bool training = c.training;
    checks.push_back(parity(ParitySpec{
        .op = std::string("batch_norm(") + (training ? "train" : "eval") + (c.affine ? "" : ", no affine") +
              ") backward",
        .shape = dims_name(c.x) + (c.dtype == kFloat64 ? " float64" : ""),
        .fn = [mean0, var0, training](const Outputs& in) -> Outputs {
          const Tensor rm = mean0.to(in[0].device()).clone(), rv = var0.to(in[0].device()).clone();
          const Tensor y = F::batch_norm(in[0], rm, rv, in.size() > 1 ? in[1] : Tensor(),
                                         in.size() > 2 ? in[2] : Tensor(), training, 0.1, 1e-5);
          return {y, rm, rv};
        },
        .backward = true,
        .atol = c.tol,
        .rtol = c.tol,
        .make_inputs = [=] {
          Outputs inputs{randn(sizes, dtype) * 2.0 + 0.5};
          if (affine) inputs.push_back(rand({C}, dtype) + 0.5), inputs.push_back(randn({C}, dtype));
          return inputs;
        },
    }));
  }
}

void add_norm_checks(std::vector<Check>& checks) {
  // layer_norm over the last dim (warp rows and block rows) and group_norm, with affine
  // parameters; gradients of x, weight and bias compared too.
  checks.push_back(parity(ParitySpec{
      .op = "layer_norm backward",
      .shape = "[64, 33, 768]",
      .fn = [](const Outputs& in) -> Outputs { return {F::layer_norm(in[0], {768}, in[1], in[2])}; },
      .backward = true,
      .atol = 1e-3,
      .rtol = 1e-3,
      .make_inputs = [] { return Outputs{randn({64, 33, 768}) * 2.0 + 3.0, rand({768}) + 0.5, randn({768})}; },
  }));
  checks.push_back(parity(ParitySpec{
      .op = "group_norm(8 groups) backward",
      .shape = "[16, 64, 14, 14]",
      .fn = [](const Outputs& in) -> Outputs { return {F::group_norm(in[0], 8, in[1], in[2])}; },
      .backward = true,
      .atol = 1e-3,
      .rtol = 1e-3,
      .make_inputs = [] { return Outputs{randn({16, 64, 14, 14}) * 2.0 + 3.0, rand({64}) + 0.5, randn({64})}; },
  }));
}

void add_dropout_checks(std::vector<Check>& checks) {
  checks.push_back(parity(ParitySpec{
      .op = "dropout2d(0.3) backward (Philox mask)",
      .shape = "[8, 16, 5, 7]",
      .inputs = {randn({8, 16, 5, 7})},
      .fn = [](const Outputs& in) -> Outputs {
        manual_seed(123);
        return {F::dropout2d(in[0], 0.3, true)};
      },
      .backward = true,
  }));
  // Inside a checkpoint element dropout draws ember's Philox mask (the CPU's), which the
  // recomputation for backward draws again (Note [Activation checkpointing]).
  checks.push_back(parity(ParitySpec{
      .op = "dropout(0.3) in a checkpoint, backward (Philox mask, recomputed)",
      .shape = "[64, 33]",
      .inputs = {randn({64, 33})},
      .fn = [](const Outputs& in) -> Outputs {
        manual_seed(321);
        return {utils::checkpoint([](const Tensor& t) { return F::dropout(t * 2.0, 0.3, true); }, in[0])};
      },
      .backward = true,
  }));
  checks.push_back(Check{
      .op = "dropout(0.3) cuDNN: y in {0, x/0.7}, keep rate, backward mask, same seed",
      .shape = "[256, 1000]",
      .tolerance = 1e-6,
      .run =
          [] {
            CheckResult result;
            const Tensor x_cpu = randn({256, 1000});
            const Tensor x = x_cpu.cuda().requires_grad_(true);
            manual_seed(7);
            const Tensor y = F::dropout(x, 0.3, true);
            manual_seed(7);
            const Tensor again = F::dropout(x.detach(), 0.3, true);
            y.sum().backward();
            const std::vector<float> xs = x_cpu.to_vector<float>(), ys = y.detach().cpu().to_vector<float>(),
                                     gs = x.grad().cpu().to_vector<float>(), as = again.cpu().to_vector<float>();
            int64_t kept = 0;
            for (size_t i = 0; i < xs.size(); ++i) {
              const bool keep = ys[i] != 0.0f;
              kept += keep;
              const float want = keep ? xs[i] / 0.7f : 0.0f;
              const double err = std::fabs(static_cast<double>(ys[i]) - want);
              result.max_error = std::max(result.max_error, err);
              if (err > 1e-6 * (1 + std::fabs(want))) result.detail = "an output is neither 0 nor x / (1 - p); ";
              if (std::fabs(gs[i] - (keep ? 1.0f / 0.7f : 0.0f)) > 1e-6f) result.detail += "backward used another mask; ";
              if (as[i] != ys[i]) result.detail += "the same seed gave another mask; ";
              if (!result.detail.empty()) break;
            }
            const double rate = static_cast<double>(kept) / static_cast<double>(xs.size());
            if (std::fabs(rate - 0.7) > 0.01) result.detail += "keep rate " + std::to_string(rate) + ", expected 0.7; ";
            result.passed = result.detail.empty();
            return result;
          },
  });
}

}  // namespace

void add_layer_checks(std::vector<Check>& checks) {
  add_conv_checks(checks);
  add_conv_transpose_checks(checks);
  add_pool_checks(checks);
  add_batch_norm_checks(checks);
  add_norm_checks(checks);
  add_dropout_checks(checks);
}

}  // namespace ember::kernel_checks
