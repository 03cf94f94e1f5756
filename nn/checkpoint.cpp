// checkpoint_sequential: Sequential::forward_range under utils::checkpoint per segment.
#include "nn/checkpoint.h"

#include "core/error.h"

namespace ember::utils {

Tensor checkpoint_sequential(const std::shared_ptr<nn::Sequential>& model, int64_t segments, const Tensor& input,
                             CheckpointOptions options) {
  EMBER_CHECK(model != nullptr, "checkpoint_sequential: expected a Sequential, but got a null pointer");
  const auto size = static_cast<int64_t>(model->size());
  EMBER_CHECK(segments >= 1 && segments <= std::max<int64_t>(size, 1), "checkpoint_sequential: segments must be in [1, ",
              std::max<int64_t>(size, 1), "] for a Sequential of ", size, " modules, but got ", segments);
  const int64_t per_segment = size / segments;
  Tensor x = input;
  int64_t begin = 0;
  for (int64_t s = 0; s + 1 < segments; ++s, begin += per_segment) {
    const auto b = static_cast<size_t>(begin), e = static_cast<size_t>(begin + per_segment);
    x = checkpoint([model, b, e](const Tensor& in) { return model->forward_range(b, e, in); }, x, options);
  }
  return model->forward_range(static_cast<size_t>(begin), static_cast<size_t>(size), x);
}

}  // namespace ember::utils
