// The elementwise and reduction op kinds named by the device kernels (core/dispatch.h)
// and by the shared math functors (core/functors.h). Plain enums, no tensor headers,
// so CUDA sources can include it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <iterator>

namespace ember {

enum class UnaryOp : uint8_t { Neg, Exp, Log, Sqrt, Abs, Relu, Sigmoid, Tanh, PowScalar, Clamp };
enum class BinaryOp : uint8_t { Add, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge };
enum class ReduceOp : uint8_t { Sum, Mean, Max, Min };
enum class ArgReduceOp : uint8_t { ArgMax, ArgMin };

constexpr bool is_comparison(BinaryOp op) { return op >= BinaryOp::Eq; }

// Lower-case names for messages and kernel tables ("neg", "pow_scalar", "add", "ge").
constexpr const char* op_name(UnaryOp op) {
  constexpr const char* kNames[] = {"neg", "exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "pow_scalar", "clamp"};
  return static_cast<size_t>(op) < std::size(kNames) ? kNames[static_cast<size_t>(op)] : "unknown";
}
constexpr const char* op_name(BinaryOp op) {
  constexpr const char* kNames[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum",
                                    "eq",  "ne",  "lt",  "le",  "gt",  "ge"};
  return static_cast<size_t>(op) < std::size(kNames) ? kNames[static_cast<size_t>(op)] : "unknown";
}

// Extra operands of unary ops: PowScalar uses p0 (exponent); Clamp uses p0 = min,
// p1 = max, each only when its has_ flag is set.
struct UnaryArgs {
  double p0 = 0.0, p1 = 0.0;
  bool has_p0 = false, has_p1 = false;
};

}  // namespace ember
