// Kernel checks of the elementwise family: unary and binary math (broadcast, with
// backward), comparisons, scalar operands, where, copies with dtype conversion and
// strided layouts, fill, the vectorised and misaligned contiguous paths, and rand/randn
// drawing the same numbers on CUDA as on the CPU after the same manual_seed.
#include <cstdint>
#include <limits>
#include <vector>

#include "tools/kernel_checks/kernel_checks.h"

namespace ember::kernel_checks {
namespace {

using Inputs = std::vector<Tensor>;

// Uniform in [lo, hi): inputs kept away from the poles of log, sqrt, div.
Tensor uniform_in(const Dims& sizes, double lo, double hi, DType dtype = kFloat32) {
  return (rand(sizes, dtype) * (hi - lo) + lo);
}

// Small integers as floats: comparisons meet many exact ties.
Tensor small_integers(const Dims& sizes, int64_t lo, int64_t hi, DType dtype = kFloat32) {
  return randint(lo, hi, sizes).to(dtype);
}

void add_unary_checks(std::vector<Check>& checks) {
  checks.push_back(parity({.op = "neg, abs, relu",
                           .shape = "[64, 128]",
                           .inputs = {randn({64, 128})},
                           .fn = [](const Inputs& x) { return Inputs{neg(x[0]), abs(x[0]), relu(x[0])}; },
                           .backward = true,
                           .atol = 0,
                           .rtol = 0}));
  checks.push_back(parity({.op = "exp, sigmoid, tanh",
                           .shape = "[64, 128]",
                           .inputs = {randn({64, 128})},
                           .fn = [](const Inputs& x) { return Inputs{exp(x[0]), sigmoid(x[0]), tanh(x[0])}; },
                           .backward = true}));
  checks.push_back(parity({.op = "log, sqrt",
                           .shape = "[64, 128] in [0.1, 4)",
                           .inputs = {uniform_in({64, 128}, 0.1, 4.0)},
                           .fn = [](const Inputs& x) { return Inputs{log(x[0]), sqrt(x[0])}; },
                           .backward = true}));
  checks.push_back(parity({.op = "pow(scalar) 2, 0.5, 3, 1.7",
                           .shape = "[33, 65] in [0.1, 3)",
                           .inputs = {uniform_in({33, 65}, 0.1, 3.0)},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{pow(x[0], 2.0), pow(x[0], 0.5), pow(x[0], 3.0), pow(x[0], 1.7)};
                               },
                           .backward = true}));
  checks.push_back(parity({.op = "clamp(-0.5, 0.5), clamp(min=0.2)",
                           .shape = "[64, 128] float64",
                           .inputs = {randn({64, 128}, kFloat64)},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{clamp(x[0], -0.5, 0.5), clamp(x[0], 0.2, std::nullopt)};
                               },
                           .backward = true,
                           .atol = 0,
                           .rtol = 0}));
  // core/special_functors.h: the CPU's and the GPU's threads run the same double math.
  checks.push_back(parity({.op = "erfinv, digamma, lgamma, erfc",
                           .shape = "[64, 128] in [-0.99, 0.99), float64",
                           .inputs = {uniform_in({64, 128}, -0.99, 0.99, kFloat64)},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{erfinv(x[0]), digamma(x[0] + 2.0), lgamma(x[0] + 3.0), erfc(x[0])};
                               },
                           .backward = true,
                           .atol = 1e-13,
                           .rtol = 1e-13}));
  // core/bessel_normal_functions.h: torch.special's kernels, both sides of their switch points.
  checks.push_back(parity({.op = "special i0e, i1, erfcx, ndtri, log_ndtr",
                           .shape = "[64, 128] in [-0.99, 0.99), float64",
                           .inputs = {uniform_in({64, 128}, -0.99, 0.99, kFloat64)},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{special::i0e(x[0] * 40.0), special::i1(x[0] * 25.0),
                                               special::erfcx(x[0] * 9.0), special::ndtri(x[0] * 0.5 + 0.5),
                                               special::log_ndtr(x[0] * 30.0)};
                               },
                           .backward = true,
                           .atol = 1e-13,
                           .rtol = 1e-12}));
}

