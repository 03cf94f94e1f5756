// CPU gather (elements copied as bytes, whatever the dtype) and scatter / scatter_add /
// scatter_reduce (each line along dim owned by one thread and walked in index order, so
// the last of repeated indices wins and sums and products repeat bit for bit). The element math is
// core/gather_layout.h's, as the CUDA kernels'.
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "core/cpu/kernels.h"
#include "core/kernel_data.h"
#include "core/parallel.h"

namespace ember::cpu {
namespace {

// Before any thread starts (an exception must not leave an OpenMP region): the first bad
// index in the index's row-major order, in PyTorch's words.
void check_indices(const int64_t* idx, const GatherLayout& l) {
  for (int64_t i = 0; i < l.numel; ++i) {
    const int64_t v = idx[l.offsets(i).index];
    EMBER_CHECK(l.in_range(v), "index ", v, " is out of bounds for dimension ", l.dim, " with size ", l.self_size);
  }
}

using kernel_data::visit_word;

// fn(offsets, index value) for each element of each line in [lo, hi), in line order.
template <typename Fn>
void for_each_line(const GatherLayout& l, const int64_t* idx, const Fn& fn) {
  const int64_t length = l.line_length();
  parallel_for(0, l.line_count(), std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(length, 1)),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t line = lo; line < hi; ++line) {
                   for (int64_t j = 0; j < length; ++j) {
                     const GatherLayout::Offsets o = l.offsets(l.line_element(line, j));
                     fn(o, idx[o.index]);
                   }
                 }
               });
}

}  // namespace

void gather(const Tensor& self, const Tensor& index, const GatherLayout& l, const Tensor& out) {
  if (l.numel == 0) return;
  const int64_t* idx = index.data_ptr<int64_t>();
  check_indices(idx, l);
  visit_word(itemsize(self.dtype()), [&](auto tag) {
    using W = typename decltype(tag)::type;
    const W* src = static_cast<const W*>(self.data_ptr());
    W* dst = static_cast<W*>(out.data_ptr());
    parallel_for(0, l.numel, kParallelGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        const GatherLayout::Offsets o = l.offsets(i);
        dst[o.other] = src[l.self_offset(o, idx[o.index])];
      }
    });
  });
}

void scatter(const Tensor& self, const Tensor& index, const Tensor& src, const GatherLayout& l, bool accumulate) {
  if (l.numel == 0) return;
  const int64_t* idx = index.data_ptr<int64_t>();
  check_indices(idx, l);
  if (!accumulate) {
    visit_word(itemsize(self.dtype()), [&](auto tag) {
      using W = typename decltype(tag)::type;
      W* dst = static_cast<W*>(self.data_ptr());
      const W* from = static_cast<const W*>(src.data_ptr());
      for_each_line(l, idx, [&](const GatherLayout::Offsets& o, int64_t v) { dst[l.self_offset(o, v)] = from[o.other]; });
    });
    return;
  }
  visit_dtype(self.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, BFloat16> ||
                  std::is_same_v<T, int64_t>) {  // the op layer refuses other dtypes
      using Compute = std::conditional_t<std::is_same_v<T, BFloat16>, float, T>;  // Note [BFloat16]
      T* dst = self.data_ptr<T>();
      const T* from = src.data_ptr<T>();
      for_each_line(l, idx, [&](const GatherLayout::Offsets& o, int64_t v) {
        T& d = dst[l.self_offset(o, v)];
        d = static_cast<T>(static_cast<Compute>(d) + static_cast<Compute>(from[o.other]));
      });
    }
  });
}

void scatter_reduce(const Tensor& self, const Tensor& index, const Tensor& src, const GatherLayout& l,
                    ScatterReduceKind kind) {
  if (l.numel == 0) return;
  const int64_t* idx = index.data_ptr<int64_t>();
  check_indices(idx, l);
  visit_dtype(self.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, BFloat16> ||
                  std::is_same_v<T, int64_t>) {  // the op layer refuses other dtypes
      using Compute = std::conditional_t<std::is_same_v<T, BFloat16>, float, T>;  // Note [BFloat16]
      T* dst = self.data_ptr<T>();
      const T* from = src.data_ptr<T>();
      for_each_line(l, idx, [&](const GatherLayout::Offsets& o, int64_t v) {
        T& d = dst[l.self_offset(o, v)];
        d = static_cast<T>(scatter_combine(kind, static_cast<Compute>(d), static_cast<Compute>(from[o.other])));
      });
    }
  });
}

}  // namespace ember::cpu
