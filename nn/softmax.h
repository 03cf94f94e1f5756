// ember::softmax and ember::log_softmax: libtorch's free spellings (torch::softmax(x, dim)),
// the recorded ops of nn::functional. Free functions, not Tensor methods: the op lives in
// nn/functional/loss.cpp, and core/ (which declares Tensor) may not depend on nn/.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace ember {

Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
// torch::softmax(x, dim, dtype): x cast to dtype first (a float32 softmax of a bf16 input).
Tensor softmax(const Tensor& x, int64_t dim, DType dtype);
Tensor log_softmax(const Tensor& x, int64_t dim, DType dtype);

}  // namespace ember
