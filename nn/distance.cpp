// CosineSimilarity and PairwiseDistance: forward(x1, x2) through nn::functional.
#include "nn/distance.h"

#include "nn/functional/distance.h"

namespace ember::nn {

Tensor PairModule::operator()(const Tensor& x1, const Tensor& x2) { return calls_.call(*this, x1, Frame{x2}).first; }

Tensor PairModule::forward(const Tensor& x1) {
  if (const Frame* frame = calls_.claim()) return forward(x1, frame->x2);
  EMBER_FAIL(type_name(), ".forward() missing 1 required positional argument: 'x2' (it is called with (x1, x2))");
}

Tensor CosineSimilarity::forward(const Tensor& x1, const Tensor& x2) {
  return functional::cosine_similarity(x1, x2, dim, eps);
}

Tensor PairwiseDistance::forward(const Tensor& x1, const Tensor& x2) {
  return functional::pairwise_distance(x1, x2, norm, eps, keepdim);
}

}  // namespace ember::nn
