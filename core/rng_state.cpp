// get_rng_state / set_rng_state / initial_seed (core/rng_state.h) on the default
// generator's (seed, next counter), which reserve(0) reads without moving.
#include "core/rng_state.h"

#include <cstring>

#include "core/error.h"
#include "core/random.h"

namespace ember {

namespace {
constexpr int64_t kStateBytes = 16;
}

Tensor get_rng_state() {
  const PhiloxArgs now = default_generator().reserve(0);
  Tensor state = make_empty({kStateBytes}, kUInt8, Device::cpu());
  const uint64_t words[2] = {now.seed, now.offset};
  std::memcpy(state.data_ptr(), words, sizeof(words));  // x86-64 and CUDA hosts are little-endian
  return state;
}

void set_rng_state(const Tensor& state) {
  EMBER_CHECK(state.defined() && state.dtype() == kUInt8 && state.dim() == 1 && state.numel() == kStateBytes &&
                  state.is_cpu(),
              "set_rng_state: expected the 16-byte uint8 CPU tensor of get_rng_state() (seed, next counter), but got ",
              state.defined() ? dtype_name(state.dtype()) : "an undefined tensor", " of shape ",
              state.defined() ? state.sizes() : Dims{}, state.defined() ? " on " + state.device().str() : "");
  uint64_t words[2];
  const Tensor bytes = state.is_contiguous() ? state : state.contiguous();
  std::memcpy(words, bytes.data_ptr(), sizeof(words));
  Generator& generator = default_generator();
  generator.manual_seed(words[0]);
  (void)generator.reserve(words[1]);  // moves the next counter to the saved one
}

uint64_t initial_seed() { return default_generator().seed(); }

}  // namespace ember
