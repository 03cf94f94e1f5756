// CUDA tril/triu: a thread per element (grid-stride), copying it or writing zero as
// core/triangle_layout.h's mask says (the CPU kernel's rule), moved as a word of the
// element's size so one kernel per size serves every dtype.
#include <algorithm>
#include <cstdint>

#include "core/triangle_layout.h"
#include "cuda/cuda_internal.h"

namespace ember::cuda_kernels {
namespace {

using cuda::detail::current_raw_stream;
using cuda::detail::kThreadsPerBlock;

constexpr int64_t kMaxBlocks = 1 << 16;  // enough to fill the GPU with a grid-stride loop

// Element i's math is TriangleLayout's (element_offset, row_of, col_of), which the CPU
// test Triangle.TheCudaThreadsElementMathMatchesTheCpuKernel runs for every i.
template <typename Word>
__global__ void triangle_kernel(const Word* in, Word* out, TriangleLayout l, TriangleMask mask) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < l.numel; i += step) {
    const Word v = mask.keeps(l.row_of(i), l.col_of(i)) ? in[l.element_offset(i, 1)] : Word(0);
    out[l.element_offset(i, 0)] = v;
  }
}

template <typename Word>
void launch_triangle(const Tensor& in, const TriangleMask& mask, const Tensor& out) {
  const TriangleLayout l = make_triangle_layout(out, in);
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(cuda::detail::blocks_for(l.numel), kMaxBlocks));
  triangle_kernel<Word><<<blocks, kThreadsPerBlock, 0, current_raw_stream()>>>(
      static_cast<const Word*>(in.data_ptr()), static_cast<Word*>(out.data_ptr()), l, mask);
  EMBER_CUDA_LAUNCH_CHECK();
}

}  // namespace

void triangle(const Tensor& in, const TriangleMask& mask, const Tensor& out) {
  if (out.numel() == 0) return;
  switch (itemsize(in.dtype())) {
    case 1: return launch_triangle<uint8_t>(in, mask, out);
    case 2: return launch_triangle<uint16_t>(in, mask, out);
    case 4: return launch_triangle<uint32_t>(in, mask, out);
    case 8: return launch_triangle<uint64_t>(in, mask, out);
    default: EMBER_FAIL("tril/triu on CUDA: unsupported element size ", itemsize(in.dtype()));
  }
}

}  // namespace ember::cuda_kernels
