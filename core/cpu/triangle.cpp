// CPU tril/triu: each matrix row copied with the elements outside the triangle zeroed
// (core/triangle_layout.h decides which), moved as words of the element's size, so one
// loop serves every dtype (zero is all-zero bits in each). Rows run in parallel.
#include <algorithm>
#include <cstdint>

#include "core/cpu/kernels.h"
#include "core/parallel.h"
#include "core/triangle_layout.h"

namespace ember::cpu {
namespace {

template <typename Word>
void triangle_rows(const Tensor& in, const Tensor& out, const TriangleMask& mask) {
  const TriangleLayout l = make_triangle_layout(out, in);
  const int64_t rows = l.rows(), cols = l.cols();
  const int64_t lines = cols == 0 ? 0 : l.numel / cols;
  const int64_t out_step = l.stride[0][l.ndim - 1], in_step = l.stride[1][l.ndim - 1];
  const Word* src = static_cast<const Word*>(in.data_ptr());
  Word* dst = static_cast<Word*>(out.data_ptr());
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(cols, 1));
  parallel_for(0, lines, grain, [&](int64_t begin, int64_t end) {
    for (int64_t line = begin; line < end; ++line) {
      const int64_t row = line % rows;
      Word* o = dst + l.line_offset(line, 0);
      const Word* i = src + l.line_offset(line, 1);
      for (int64_t c = 0; c < cols; ++c) o[c * out_step] = mask.keeps(row, c) ? i[c * in_step] : Word(0);
    }
  });
}

}  // namespace

void triangle(const Tensor& in, const TriangleMask& mask, const Tensor& out) {
  if (out.numel() == 0) return;
  switch (itemsize(in.dtype())) {
    case 1: return triangle_rows<uint8_t>(in, out, mask);
    case 2: return triangle_rows<uint16_t>(in, out, mask);
    case 4: return triangle_rows<uint32_t>(in, out, mask);
    case 8: return triangle_rows<uint64_t>(in, out, mask);
    default: EMBER_FAIL("tril/triu: unsupported element size ", itemsize(in.dtype()));
  }
}

}  // namespace ember::cpu
