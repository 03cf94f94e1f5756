// The stride rules of MemoryFormat: dense NHWC strides, channels-last contiguity, and
// the "looks channels-last" test behind Tensor::suggest_memory_format().
#include "core/memory_format.h"

namespace ember {

namespace {
// NHWC order: the dims of a 4-D NCHW tensor from the fastest-varying to the slowest.
constexpr size_t kChannelsLastOrder[] = {1, 3, 2, 0};
}  // namespace

std::ostream& operator<<(std::ostream& os, MemoryFormat format) {
  switch (format) {
    case MemoryFormat::Contiguous: return os << "torch.contiguous_format";
    case MemoryFormat::ChannelsLast: return os << "torch.channels_last";
    case MemoryFormat::Preserve: return os << "torch.preserve_format";
  }
  return os << "torch.memory_format(?)";
}

Dims channels_last_strides(const Dims& sizes) {
  EMBER_CHECK(sizes.size() == 4, "required rank 4 tensor to use channels_last format");
  Dims strides = Dims::filled(4, 1);
  int64_t next = 1;
  for (size_t d : kChannelsLastOrder) {
    strides[d] = next;
    next *= sizes[d];
  }
  return strides;
}

Dims memory_format_strides(const Dims& sizes, MemoryFormat format) {
  EMBER_CHECK(format != MemoryFormat::Preserve, "memory_format_strides: Preserve names no layout of its own");
  return format == MemoryFormat::ChannelsLast ? channels_last_strides(sizes) : contiguous_strides(sizes);
}

bool is_channels_last_contiguous_layout(const Dims& sizes, const Dims& strides) {
  if (sizes.size() != 4) return false;
  int64_t expected = 1;
  for (size_t d : kChannelsLastOrder) {
    if (sizes[d] == 1) continue;
    if (strides[d] != expected) return false;
    expected *= sizes[d];
  }
  return true;
}

bool looks_channels_last(const Dims& sizes, const Dims& strides) {
  if (sizes.size() != 4 || strides[1] == 0) return false;
  // Walking C, W, H, N, each stride must reach at least the extent of the dims before
  // it; a size-1 dim then still has to sit outside them (tells N1H1 and 1C1W apart).
  int64_t reach = 0;
  for (size_t d : kChannelsLastOrder) {
    if (sizes[d] == 0 || strides[d] < reach) return false;
    if (d == 0 && reach == strides[1]) return false;  // N111-like: ambiguous, NCHW wins
    reach = strides[d] * (sizes[d] > 1 ? sizes[d] : 1);
  }
  return true;
}

}  // namespace ember
