// PhiloxArgs and the generator's capture mode (Note [Graph-safe random numbers] in
// core/random.h), on the CPU: the pointer form reads [seed, base] from memory and adds
// its intra-graph offset, kernels draw the same numbers from either form, and only the
// capturing thread's draws for the capture's device take the pointer form.
#include <gtest/gtest.h>

#include <thread>

#include <ember/ember.h>

#include "core/dispatch.h"
#include "core/random.h"
#include "support/helpers.h"

namespace ember {
namespace {

TEST(PhiloxArgs, ValueFormUnpacksItsValues) {
  const PhiloxArgs args{.seed = 42, .offset = 1000};
  uint64_t seed = 0, offset = 0;
  args.unpack(seed, offset);
  EXPECT_FALSE(args.captured());
  EXPECT_EQ(seed, 42u);
  EXPECT_EQ(offset, 1000u);
}

TEST(PhiloxArgs, PointerFormReadsMemoryAndAddsTheIntraOffset) {
  uint64_t state[2] = {7, 500};
  const PhiloxArgs args{.state = state, .intra_offset = 12};
  uint64_t seed = 0, offset = 0;
  args.unpack(seed, offset);
  EXPECT_TRUE(args.captured());
  EXPECT_EQ(seed, 7u);
  EXPECT_EQ(offset, 512u);
  state[0] = 8;  // a replay writes a new base: the same args now draw elsewhere
  state[1] = 900;
  args.unpack(seed, offset);
  EXPECT_EQ(seed, 8u);
  EXPECT_EQ(offset, 912u);
}

TEST(PhiloxArgs, CpuKernelsDrawTheSameNumbersFromEitherForm) {
  const DeviceOps& ops = device_ops(Device::cpu());
  for (DType dtype : {kFloat32, kFloat64}) {
    Tensor by_value = empty({37}, dtype), by_pointer = empty({37}, dtype);
    ops.uniform(by_value, -1.0, 3.0, PhiloxArgs{.seed = 99, .offset = 40});
    const uint64_t state[2] = {99, 30};
    ops.uniform(by_pointer, -1.0, 3.0, PhiloxArgs{.state = state, .intra_offset = 10});
    EXPECT_EQ(by_value.to_vector<double>(), by_pointer.to_vector<double>());
    ops.normal(by_value, 0.5, 2.0, PhiloxArgs{.seed = 5, .offset = 7});
    const uint64_t other[2] = {5, 0};
    ops.normal(by_pointer, 0.5, 2.0, PhiloxArgs{.state = other, .intra_offset = 7});
    EXPECT_EQ(by_value.to_vector<double>(), by_pointer.to_vector<double>());
    // A different base draws different numbers.
    const uint64_t moved[2] = {5, 1};
    ops.normal(by_pointer, 0.5, 2.0, PhiloxArgs{.state = moved, .intra_offset = 7});
    EXPECT_NE(by_value.to_vector<double>(), by_pointer.to_vector<double>());
  }
}

TEST(PhiloxArgs, RandDrawsTheReservedCounters) {
  manual_seed(123);
  const Tensor first = rand({10});
  const Tensor second = rand({10});
  Tensor expected = empty({10});
  device_ops(Device::cpu()).uniform(expected, 0.0, 1.0, PhiloxArgs{.seed = 123, .offset = 10});
  EXPECT_EQ(second.to_vector<float>(), expected.to_vector<float>());
  EXPECT_NE(first.to_vector<float>(), second.to_vector<float>());
}

TEST(GeneratorCapture, CountsTheCapturedDrawsWithoutMovingTheOffset) {
  Generator gen(77);
  gen.reserve(5);  // offset 5
  const uint64_t state[2] = {0, 0};
  const Device dev = Device::cuda(0);
  gen.begin_capture(dev, state);
  const PhiloxArgs a = gen.reserve(100, dev);
  const PhiloxArgs b = gen.reserve(20, dev);
  EXPECT_TRUE(a.captured());
  EXPECT_EQ(a.state, state);
  EXPECT_EQ(a.intra_offset, 0u);
  EXPECT_EQ(b.intra_offset, 100u);
  // The CPU, another device and other threads draw by value, moving the offset.
  const PhiloxArgs cpu = gen.reserve(3);
  EXPECT_FALSE(cpu.captured());
  EXPECT_EQ(cpu.seed, 77u);
  EXPECT_EQ(cpu.offset, 5u);
  EXPECT_FALSE(gen.reserve(1, Device::cuda(1)).captured());
  PhiloxArgs from_thread;
  std::thread([&] { from_thread = gen.reserve(2, dev); }).join();
  EXPECT_FALSE(from_thread.captured());
  EXPECT_EQ(from_thread.offset, 9u);
  EXPECT_EQ(gen.end_capture(), 120u);
  // After the capture: the value form again, from where the eager draws left it.
  const PhiloxArgs after = gen.reserve(1, dev);
  EXPECT_FALSE(after.captured());
  EXPECT_EQ(after.offset, 11u);
}

TEST(GeneratorCapture, OneCaptureAtATime) {
  Generator gen;
  const uint64_t state[2] = {0, 0};
  gen.begin_capture(Device::cuda(0), state);
  EXPECT_EMBER_ERROR(gen.begin_capture(Device::cuda(0), state), "already serving a capture on cuda:0");
  EXPECT_EQ(gen.end_capture(), 0u);
  gen.begin_capture(Device::cuda(0), state);  // free again
  EXPECT_EQ(gen.end_capture(), 0u);
}

TEST(GeneratorCapture, ManualSeedRestartsTheValueForm) {
  Generator gen(1);
  gen.reserve(50);
  gen.manual_seed(9);
  const PhiloxArgs args = gen.reserve(4);
  EXPECT_EQ(args.seed, 9u);
  EXPECT_EQ(args.offset, 0u);
}

}  // namespace
}  // namespace ember
