// PyTorch's legacy tensor type names ("torch.FloatTensor", "torch.cuda.HalfTensor"), which
// torch.typename and several of its messages still print.
#pragma once
#include <string>

#include "core/dtype.h"

namespace ember {

std::string legacy_type_name(DType dtype, bool is_cuda = false);

}  // namespace ember
