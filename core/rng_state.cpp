// get_rng_state / set_rng_state / initial_seed / seed / ForkRng (core/rng_state.h) and
// Generator's get_state / set_state / seed (core/random.h) on a generator's (seed, next
// counter), which reserve(0) reads without moving.
#include "core/rng_state.h"

#include <cstring>
#include <random>

#include "core/error.h"
#include "core/random.h"

namespace ember {

namespace {
constexpr int64_t kStateBytes = 16;

// A fresh seed from a non-deterministic source.
uint64_t random_seed() {
  std::random_device source;
  return (static_cast<uint64_t>(source()) << 32) ^ source();
}
}  // namespace

Tensor Generator::get_state() {
  const PhiloxArgs now = reserve(0);
  Tensor state = make_empty({kStateBytes}, kUInt8, Device::cpu());
  const uint64_t words[2] = {now.seed, now.offset};
  std::memcpy(state.data_ptr(), words, sizeof(words));  // x86-64 and CUDA hosts are little-endian
  return state;
}

Generator& Generator::set_state(const Tensor& state) {
  EMBER_CHECK(state.defined() && state.dtype() == kUInt8 && state.dim() == 1 && state.numel() == kStateBytes &&
                  state.is_cpu(),
              "set_rng_state: expected the 16-byte uint8 CPU tensor of get_rng_state() (seed, next counter), but got ",
              state.defined() ? dtype_name(state.dtype()) : "an undefined tensor", " of shape ",
              state.defined() ? state.sizes() : Dims{}, state.defined() ? " on " + state.device().str() : "");
  uint64_t words[2];
  const Tensor bytes = state.is_contiguous() ? state : state.contiguous();
  std::memcpy(words, bytes.data_ptr(), sizeof(words));
  manual_seed(words[0]);
  (void)reserve(words[1]);  // moves the next counter to the saved one
  return *this;
}

uint64_t Generator::seed() {
  const uint64_t value = random_seed();
  manual_seed(value);
  return value;
}

Tensor get_rng_state() { return default_generator().get_state(); }

void set_rng_state(const Tensor& state) { default_generator().set_state(state); }

uint64_t initial_seed() { return default_generator().initial_seed(); }

uint64_t seed() { return default_generator().seed(); }

ForkRng::ForkRng(bool enabled) {
  if (enabled) saved_ = get_rng_state();
}

// Back to (seed, counter) without counting a reseed (set_state), so cuDNN's dropout states,
// which restart at a reseed, are left as they are.
ForkRng::~ForkRng() {
  if (!saved_.defined()) return;
  uint64_t words[2];
  std::memcpy(words, saved_.data_ptr(), sizeof(words));
  default_generator().set_state(words[0], words[1]);
}

}  // namespace ember
