// ember::softmax / ember::log_softmax: forwards to nn::functional (one op, one node).
#include "nn/softmax.h"

#include "nn/functional/loss.h"

namespace ember {

Tensor softmax(const Tensor& x, int64_t dim) { return nn::functional::softmax(x, dim); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return nn::functional::log_softmax(x, dim); }

}  // namespace ember
