// Image files written for the tests of data::read_image, ImageFolder and `ember predict`:
// PNG with libpng, JPEG with libjpeg (where their headers are installed; EMBER_TEST_PNG /
// EMBER_TEST_JPEG say which), and the skip for a format this build cannot decode.
#pragma once
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#if __has_include(<png.h>)
#include <png.h>
#define EMBER_TEST_PNG 1
#endif
#if __has_include(<jpeglib.h>)
#include <jpeglib.h>
#define EMBER_TEST_JPEG 1
#endif

#include "nn/data/image_io.h"

namespace ember::testing {

#ifdef EMBER_TEST_PNG
// An 8-bit PNG of interleaved samples (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA per pixel).
inline void write_png(const std::string& path, int width, int height, int channels, const std::vector<unsigned char>& hwc) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  static const png_uint_32 formats[5] = {0, PNG_FORMAT_GRAY, PNG_FORMAT_GA, PNG_FORMAT_RGB, PNG_FORMAT_RGBA};
  image.format = formats[channels];
  ASSERT_TRUE(png_image_write_to_file(&image, path.c_str(), 0, hwc.data(), 0, nullptr)) << image.message;
}
#endif

#ifdef EMBER_TEST_JPEG
// A quality-100 JPEG of one flat color (RGB or gray): decodes to that color within 1-2.
inline void write_jpeg(const std::string& path, int width, int height, int channels, const std::vector<unsigned char>& color) {
  jpeg_compress_struct info{};
  jpeg_error_mgr err{};
  info.err = jpeg_std_error(&err);
  jpeg_create_compress(&info);
  FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  jpeg_stdio_dest(&info, file);
  info.image_width = static_cast<JDIMENSION>(width);
  info.image_height = static_cast<JDIMENSION>(height);
  info.input_components = channels;
  info.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, 100, TRUE);
  jpeg_start_compress(&info, TRUE);
  std::vector<unsigned char> row;
  for (int x = 0; x < width; ++x) row.insert(row.end(), color.begin(), color.end());
  while (info.next_scanline < info.image_height) {
    JSAMPROW rows[1] = {row.data()};
    jpeg_write_scanlines(&info, rows, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  std::fclose(file);
}
#endif

// Skips the calling test where this build has no decoder for `format` ("png", "jpeg").
#define EMBER_SKIP_UNLESS_READABLE(format) \
  if (!::ember::data::can_read_image_format(format)) GTEST_SKIP() << "this build reads no " << (format)

}  // namespace ember::testing
