// Bulk float <-> float16 conversions for the CPU's contiguous runs: F16C's vector
// instructions where the CPU has them, eight values at a time, else Half's own steps; both
// give the same bits for every input, NaNs included (Note [Float16] in core/half.h).
#pragma once
#include <cstdint>

#include "core/half.h"

namespace ember::cpu {

// out[i] = Half(in[i]) for i < n (rounded to nearest, ties to even).
void floats_to_halves(const float* in, Half* out, int64_t n);
// out[i] = float(in[i]) for i < n (exact).
void halves_to_floats(const Half* in, float* out, int64_t n);

}  // namespace ember::cpu
