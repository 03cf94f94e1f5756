// CPU gather (elements copied as bytes, whatever the dtype) and scatter / scatter_add /
// scatter_reduce (each line along dim owned by one thread and walked in index order, so
// the last of repeated indices wins and sums and products repeat bit for bit). The element math is
// core/gather_layout.h's, as the CUDA kernels'; the walk is Note [Gather layouts in runs].
//
// Note [Gather layouts in runs]
// GatherLayout::offsets(i) costs a division per dim and element, the bulk of a gather's time.
// The CPU walks the index's elements instead in runs along the last dim, whose offsets step by
// that dim's strides: a unit of work is one position of the dims other than `dim` and the
// last (a "group"; positions found by division once per unit) and a block of the last dim;
// within it, for each position j along `dim` in order (only j = 0 when `dim` is the last, the
// run then being the whole line), the run of the block's elements. Every line along `dim`
// stays in one unit and is walked in index order, so scatter's results are those of a walk
// line by line, bit for bit, while memory is read and written along the last dim.
#include <algorithm>
#include <atomic>
#include <type_traits>

#include "core/cpu/kernels.h"
#include "core/kernel_data.h"
#include "core/parallel.h"

namespace ember::cpu {
namespace {

using kernel_data::visit_word;
using Offsets = GatherLayout::Offsets;

// A run: the element offsets of its first element and their steps along the last dim.
struct Run {
  Offsets first;
  int64_t length;
  Offsets step;
};

// Last-dim elements per unit when `dim` is not the last: long enough runs, and short
// enough that units spread over the threads.
constexpr int64_t kRunBlock = 512;

// Note [Gather layouts in runs]: run(const Run&) for every run, in each line's order;
// run returns false to stop early (a bad index), and then walk_runs returns false.
template <typename RunFn>
bool walk_runs(const GatherLayout& l, const RunFn& run) {
  const int last = l.ndim - 1;
  const bool along_last = l.dim == last;
  const int64_t lines = along_last ? 1 : l.sizes[l.dim];  // positions j per unit
  const int64_t block = along_last ? l.sizes[last] : std::min(l.sizes[last], kRunBlock);
  const int64_t blocks = (l.sizes[last] + block - 1) / block;
  int64_t groups = 1;
  for (int d = 0; d < last; ++d)
    if (d != l.dim) groups *= l.sizes[d];
  const Offsets step{l.index_strides[last], l.other_strides[last], l.self_strides[last]};
  const Offsets along{l.index_strides[l.dim], l.other_strides[l.dim], l.self_strides[l.dim]};
  std::atomic<bool> ok{true};
  parallel_for(0, groups * blocks, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(lines * block, 1)),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t unit = lo; unit < hi; ++unit) {
                   if (!ok.load(std::memory_order_relaxed)) return;
                   int64_t rest = unit / blocks;
                   const int64_t k0 = (unit - rest * blocks) * block;
                   Offsets base{k0 * step.index, k0 * step.other, k0 * step.self};
                   for (int d = last - 1; d >= 0; --d) {  // the group's position, dim by dim
                     if (d == l.dim) continue;
                     const int64_t next = rest / l.sizes[d], c = rest - next * l.sizes[d];
                     rest = next;
                     base.index += c * l.index_strides[d];
                     base.other += c * l.other_strides[d];
                     base.self += c * l.self_strides[d];
                   }
                   const int64_t length = std::min(block, l.sizes[last] - k0);
                   for (int64_t j = 0; j < lines; ++j) {
                     const Offsets first{base.index + j * along.index, base.other + j * along.other,
                                         base.self + j * along.self};
                     if (!run(Run{first, length, step})) {
                       ok.store(false, std::memory_order_relaxed);
                       return;
                     }
                   }
                 }
               });
  return ok.load();
}