void add_binary_checks(std::vector<Check>& checks) {
  checks.push_back(parity({.op = "add, sub(alpha=2.5), mul",
                           .shape = "[64, 128] op [128]",
                           .inputs = {randn({64, 128}), randn({128})},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{add(x[0], x[1]), sub(x[0], x[1], 2.5), mul(x[0], x[1])};
                               },
                           .backward = true}));
  checks.push_back(parity({.op = "div, pow",
                           .shape = "[32, 1, 16] op [1, 8, 16]",
                           .inputs = {uniform_in({32, 1, 16}, 0.5, 2.0), uniform_in({1, 8, 16}, 0.5, 2.0)},
                           .fn = [](const Inputs& x) { return Inputs{div(x[0], x[1]), pow(x[0], x[1])}; },
                           .backward = true}));
  checks.push_back(parity({.op = "div floor/trunc (float32, int64, scalar)",
                           .shape = "[32, 1, 16] op [1, 8, 16]",
                           .inputs = {randn({32, 1, 16}) * 10.0, randn({1, 8, 16}), randint(-50, 50, {32, 1, 16}),
                                      randint(1, 9, {1, 8, 16}) * (randint(0, 2, {1, 8, 16}) * 2 - 1)},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{div(x[0], x[1], "floor"), div(x[0], x[1], "trunc"),
                                               div(x[2], x[3], "floor"), div(x[2], x[3], "trunc"),
                                               floor_divide(x[0], -0.75)};
                               },
                           .atol = 0,
                           .rtol = 0}));
  checks.push_back(parity({.op = "maximum, minimum",
                           .shape = "[32, 1, 16] op [1, 8, 16]",
                           .inputs = {randn({32, 1, 16}), randn({1, 8, 16})},
                           .fn = [](const Inputs& x) { return Inputs{maximum(x[0], x[1]), minimum(x[0], x[1])}; },
                           .backward = true,
                           .atol = 0,
                           .rtol = 0}));
  checks.push_back(parity({.op = "hypot, copysign, logaddexp, logaddexp2",
                           .shape = "[32, 1, 16] op [1, 8, 16]",
                           .inputs = {randn({32, 1, 16}), randn({1, 8, 16})},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{hypot(x[0], x[1]), copysign(x[0], x[1]), logaddexp(x[0], x[1]),
                                               logaddexp2(x[0], x[1])};
                               },
                           .backward = true}));
  checks.push_back(parity({.op = "scalar + x, 2 - x, 3 / x, x * 0.5, x - 1",
                           .shape = "[40, 50] float64",
                           .inputs = {uniform_in({40, 50}, 0.5, 2.0, kFloat64)},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{1.5 + x[0], 2.0 - x[0], 3.0 / x[0], x[0] * 0.5, x[0] - 1.0};
                               },
                           .backward = true,
                           .atol = 1e-12,
                           .rtol = 1e-12}));
  // A [1] operand expands to all-zero strides: the broadcast-value flat path.
  checks.push_back(parity({.op = "add, mul with a broadcast value",
                           .shape = "[1000, 37] op [1]",
                           .inputs = {randn({1000, 37}), randn({1})},
                           .fn = [](const Inputs& x) { return Inputs{add(x[0], x[1]), mul(x[1], x[0])}; },
                           .backward = true,
                           .atol = 1e-4,
                           .rtol = 1e-5}));
  checks.push_back(parity({.op = "int64 add/sub/mul, pow(3), uint8 add (wraps)",
                           .shape = "[50, 60] op [60]",
                           .inputs = {randint(-1000, 1000, {50, 60}), randint(-1000, 1000, {60}),
                                      randint(0, 256, {50, 60}, kUInt8)},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{add(x[0], x[1]), sub(x[0], x[1], 3), mul(x[0], x[1]), pow(x[0], 3),
                                               add(x[2], x[2])};
                               },
                           .atol = 0,
                           .rtol = 0}));
  // Shift counts from -2 to 70 reach PyTorch's out-of-range rules (0 to the left, the sign
  // to the right); uint8 counts from 0 to 9.
  checks.push_back(parity(
      {.op = "int64/uint8 bitwise and/or/xor/not, << >> (tensor and scalar)",
       .shape = "[40, 1, 9] op [1, 6, 9]",
       .inputs = {randint(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), {40, 1, 9}),
                  randint(-2, 70, {1, 6, 9}), randint(0, 256, {40, 1, 9}, kUInt8), randint(0, 10, {1, 6, 9}, kUInt8)},
       .fn =
           [](const Inputs& x) {
             return Inputs{x[0] & x[1],  x[0] | x[1],  x[0] ^ x[1], ~x[0],       x[0] << x[1], x[0] >> x[1],
                           x[2] << x[3], x[2] >> x[3], ~x[2],       x[2] & 0x0f, x[0] >> 3};
           },
       .atol = 0,
       .rtol = 0}));
}

