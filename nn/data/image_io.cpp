// read_image: the file read whole (bounded), its signature checked, then decoded by
// libpng's simplified API or libjpeg with an error handler that returns instead of
// exiting (Note [Reading images] in nn/data/image_io.h).
#include "nn/data/image_io.h"

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <cerrno>
#include <vector>

#ifdef EMBER_HAVE_PNG
#include <png.h>
#endif
#ifdef EMBER_HAVE_JPEG
#include <jpeglib.h>
#include <jerror.h>
#endif

#include "core/error.h"
#include "core/factories.h"
#include "core/ops.h"
#include "nn/serialize/files.h"

namespace ember::data {
namespace {

constexpr int64_t kMaxFileBytes = int64_t{1} << 30;

// The whole file, from a regular file only (a FIFO named like an image would block a plain
// open forever; nn::open_regular_file refuses it at once).
std::vector<unsigned char> read_file(const std::string& path) {
  uint64_t size = 0;
  nn::Fd fd;
  try {
    fd = nn::open_regular_file(path, &size);
  } catch (const Error& e) {
    EMBER_FAIL("read_image: ", e.what());
  }
  EMBER_CHECK(size <= static_cast<uint64_t>(kMaxFileBytes), "read_image: '", path, "' is ", size,
              " bytes, more than an image file may be (", kMaxFileBytes, ")");
  std::vector<unsigned char> bytes(static_cast<size_t>(size));
  errno = 0;
  EMBER_CHECK(nn::read_at(fd.get(), bytes.data(), bytes.size(), 0), "read_image: cannot read '", path, "': ",
              errno ? std::strerror(errno) : "the file ended early");
  return bytes;
}

bool is_png(const std::vector<unsigned char>& b) {
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  return b.size() >= 8 && std::memcmp(b.data(), sig, 8) == 0;
}
bool is_jpeg(const std::vector<unsigned char>& b) { return b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF; }

[[maybe_unused]] void check_extent(const std::string& path, int64_t width, int64_t height) {
  EMBER_CHECK(width > 0 && height > 0 && width * height <= kMaxImagePixels, "read_image: '", path, "' is ", width,
              "x", height, " (expected sides above 0 and at most ", kMaxImagePixels, " pixels)");
}

// Channels asked for: the file's own for UNCHANGED.
[[maybe_unused]] int64_t wanted_channels(ImageReadMode mode, int64_t own) {
  switch (mode) {
    case ImageReadMode::GRAY: return 1;
    case ImageReadMode::GRAY_ALPHA: return 2;
    case ImageReadMode::RGB: return 3;
    case ImageReadMode::RGB_ALPHA: return 4;
    case ImageReadMode::UNCHANGED: break;
  }
  return own;
}

// A decoded image: 8-bit samples interleaved [H, W, C], C 1 (gray), 2 (gray, alpha),
// 3 (RGB) or 4 (RGBA).
struct Decoded {
  std::vector<unsigned char> hwc;
  int64_t height = 0, width = 0, channels = 0;
};

// uint8 [C, H, W] with `channels` channels, as PIL's convert(): gray repeated into RGB,
// an opaque alpha added, alpha dropped, RGB to gray by (19595 R + 38470 G + 7471 B +
// 2^15) >> 16 (ITU-R 601-2 luma).
[[maybe_unused]] Tensor converted(const Decoded& d, int64_t channels) {
  Tensor out = empty({channels, d.height, d.width}, TensorOptions(kUInt8));
  auto* dst = static_cast<unsigned char*>(out.data_ptr());
  const int64_t plane = d.height * d.width;
  const bool color_in = d.channels >= 3, alpha_in = d.channels % 2 == 0;
  const bool color_out = channels >= 3, alpha_out = channels % 2 == 0;
  for (int64_t p = 0; p < plane; ++p) {
    const unsigned char* s = d.hwc.data() + p * d.channels;
    if (color_out) {
      for (int64_t c = 0; c < 3; ++c) dst[c * plane + p] = color_in ? s[c] : s[0];
    } else {
      dst[p] = color_in ? static_cast<unsigned char>((19595u * s[0] + 38470u * s[1] + 7471u * s[2] + 0x8000u) >> 16)
                        : s[0];
    }
    if (alpha_out) dst[(channels - 1) * plane + p] = alpha_in ? s[d.channels - 1] : 255;
  }
  return out;
}

#ifdef EMBER_HAVE_PNG
// The file's own channels (1 to 4), 8 bits each (palettes and tRNS expanded, 16 bits reduced).
Decoded decode_png(const std::vector<unsigned char>& bytes, const std::string& path) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()))
    EMBER_FAIL("read_image: '", path, "' is not a readable PNG: ", image.message);
  check_extent(path, image.width, image.height);
  Decoded out;
  out.height = image.height;
  out.width = image.width;
  out.channels = PNG_IMAGE_SAMPLE_CHANNELS(image.format);
  static const png_uint_32 formats[5] = {0, PNG_FORMAT_GRAY, PNG_FORMAT_GA, PNG_FORMAT_RGB, PNG_FORMAT_RGBA};
  image.format = formats[out.channels];
  out.hwc.resize(PNG_IMAGE_SIZE(image));
  const bool ok = png_image_finish_read(&image, nullptr, out.hwc.data(), 0, nullptr) != 0;
  const std::string message = image.message;
  png_image_free(&image);
  EMBER_CHECK(ok, "read_image: '", path, "' is not a readable PNG: ", message);
  return out;
}
#endif

