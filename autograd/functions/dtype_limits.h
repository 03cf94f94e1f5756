// torch.finfo(dtype).max of the floating dtypes, for derivative formulas that need the
// largest finite value of their tensors' dtype (nan_to_num's defaults, logcumsumexp's
// gradient).
#pragma once
#include <limits>

#include "core/dtype.h"

namespace ember::autograd {

inline double largest_finite(DType dt) {
  if (dt == kFloat64) return std::numeric_limits<double>::max();
  if (dt == kBFloat16) return 3.3895313892515355e38;  // (2 - 2^-7) * 2^127
  if (dt == kFloat16) return 65504.0;                 // (2 - 2^-10) * 2^15
  return std::numeric_limits<float>::max();
}

}  // namespace ember::autograd
