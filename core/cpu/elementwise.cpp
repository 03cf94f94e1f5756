// STUB (being written): CPU elementwise kernels.
#include "core/cpu/kernels.h"
namespace ember::cpu {
void unary(UnaryOp, const Tensor&, const Tensor&, const UnaryArgs&) { EMBER_FAIL("not implemented yet"); }
void binary(BinaryOp, const Tensor&, const Tensor&, const Tensor&, const Scalar&) { EMBER_FAIL("not implemented yet"); }
void binary_scalar(BinaryOp, const Tensor&, const Scalar&, bool, const Tensor&) { EMBER_FAIL("not implemented yet"); }
void where(const Tensor&, const Tensor&, const Tensor&, const Tensor&) { EMBER_FAIL("not implemented yet"); }
void copy(const Tensor&, const Tensor&) { EMBER_FAIL("not implemented yet"); }
void fill(const Tensor&, const Scalar&) { EMBER_FAIL("not implemented yet"); }
}  // namespace ember::cpu
