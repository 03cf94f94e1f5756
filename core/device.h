// Device: where a tensor's storage lives, cpu or cuda:N. Cheap to copy and compare.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace ember {

enum class DeviceType : uint8_t { CPU, CUDA };
inline constexpr DeviceType kCPU = DeviceType::CPU;  // libtorch's spellings
inline constexpr DeviceType kCUDA = DeviceType::CUDA;

class Device {
 public:
  constexpr Device() = default;
  // libtorch's Device(type, index = -1): a CPU index must be -1 or 0 (both the CPU); a CUDA
  // index from 0 to kMaxIndex - 1, or -1 for the current device (as Device("cuda")).
  // Anything else is c10's error, at run time.
  constexpr Device(DeviceType type, int index = -1) : type_(type), index_(checked_index(type, index)) {}
  // Parses "cpu", "cuda", "cuda:1"; anything else is an ember::Error.
  explicit Device(std::string_view spec);

  static constexpr Device cpu() { return Device(DeviceType::CPU, 0); }
  // index >= 0 (an ember::Error otherwise, at run time).
  static constexpr Device cuda(int index = 0) {
    return index >= 0 && index < kMaxIndex ? Device(DeviceType::CUDA, index) : (bad_cuda_index(index), Device());
  }
  static constexpr int kMaxIndex = 1024;

  constexpr DeviceType type() const { return type_; }
  constexpr int index() const { return index_; }
  constexpr bool is_cpu() const { return type_ == DeviceType::CPU; }
  constexpr bool is_cuda() const { return type_ == DeviceType::CUDA; }
  std::string str() const;  // "cpu", "cuda:0"

  constexpr bool operator==(const Device&) const = default;

 private:
  [[noreturn]] static void bad_cuda_index(int index);
  [[noreturn]] static void bad_cpu_index(int index);
  static int current_cuda_index();  // the current CUDA device, 0 without one
  static constexpr int16_t checked_index(DeviceType type, int index) {
    if (type == DeviceType::CPU) return index == 0 || index == -1 ? int16_t{0} : (bad_cpu_index(index), int16_t{0});
    if (index == -1) return static_cast<int16_t>(current_cuda_index());
    return index >= 0 && index < kMaxIndex ? static_cast<int16_t>(index) : (bad_cuda_index(index), int16_t{0});
  }
  DeviceType type_ = DeviceType::CPU;
  int16_t index_ = 0;
};

std::ostream& operator<<(std::ostream& os, const Device& d);

namespace cuda {
// False / 0 without a CUDA build, driver or GPU; never throws.
bool is_available();
int device_count();
// Waits for all work on the current CUDA device; a no-op without CUDA.
void synchronize();
// torch.cuda.get_device_name / get_device_properties / mem_get_info (free and total bytes
// of the device, from the driver): an ember::Error for a device that does not exist.
struct DeviceProperties {
  std::string name;
  int major = 0, minor = 0;  // compute capability
  size_t total_memory = 0;   // bytes
  int multi_processor_count = 0;
};
std::string get_device_name(int device = 0);
DeviceProperties get_device_properties(int device = 0);
std::pair<size_t, size_t> mem_get_info(int device = 0);
// torch.cuda.manual_seed / manual_seed_all: ember has one generator for every device, so
// both are ember::manual_seed (core/random.h).
void manual_seed(uint64_t seed);
void manual_seed_all(uint64_t seed);
}  // namespace cuda

}  // namespace ember