void add_comparison_checks(std::vector<Check>& checks) {
  checks.push_back(parity({.op = "eq, ne, lt, le, gt, ge float32",
                           .shape = "[64, 128] op [128]",
                           .inputs = {small_integers({64, 128}, 0, 4), small_integers({128}, 0, 4)},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{eq(x[0], x[1]), ne(x[0], x[1]), lt(x[0], x[1]),
                                               le(x[0], x[1]), gt(x[0], x[1]), ge(x[0], x[1])};
                               },
                           .atol = 0,
                           .rtol = 0}));
  checks.push_back(parity({.op = "eq, lt, ge int64 (tensor and scalar)",
                           .shape = "[31, 1, 7] op [1, 5, 7]",
                           .inputs = {randint(-3, 3, {31, 1, 7}), randint(-3, 3, {1, 5, 7})},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{eq(x[0], x[1]), lt(x[0], x[1]), ge(x[0], x[1]), lt(x[0], 1),
                                               ge(x[1], -1)};
                               },
                           .atol = 0,
                           .rtol = 0}));
}

void add_where_copy_fill_checks(std::vector<Check>& checks) {
  checks.push_back(parity({.op = "where",
                           .shape = "[64, 1] ? [64, 128] : [128]",
                           .inputs = {randn({64, 1}), randn({64, 128}), randn({128})},
                           .fn =
                               [](const Inputs& x) {
                                 const Tensor cond = gt(x[0], 0.0);
                                 return Inputs{where(cond, x[1], x[2]), where(cond, 2.5, x[1])};
                               },
                           .backward = true,
                           .atol = 0,
                           .rtol = 0}));
  checks.push_back(parity({.op = "copy of transpose / permute",
                           .shape = "[96, 80].t(), [6, 7, 8].permute(2, 0, 1)",
                           .inputs = {randn({96, 80}), randn({6, 7, 8}, kFloat64)},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{x[0].t().contiguous(), x[1].permute({2, 0, 1}).contiguous()};
                               },
                           .backward = true,
                           .atol = 0,
                           .rtol = 0}));
  checks.push_back(parity({.op = "to(dtype): f32->f64, f32->i64, i64->f32, ->bool, u8->f64",
                           .shape = "[45, 77]",
                           .inputs = {randn({45, 77}) * 100.0, randint(-5000, 5000, {45, 77}),
                                      small_integers({45, 77}, -2, 3), randint(0, 256, {45, 77}, kUInt8)},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{x[0].to(kFloat64), x[0].to(kInt64), x[1].to(kFloat32),
                                               x[2].to(kBool),    x[1].to(kBool),  x[3].to(kFloat64),
                                               x[0].t().to(kFloat64)};
                               },
                           .atol = 0,
                           .rtol = 0}));
  // bfloat16 (Note [BFloat16]) and float16 (Note [Float16]): casts both ways round to
  // nearest even on both devices, and add/mul compute in float and round once, so results
  // are bit-identical; exp's float results may differ by an ulp between libm and CUDA, then
  // by one 16-bit rounding (2^-8 relative for bf16, 2^-11 for float16).
  struct Narrow {
    DType dtype;
    const char* name;
    const char* short_name;
    double rtol;
  };
  for (const Narrow& n : {Narrow{kBFloat16, "bfloat16", "bf16", 8e-3}, Narrow{kFloat16, "float16", "f16", 1e-3}}) {
    const DType dt = n.dtype;
    checks.push_back(parity({.op = std::string(n.name) + ": to(" + n.short_name +
                                   ") from f32/f64/i64, back to f32/i64/bool; add, mul, gt, full",
                             .shape = "[45, 77]",
                             .inputs = {randn({45, 77}) * 100.0, randn({45, 77}, kFloat64),
                                        randint(-5000, 5000, {45, 77})},
                             .fn =
                                 [dt](const Inputs& x) {
                                   const Tensor h = x[0].to(dt), g = x[1].to(dt);
                                   return Inputs{h, g, x[2].to(dt), h.to(kFloat32), h.to(kInt64), h.to(kBool),
                                                 h.t().to(kFloat64), add(h, g), mul(h, 0.5), gt(h, g),
                                                 full({3, 5}, 0.1, TensorOptions(dt).device(x[0].device()))};
                                 },
                             .atol = 0,
                             .rtol = 0}));
    checks.push_back(parity({.op = std::string(n.name) + ": exp, sigmoid, relu (computed in float)",
                             .shape = "[45, 77]",
                             .inputs = {randn({45, 77}, dt)},
                             .fn = [](const Inputs& x) { return Inputs{exp(x[0]), sigmoid(x[0]), relu(x[0])}; },
                             .backward = true,
                             .atol = 1e-6,
                             .rtol = n.rtol}));
  }
  checks.push_back(parity({.op = "full, fill_ and zero_ of strided views",
                           .shape = "[37, 129]",
                           .inputs = {randn({37, 129})},
                           .fn =
                               [](const Inputs& x) {
                                 const Device device = x[0].device();
                                 Tensor y = x[0].detach().clone();
                                 y.narrow(1, 3, 50).fill_(7.25);
                                 y.t().narrow(1, 5, 4).zero_();
                                 return Inputs{full({37, 129}, 3.25, device), full({5, 3}, -9, TensorOptions().dtype(kInt64).device(device)),
                                               full({17}, true, TensorOptions().dtype(kBool).device(device)), y};
                               },
                           .atol = 0,
                           .rtol = 0}));
}

