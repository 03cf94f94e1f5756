// The process-wide default generator behind rand/randn/randint/randperm and dropout,
// its capture mode (Note [Graph-safe random numbers] in core/random.h) and the explicit
// generators of generator= arguments (Note [Explicit generators]).
#include "core/random.h"

#include "core/device.h"
#include "core/error.h"

namespace ember {

void Generator::begin_capture(Device device, const uint64_t* state) {
  std::lock_guard<std::mutex> lock(mu_);
  EMBER_CHECK(capture_.state == nullptr, "Generator::begin_capture: the generator is already serving a capture on ",
              capture_.device.str(), " (one CUDA graph capture at a time)");
  capture_ = Capture{.state = state, .device = device, .thread = std::this_thread::get_id(), .used = 0};
}

uint64_t Generator::end_capture() {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t used = capture_.used;
  capture_ = Capture{};
  return used;
}

Generator& default_generator() {
  static Generator generator;
  return generator;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

// Note [Explicit generators]
namespace {
thread_local Generator* explicit_generator = nullptr;
}  // namespace
Generator& draw_generator() { return explicit_generator != nullptr ? *explicit_generator : default_generator(); }
detail::UsingGenerator::UsingGenerator(Generator& generator) : outer_(explicit_generator) {
  EMBER_CHECK(&generator == &default_generator() || !default_generator().is_capturing(),
              "a generator other than the default one cannot be used while a CUDA graph is being captured "
              "(its draws could not be replayed)");
  explicit_generator = &generator;
}
detail::UsingGenerator::~UsingGenerator() { explicit_generator = outer_; }
// ember has one generator for all devices (core/random.h), so torch.cuda's seeds are it
// where there is a GPU; without one they do nothing, as PyTorch's are silently ignored then
// (a CPU run that also seeds CUDA keeps the stream manual_seed started).
namespace cuda {
void manual_seed(uint64_t seed) {
  if (is_available()) ember::manual_seed(seed);
}
void manual_seed_all(uint64_t seed) {
  if (is_available()) ember::manual_seed(seed);
}
}  // namespace cuda

}  // namespace ember
