// CUDA SGD over many parameters in one launch (PyTorch's foreach step): up to 32 parameters
// a launch, cut into blocks of kChunk elements (cuda/optim_many_threads.h); each element's
// update is core/optim_math.h's SgdUpdate, so the bits are sgd_step's.
#include <cuda_runtime.h>

#include <algorithm>

#include "core/fused_operands.h"
#include "cuda/cuda_internal.h"
#include "cuda/optim_many_threads.h"
#include "cuda/optim_step_many.h"
#include "cuda/stream.h"

namespace ember::cuda_kernels {

namespace {

using cuda::detail::current_raw_stream;
using cuda::detail::kThreadsPerBlock;

template <typename T>
__global__ void sgd_step_many_kernel(const many::SgdList<T> list, const fused::SgdUpdate<ComputeType<T>> args) {
  many::sgd_chunk(list, args.resolved(), blockIdx.x, threadIdx.x, blockDim.x);  // capturable: lr from memory
}

}  // namespace

void sgd_step_many(const std::vector<SgdOperands>& params, const SgdStepArgs& args) {
  if (params.empty()) return;
  const bool use_momentum = fused::check_sgd_many_operands(params, args);
  const Tensor& first = params.front().param;
  cuda::DeviceGuard guard(first.device().index());
  visit_floating_or_reduced(first.dtype(), "sgd_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto update = fused::SgdUpdate<ComputeType<T>>::from(args);
    for (size_t from = 0; from < params.size(); from += many::kMaxParams) {
      const int count = static_cast<int>(std::min<size_t>(many::kMaxParams, params.size() - from));
      const many::SgdList<T> list = many::sgd_list<T>(params, from, count, use_momentum);
      const int64_t blocks = list.first_block[count];
      if (blocks == 0) continue;  // only empty parameters
      sgd_step_many_kernel<T><<<static_cast<unsigned>(blocks), kThreadsPerBlock, 0, current_raw_stream()>>>(list,
                                                                                                          update);
      EMBER_CUDA_LAUNCH_CHECK();
    }
  });
}

}  // namespace ember::cuda_kernels
