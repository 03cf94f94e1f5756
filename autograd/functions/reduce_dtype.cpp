// PyTorch's dtype= forms of sum, mean, prod, cumsum and cumprod: the input cast to dtype, then
// the reduction, with autocast off for it (autocast's fp32_set_opt_dtype policy keeps an
// explicit dtype). The cast is recorded, so the gradient comes back in the input's dtype.
#include "core/autocast.h"
#include "core/error.h"
#include "core/ops.h"

namespace ember {

namespace {

// op(a cast to dtype), autocast off on a's device while op runs, the result in dtype (an
// integer sum, which widens to int64, wraps back as PyTorch's accumulation in dtype does).
template <typename Op>
Tensor in_dtype(const Tensor& a, DType dtype, Op&& op) {
  const Tensor cast = a.to(dtype);
  AutocastGuard explicit_dtype(a.device(), kBFloat16, /*enabled=*/false);
  const Tensor out = op(cast);
  return out.dtype() == dtype ? out : out.to(dtype);
}

}  // namespace

Tensor sum(const Tensor& a, const Dims& dims, bool keepdim, DType dtype) {
  return in_dtype(a, dtype, [&](const Tensor& x) { return sum(x, dims, keepdim); });
}
Tensor mean(const Tensor& a, const Dims& dims, bool keepdim, DType dtype) {
  EMBER_CHECK(is_floating(dtype), "mean(): could not infer output dtype. Optional dtype must be either a floating ",
              "point or complex dtype. Got: ", dtype_torch_name(dtype));
  return in_dtype(a, dtype, [&](const Tensor& x) { return mean(x, dims, keepdim); });
}
Tensor prod(const Tensor& a, int64_t dim, bool keepdim, DType dtype) {
  return in_dtype(a, dtype, [&](const Tensor& x) { return prod(x, dim, keepdim); });
}
Tensor cumsum(const Tensor& a, int64_t dim, DType dtype) {
  return in_dtype(a, dtype, [&](const Tensor& x) { return cumsum(x, dim); });
}
Tensor cumprod(const Tensor& a, int64_t dim, DType dtype) {
  return in_dtype(a, dtype, [&](const Tensor& x) { return cumprod(x, dim); });
}

Tensor Tensor::sum(const Dims& dims, bool keepdim, DType dtype) const {
  return ember::sum(*this, dims, keepdim, dtype);
}
Tensor Tensor::mean(const Dims& dims, bool keepdim, DType dtype) const {
  return ember::mean(*this, dims, keepdim, dtype);
}
Tensor Tensor::prod(int64_t dim, bool keepdim, DType dtype) const { return ember::prod(*this, dim, keepdim, dtype); }
Tensor Tensor::cumsum(int64_t dim, DType dtype) const { return ember::cumsum(*this, dim, dtype); }
Tensor Tensor::cumprod(int64_t dim, DType dtype) const { return ember::cumprod(*this, dim, dtype); }

}  // namespace ember
