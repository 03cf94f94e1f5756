// torchvision.io.read_image: a PNG or JPEG file decoded into a uint8 tensor [C, H, W]
// with libpng and libjpeg(-turbo) (Note [Reading images]).
#pragma once
#include <string>

#include "core/tensor.h"

namespace ember::data {

// Note [Reading images]
// read_image decodes PNG (libpng's simplified API: any bit depth, palette and tRNS
// expanded, 16-bit samples reduced to 8) and JPEG (libjpeg: baseline and progressive,
// grayscale or YCbCr; CMYK is refused) into uint8 [C, H, W], as torchvision.io.read_image.
// The format comes from the file's signature, not its name. Mode UNCHANGED keeps the
// file's channels (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA); GRAY, GRAY_ALPHA, RGB and
// RGB_ALPHA convert as PIL's Image.convert("L"/"LA"/"RGB"/"RGBA"), which is what
// torchvision's ImageFolder loader and Grayscale transform give: gray from color is the
// ITU-R 601-2 luma (19595 R + 38470 G + 7471 B + 2^15) >> 16, gray to color repeats it,
// a missing alpha is opaque (255). Everything in the file is input: a truncated or corrupt file,
// an image over kMaxImagePixels or with a zero side, or a format other than PNG/JPEG is
// an ember::Error naming the file and what was wrong, never a crash. Built without libpng
// or libjpeg (cmake found neither), reading that format says so.
enum class ImageReadMode { UNCHANGED, GRAY, GRAY_ALPHA, RGB, RGB_ALPHA };

constexpr int64_t kMaxImagePixels = int64_t{1} << 28;  // 16384 x 16384

Tensor read_image(const std::string& path, ImageReadMode mode = ImageReadMode::UNCHANGED);

// Whether this build reads the format ("png", "jpeg").
bool can_read_image_format(const std::string& format);

}  // namespace ember::data
