// Random numbers: a counter-based Philox4x32-10 generator whose math is
// __host__ __device__, so CPU and CUDA draw the same streams from the same seed.
// manual_seed(s) reseeds the default generator. Kernels take their (seed, offset) as a
// PhiloxArgs, which a CUDA graph replay can move on (Note [Graph-safe random numbers]).
//
// Note [Graph-safe random numbers]
// A kernel that draws takes a PhiloxArgs and calls unpack() on the device (or the CPU)
// to learn its seed and first counter. Outside a capture the values travel by value.
// While a thread captures a CUDA graph on device d (cuda::Graph, cuda/graph.h), the
// default generator's reserve(n, cuda:d) hands out the pointer form instead: `state`
// points at two uint64 words [seed, base offset] in the graph's device memory and
// `intra_offset` is the number of counters the capture reserved before this draw; the
// generator's own offset does not move. capture_end() keeps the total the capture used,
// and each replay() first reserves that many counters from the generator (so the
// offset moves on as eager draws would) and writes [seed, first counter] into the
// graph's words with a kernel on the replay's stream, then launches the graph: every
// replay draws fresh numbers, and a manual_seed between replays restarts them, so a
// captured step draws exactly the counters the same eager step would have drawn.
// Draws for the CPU, and from other threads, take the value form during a capture.
#pragma once
#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>

#include "core/device.h"
#include "core/macros.h"

namespace ember {

struct Philox4x32 {
  static constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  static constexpr uint32_t kKey0 = 0x9E3779B9u, kKey1 = 0xBB67AE85u;

  // 4 random 32-bit words for (seed, counter): pure function, no state.
  EMBER_HD_INLINE static void block(uint64_t seed, uint64_t counter, uint32_t out[4]) {
    uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32);
    uint32_t c2 = 0, c3 = 0;
    uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
    for (int round = 0; round < 10; ++round) {
      uint64_t p0 = static_cast<uint64_t>(kMul0) * c0;
      uint64_t p1 = static_cast<uint64_t>(kMul1) * c2;
      uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
      uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
      c0 = hi1 ^ c1 ^ k0;
      c1 = lo1;
      c2 = hi0 ^ c3 ^ k1;
      c3 = lo0;
      k0 += kKey0;
      k1 += kKey1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
  }
  // 64 random bits for one counter (words 0 and 1 of its block): integer draws.
  EMBER_HD_INLINE static uint64_t bits64(uint64_t seed, uint64_t counter) {
    uint32_t words[4];
    block(seed, counter, words);
    return (static_cast<uint64_t>(words[0]) << 32) | words[1];
  }
  // Uniform in [0, 1) from 32 bits (float) or 53 bits (double).
  EMBER_HD_INLINE static float to_float(uint32_t x) { return static_cast<float>(x >> 8) * (1.0f / 16777216.0f); }
  EMBER_HD_INLINE static double to_double(uint32_t a, uint32_t b) {
    uint64_t v = (static_cast<uint64_t>(a) << 21) ^ b;
    return static_cast<double>(v & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
  }
};

// Where a kernel's random stream starts: (seed, offset) by value, or read from memory
// the kernel can see plus an offset inside a captured graph.
struct PhiloxArgs {
  uint64_t seed = 0, offset = 0;     // the value form
  const uint64_t* state = nullptr;   // the pointer form: [seed, base offset]
  uint64_t intra_offset = 0;         // added to the base offset in the pointer form

