// The check PyTorch makes before writing one scalar into every element of a tensor (fill_,
// full, masked_fill, new_full, ...): a value the dtype cannot hold is an error, not a
// silent wrap (Note [Fill values] in core/fill_value.cpp).
#pragma once
#include "core/dtype.h"
#include "core/scalar.h"

namespace ember {

// PyTorch's "value cannot be converted to type uint8_t without overflow" (int64_t, float,
// at::BFloat16) where `value` does not fit `dtype`.
void check_fill_value(const Scalar& value, DType dtype);

}  // namespace ember
