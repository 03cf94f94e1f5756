// libFuzzer harness for read_image (PNG via libpng, JPEG via libjpeg): the first byte
// picks the ImageReadMode (mod 5), the rest is the file. Whatever the bytes, the result
// is an ember::Error or a uint8 [C, H, W] image with the mode's channels.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "fuzz_input_file.h"
#include "nn/data/image_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto mode = static_cast<ember::data::ImageReadMode>(data[0] % 5);
  const std::string path = ember::fuzz::write_input_file("input.img", data + 1, size - 1);
  try {
    const ember::Tensor image = ember::data::read_image(path, mode);
    const int64_t want = static_cast<int64_t>(data[0] % 5);  // UNCHANGED (0): 1 to 4
    if (image.dim() != 3 || image.dtype() != ember::kUInt8 || image.size(0) < 1 || image.size(0) > 4 ||
        (want > 0 && image.size(0) != want))
      __builtin_trap();
    ember::fuzz::note_accepted();
  } catch (const ember::Error&) {
  }
  return 0;
}