  EMBER_HD_INLINE bool captured() const { return state != nullptr; }
  // (seed, first counter) for the kernel; reads `state` in the pointer form.
  EMBER_HD_INLINE void unpack(uint64_t& seed_out, uint64_t& offset_out) const {
    if (state != nullptr) {
      seed_out = state[0];
      offset_out = state[1] + intra_offset;
    } else {
      seed_out = seed;
      offset_out = offset;
    }
  }
};

class Tensor;

// torch.Generator's API: manual_seed (chainable), seed() (a non-deterministic reseed that
// returns the new seed), initial_seed() (the seed in effect), get_state() / set_state(state)
// (16 uint8 bytes on the CPU: the seed and the next counter, little-endian; core/rng_state.cpp).
class Generator {
 public:
  explicit Generator(uint64_t seed = 67280421310721ull) : seed_(seed) {}
  Generator& manual_seed(uint64_t seed) {
    std::lock_guard<std::mutex> lock(mu_);
    seed_ = seed;
    offset_ = 0;
    generation_.fetch_add(1, std::memory_order_release);
    return *this;
  }
  uint64_t initial_seed() {
    std::lock_guard<std::mutex> lock(mu_);
    return seed_;
  }
  uint64_t seed();
  Tensor get_state();
  Generator& set_state(const Tensor& state);
  // Puts the stream back at (seed, next counter) from an earlier reserve(0), as a
  // checkpoint's recomputation does; a new seed counts as a reseed (generation()).
  void set_state(uint64_t seed, uint64_t offset) {
    std::lock_guard<std::mutex> lock(mu_);
    if (seed != seed_) generation_.fetch_add(1, std::memory_order_release);
    seed_ = seed;
    offset_ = offset;
  }
  // Whether some thread is capturing a CUDA graph whose draws read device memory.
  bool is_capturing() {
    std::lock_guard<std::mutex> lock(mu_);
    return capture_.state != nullptr;
  }
  // Counts manual_seed calls, so stateful streams (cuDNN's dropout states) can restart
  // when the generator was reseeded, even with the same seed.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // Reserves `n` counters for a kernel on `device`: the value form (seed, first counter),
  // or, while this thread captures a graph on `device`, the pointer form (Note
  // [Graph-safe random numbers]).
  PhiloxArgs reserve(uint64_t n, Device device = Device::cpu()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (capture_.state != nullptr && device == capture_.device && std::this_thread::get_id() == capture_.thread) {
      const PhiloxArgs args{.state = capture_.state, .intra_offset = capture_.used};
      capture_.used += n;
      return args;
    }
    PhiloxArgs args{.seed = seed_, .offset = offset_};
    offset_ += n;
    return args;
  }

  // For cuda::Graph: draws on `device` by this thread read [seed, base offset] from
  // `state` (device memory) until end_capture(), which returns the counters they used.
  void begin_capture(Device device, const uint64_t* state);
  uint64_t end_capture();

 private:
  struct Capture {
    const uint64_t* state = nullptr;
    Device device;
    std::thread::id thread;
    uint64_t used = 0;
  };
  std::mutex mu_;
  uint64_t seed_;
  uint64_t offset_ = 0;
  std::atomic<uint64_t> generation_{0};
  Capture capture_;
};

Generator& default_generator();
void manual_seed(uint64_t seed);

// Note [Explicit generators]
// PyTorch's generator= arguments: rand(sizes, gen, options), randn, randint, randperm,
// normal, bernoulli, multinomial and the in-place fills (x.uniform_(a, b, gen), ...) draw
// from gen instead of the default generator. Each such overload holds a
// detail::UsingGenerator for its call, which points this thread's draws at gen, and every
// draw asks draw_generator(); nested uses restore the outer one, and other threads are not
// affected. Dropout (cuDNN's generator states) and CUDA-graph capture keep to the default
// generator: an explicit generator while a graph is being captured is an error, as a draw
// from it could not be replayed.
Generator& draw_generator();
namespace detail {
class UsingGenerator {
 public:
  explicit UsingGenerator(Generator& generator);
  ~UsingGenerator();
  UsingGenerator(const UsingGenerator&) = delete;
  UsingGenerator& operator=(const UsingGenerator&) = delete;

 private:
  Generator* outer_;
};
// f() with its draws from generator.
template <typename F>
decltype(auto) with_generator(Generator& generator, F&& f) {
  UsingGenerator use(generator);
  return f();
}
}  // namespace detail

}  // namespace ember