void add_large_and_misaligned_checks(std::vector<Check>& checks) {
  checks.push_back(parity({.op = "add, mul(scalar) large contiguous",
                           .shape = "[4194304]",
                           .fn = [](const Inputs& x) { return Inputs{add(x[0], x[1]), mul(x[0], 3.0)}; },
                           .atol = 1e-6,
                           .rtol = 1e-6,
                           .make_inputs = [] { return Inputs{randn({1 << 22}), randn({1 << 22})}; }}));
  // Views starting one element in: pointers not 16-byte aligned, odd lengths (and the
  // aligned whole tensor: vectorised with a 3-element tail).
  checks.push_back(parity({.op = "add, exp, to(f32) misaligned (narrow at offset 1); odd length",
                           .shape = "[1048579].narrow(0, 1, 1048577)",
                           .fn =
                               [](const Inputs& x) {
                                 const Tensor a = x[0].narrow(0, 1, 1048577);
                                 const Tensor b = x[0].narrow(0, 2, 1048577);
                                 const Tensor d = x[1].narrow(0, 1, 1048577);
                                 return Inputs{add(a, b), add(x[0], x[0]), d.exp(), d.to(kFloat32)};
                               },
                           .atol = 1e-6,
                           .rtol = 1e-6,
                           .make_inputs = [] { return Inputs{randn({1048579}), randn({1048579}, kFloat64)}; }}));
  checks.push_back(parity({.op = "sub, gt strided rows (int32 offsets)",
                           .shape = "[2048, 2049].t() op [2049, 1]",
                           .fn =
                               [](const Inputs& x) {
                                 const Tensor a = x[0].t();
                                 return Inputs{sub(a, x[1]), gt(a, x[1])};
                               },
                           .atol = 1e-6,
                           .rtol = 1e-6,
                           .make_inputs = [] { return Inputs{randn({2048, 2049}), randn({2049, 1})}; }}));
}

// rand/randn drawn on the inputs' device after manual_seed (a small first draw moves
// the Philox counter off 0).
void add_random_checks(std::vector<Check>& checks) {
  checks.push_back(parity({.op = "rand (bit-identical)",
                           .shape = "[1000003] float32, [4099] float64",
                           .inputs = {zeros({1})},
                           .fn =
                               [](const Inputs& x) {
                                 const Device device = x[0].device();
                                 manual_seed(20240607);
                                 const Tensor first = rand({5}, device);
                                 const Tensor big = rand({1000003}, device);
                                 const Tensor wide = rand({4099}, TensorOptions().dtype(kFloat64).device(device));
                                 return Inputs{first, big, wide};
                               },
                           .atol = 0,
                           .rtol = 0}));
  checks.push_back(parity({.op = "randn",
                           .shape = "[1000003] float32, [4099] float64",
                           .inputs = {zeros({1})},
                           .fn =
                               [](const Inputs& x) {
                                 const Device device = x[0].device();
                                 manual_seed(7);
                                 const Tensor first = randn({3}, device);
                                 const Tensor big = randn({1000003}, device);
                                 const Tensor wide = randn({4099}, TensorOptions().dtype(kFloat64).device(device));
                                 return Inputs{first, big, wide};
                               },
                           .atol = 1e-6,
                           .rtol = 1e-6}));
}

}  // namespace

void add_elementwise_checks(std::vector<Check>& checks) {
  add_unary_checks(checks);
  add_binary_checks(checks);
  add_comparison_checks(checks);
  add_where_copy_fill_checks(checks);
  add_large_and_misaligned_checks(checks);
  add_random_checks(checks);
}

}  // namespace ember::kernel_checks
