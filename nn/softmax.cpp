// ember::softmax / ember::log_softmax and the methods x.softmax(dim) / x.log_softmax(dim): forward
// to nn::functional (one op, one node).
#include "nn/softmax.h"

#include "nn/functional/loss.h"

namespace ember {

Tensor softmax(const Tensor& x, int64_t dim) { return nn::functional::softmax(x, dim); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return nn::functional::log_softmax(x, dim); }
Tensor softmax(const Tensor& x, int64_t dim, DType dtype) { return nn::functional::softmax(x, dim, dtype); }
Tensor log_softmax(const Tensor& x, int64_t dim, DType dtype) { return nn::functional::log_softmax(x, dim, dtype); }
// x.softmax(dim), x.log_softmax(dim) (core/tensor_pytorch_spellings.h)
Tensor Tensor::softmax(int64_t dim) const { return nn::functional::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return nn::functional::log_softmax(*this, dim); }
Tensor Tensor::softmax(int64_t dim, DType dtype) const { return nn::functional::softmax(*this, dim, dtype); }
Tensor Tensor::log_softmax(int64_t dim, DType dtype) const { return nn::functional::log_softmax(*this, dim, dtype); }

}  // namespace ember
