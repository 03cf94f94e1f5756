// all/any, the bitwise operators of bool tensors (~ & | ^) and masked_fill. all, any
// and the bitwise ops give bool (or uint8) results and are never recorded; masked_fill
// is where(mask, value, self), so its gradient is where's.
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {

Tensor all(const Tensor& a) { return native::all(a); }
Tensor all(const Tensor& a, int64_t dim, bool keepdim) { return native::all(a, dim, keepdim); }
Tensor any(const Tensor& a) { return native::any(a); }
Tensor any(const Tensor& a, int64_t dim, bool keepdim) { return native::any(a, dim, keepdim); }
Tensor Tensor::all() const { return ember::all(*this); }
Tensor Tensor::all(int64_t dim, bool keepdim) const { return ember::all(*this, dim, keepdim); }
Tensor Tensor::any() const { return ember::any(*this); }
Tensor Tensor::any(int64_t dim, bool keepdim) const { return ember::any(*this, dim, keepdim); }

Tensor bitwise_not(const Tensor& a) { return native::bitwise_not(a); }
Tensor bitwise_and(const Tensor& a, const Tensor& b) { return native::bitwise_and(a, b); }
Tensor bitwise_or(const Tensor& a, const Tensor& b) { return native::bitwise_or(a, b); }
Tensor bitwise_xor(const Tensor& a, const Tensor& b) { return native::bitwise_xor(a, b); }
Tensor operator~(const Tensor& a) { return bitwise_not(a); }
Tensor operator&(const Tensor& a, const Tensor& b) { return bitwise_and(a, b); }
Tensor operator|(const Tensor& a, const Tensor& b) { return bitwise_or(a, b); }
Tensor operator^(const Tensor& a, const Tensor& b) { return bitwise_xor(a, b); }

namespace {
// PyTorch 2's rule (1.13 still took other masks, with a deprecation warning for uint8).
void check_mask(const Tensor& mask) {
  EMBER_CHECK(mask.dtype() == kBool, "masked_fill_ only supports boolean masks, but got mask with dtype ",
              dtype_torch_name(mask.dtype()));
}
}  // namespace

// Out of place, as torch.masked_fill: mask and self broadcast together.
Tensor Tensor::masked_fill(const Tensor& mask, const Scalar& value) const {
  check_mask(mask);
  return ember::where(mask, scalar_tensor(value, options()), *this);
}

Tensor Tensor::masked_fill(const Tensor& mask, const Tensor& value) const {
  check_mask(mask);
  EMBER_CHECK(value.dim() == 0, "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
              value.dim(), " dimension(s).");
  return ember::where(mask, value.to(device(), dtype()), *this);
}

}  // namespace ember