#ifdef EMBER_HAVE_JPEG
// libjpeg's errors jump back here instead of calling exit().
struct JpegError {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_error_exit(j_common_ptr info) {
  auto* error = reinterpret_cast<JpegError*>(info->err);
  (*info->err->format_message)(info, error->message);
  std::longjmp(error->jump, 1);
}

// libjpeg's warnings: a file that ends early (or whose data stops at a marker) would decode
// with grey filled in, a silent wrong image, so those two are errors (PIL too refuses a
// truncated file). Other warnings (extraneous bytes before a marker, common in camera
// files) leave the pixels intact and are ignored rather than printed to stderr.
void jpeg_emit_message(j_common_ptr info, int level) {
  const int code = info->err->msg_code;
  if (level < 0 && (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER)) jpeg_error_exit(info);
}

// Decodes gray (1 channel) or RGB (3) into `out`; false (with error.message) when libjpeg
// failed. No C++ object with a destructor is made in this frame after setjmp.
bool jpeg_decode(const std::vector<unsigned char>& bytes, JpegError& error, jpeg_decompress_struct& info,
                 Decoded& out) {
  info.err = jpeg_std_error(&error.manager);
  error.manager.error_exit = jpeg_error_exit;
  error.manager.emit_message = jpeg_emit_message;
  if (setjmp(error.jump)) {
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&info, TRUE);
  if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
    std::snprintf(error.message, sizeof error.message, "CMYK JPEG images are not supported");
    jpeg_destroy_decompress(&info);
    return false;
  }
  info.out_color_space = info.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  out.width = info.image_width;
  out.height = info.image_height;
  if (out.width * out.height > kMaxImagePixels) {
    std::snprintf(error.message, sizeof error.message, "%lldx%lld, more than %lld pixels",
                  static_cast<long long>(out.width), static_cast<long long>(out.height),
                  static_cast<long long>(kMaxImagePixels));
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_start_decompress(&info);
  out.channels = info.output_components;
  const size_t row = static_cast<size_t>(out.width * out.channels);
  out.hwc.resize(static_cast<size_t>(out.height) * row);
  while (info.output_scanline < info.output_height) {
    JSAMPROW rows[1] = {out.hwc.data() + static_cast<size_t>(info.output_scanline) * row};
    jpeg_read_scanlines(&info, rows, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return true;
}

Decoded decode_jpeg(const std::vector<unsigned char>& bytes, const std::string& path) {
  JpegError error{};
  jpeg_decompress_struct info{};
  Decoded out;
  EMBER_CHECK(jpeg_decode(bytes, error, info, out), "read_image: '", path, "' is not a readable JPEG: ",
              error.message);
  return out;
}
#endif

}  // namespace

bool can_read_image_format(const std::string& format) {
#ifdef EMBER_HAVE_PNG
  if (format == "png") return true;
#endif
#ifdef EMBER_HAVE_JPEG
  if (format == "jpeg") return true;
#endif
  (void)format;
  return false;
}

Tensor read_image(const std::string& path, ImageReadMode mode) {
  const std::vector<unsigned char> bytes = read_file(path);
  if (is_png(bytes)) {
#ifdef EMBER_HAVE_PNG
    const Decoded d = decode_png(bytes, path);
    return converted(d, wanted_channels(mode, d.channels));
#else
    EMBER_FAIL("read_image: '", path, "' is a PNG, but ember was built without libpng (install libpng-dev, rebuild)");
#endif
  }
  if (is_jpeg(bytes)) {
#ifdef EMBER_HAVE_JPEG
    const Decoded d = decode_jpeg(bytes, path);
    return converted(d, wanted_channels(mode, d.channels));
#else
    EMBER_FAIL("read_image: '", path, "' is a JPEG, but ember was built without libjpeg (install libjpeg-dev, rebuild)");
#endif
  }
  EMBER_FAIL("read_image: '", path, "' is neither a PNG nor a JPEG file (expected one of their signatures)");
}

}  // namespace ember::data