// The first bad index in the index's row-major order, in PyTorch's words (run only once a
// walk met one: exceptions must not leave an OpenMP region).
void throw_first_bad_index(const int64_t* idx, const GatherLayout& l) {
  for (int64_t i = 0; i < l.numel; ++i) {
    const int64_t v = idx[l.offsets(i).index];
    EMBER_CHECK(l.in_range(v), "index ", v, " is out of bounds for dimension ", l.dim, " with size ", l.self_size);
  }
  EMBER_FAIL("gather/scatter: a bad index was met but not found again");
}

// Before a scatter writes anything: every index in range.
void check_indices(const int64_t* idx, const GatherLayout& l) {
  const bool all_in_range = walk_runs(l, [&](const Run& r) {
    for (int64_t k = 0; k < r.length; ++k)
      if (!l.in_range(idx[r.first.index + k * r.step.index])) return false;
    return true;
  });
  if (!all_in_range) throw_first_bad_index(idx, l);
}

// fn(self element, other element) along each run, in order, for in-range indices.
template <typename T, typename O, typename Fn>
void scatter_runs(const GatherLayout& l, const int64_t* idx, T* self, const O* other, const Fn& fn) {
  walk_runs(l, [&](const Run& r) {
    const int64_t* i = idx + r.first.index;
    T* s = self + r.first.self;
    const O* o = other + r.first.other;
    for (int64_t k = 0; k < r.length; ++k)
      fn(s[k * r.step.self + i[k * r.step.index] * l.self_stride], o[k * r.step.other]);
    return true;
  });
}

}  // namespace

void gather(const Tensor& self, const Tensor& index, const GatherLayout& l, const Tensor& out) {
  if (l.numel == 0) return;
  const int64_t* idx = index.data_ptr<int64_t>();
  bool all_in_range = true;
  visit_word(itemsize(self.dtype()), [&](auto tag) {
    using W = typename decltype(tag)::type;
    const W* src = static_cast<const W*>(self.data_ptr());
    W* dst = static_cast<W*>(out.data_ptr());
    all_in_range = walk_runs(l, [&](const Run& r) {
      const int64_t* i = idx + r.first.index;
      const W* s = src + r.first.self;
      W* d = dst + r.first.other;
      if (r.step.index == 1 && r.step.other == 1) {  // contiguous runs: the common case
        for (int64_t k = 0; k < r.length; ++k) {
          const int64_t v = i[k];
          if (!l.in_range(v)) return false;
          d[k] = s[k * r.step.self + v * l.self_stride];
        }
        return true;
      }
      for (int64_t k = 0; k < r.length; ++k) {
        const int64_t v = i[k * r.step.index];
        if (!l.in_range(v)) return false;
        d[k * r.step.other] = s[k * r.step.self + v * l.self_stride];
      }
      return true;
    });
  });
  if (!all_in_range) throw_first_bad_index(idx, l);  // out is the op's own: no one sees it
}

void scatter(const Tensor& self, const Tensor& index, const Tensor& src, const GatherLayout& l, bool accumulate) {
  if (l.numel == 0) return;
  const int64_t* idx = index.data_ptr<int64_t>();
  check_indices(idx, l);
  if (!accumulate) {
    visit_word(itemsize(self.dtype()), [&](auto tag) {
      using W = typename decltype(tag)::type;
      scatter_runs(l, idx, static_cast<W*>(self.data_ptr()), static_cast<const W*>(src.data_ptr()),
                   ScatterAssign{});
    });
    return;
  }
  visit_dtype(self.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (is_floating_element_v<T> || std::is_same_v<T, int64_t>) {  // the op layer refuses other dtypes
      scatter_runs(l, idx, self.data_ptr<T>(), src.data_ptr<T>(), ScatterAdd{});
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
    if constexpr (is_floating_element_v<T> || std::is_same_v<T, int64_t>) {  // the op layer refuses other dtypes
      scatter_runs(l, idx, self.data_ptr<T>(), src.data_ptr<T>(), ScatterCombine{kind});
    }
  });
}

}  // namespace ember::cpu
