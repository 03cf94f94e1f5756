// read_image and ImageFolder (Notes [Reading images], [ImageFolder]): PNG and JPEG files
// written with libpng / libjpeg (tests/support/image_files.h), decoded back to their pixels
// in every mode; the class folders, sample order, conversion, resizing and normalisation of
// ImageFolder; damaged files and bad folders as clear errors. Skips a format this build cannot read.
#include <gmock/gmock.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "nn/data/dataloader.h"
#include "nn/data/image_folder.h"
#include "support/helpers.h"
#include "support/image_files.h"
#include "support/temp_dir.h"

namespace ember {
namespace {

using data::ImageReadMode;
using ember::testing::TempDir;
#ifdef EMBER_TEST_PNG
using ember::testing::write_png;
#endif
#ifdef EMBER_TEST_JPEG
using ember::testing::write_jpeg;
#endif
using ::testing::ElementsAre;

namespace fs = std::filesystem;

std::vector<double> values(const Tensor& t) { return t.to(kFloat64).contiguous().to_vector<double>(); }

#ifdef EMBER_TEST_PNG
TEST(ReadImage, PngPixelsInEveryMode) {
  EMBER_SKIP_UNLESS_READABLE("png");
  TempDir dir;
  write_png(dir.file("gray.png"), 3, 2, 1, {0, 50, 100, 150, 200, 255});
  const Tensor gray = data::read_image(dir.file("gray.png"));
  EXPECT_EQ(gray.dtype(), kUInt8);
  EXPECT_EQ(gray.sizes(), (Dims{1, 2, 3}));
  EXPECT_THAT(values(gray), ElementsAre(0, 50, 100, 150, 200, 255));
  // Gray to RGB repeats the value in each channel.
  EXPECT_THAT(values(data::read_image(dir.file("gray.png"), ImageReadMode::RGB)),
              ElementsAre(0, 50, 100, 150, 200, 255, 0, 50, 100, 150, 200, 255, 0, 50, 100, 150, 200, 255));

  write_png(dir.file("rgba.png"), 2, 1, 4, {10, 20, 30, 255, 40, 50, 60, 128});
  const Tensor rgba = data::read_image(dir.file("rgba.png"));
  EXPECT_EQ(rgba.sizes(), (Dims{4, 1, 2}));
  EXPECT_THAT(values(rgba), ElementsAre(10, 40, 20, 50, 30, 60, 255, 128));  // planar: C, H, W
  write_png(dir.file("rgb.png"), 2, 1, 3, {255, 0, 0, 0, 0, 255});
  const std::vector<double> luma = values(data::read_image(dir.file("rgb.png"), ImageReadMode::GRAY));
  ASSERT_EQ(luma.size(), 2u);
  EXPECT_EQ(luma[0], 76);  // PIL's convert("L"): 0.299 red
  EXPECT_EQ(luma[1], 29);  // 0.114 blue
  EXPECT_THAT(values(data::read_image(dir.file("rgb.png"), ImageReadMode::RGB_ALPHA)),
              ElementsAre(255, 0, 0, 0, 0, 255, 255, 255));
}
#endif

#ifdef EMBER_TEST_JPEG
TEST(ReadImage, JpegFlatColorsDecodeToTheirColor) {
  EMBER_SKIP_UNLESS_READABLE("jpeg");
  TempDir dir;
  write_jpeg(dir.file("red.jpg"), 8, 8, 3, {200, 40, 90});
  const Tensor rgb = data::read_image(dir.file("red.jpg"));
  EXPECT_EQ(rgb.sizes(), (Dims{3, 8, 8}));
  const std::vector<double> v = values(rgb);
  for (size_t i = 0; i < 64; ++i) {
    EXPECT_NEAR(v[i], 200, 2);
    EXPECT_NEAR(v[64 + i], 40, 2);
    EXPECT_NEAR(v[128 + i], 90, 2);
  }
  const Tensor with_alpha = data::read_image(dir.file("red.jpg"), ImageReadMode::RGB_ALPHA);
  EXPECT_EQ(with_alpha.sizes(), (Dims{4, 8, 8}));
  EXPECT_EQ(with_alpha.narrow(0, 3, 1).to(kFloat64).min().item<double>(), 255.0);
  write_jpeg(dir.file("gray.jpeg"), 5, 3, 1, {77});
  const Tensor gray = data::read_image(dir.file("gray.jpeg"));
  EXPECT_EQ(gray.sizes(), (Dims{1, 3, 5}));
  EXPECT_NEAR(gray.to(kFloat64).mean().item<double>(), 77, 1);
}
#endif

TEST(ReadImage, DamagedAndForeignFilesAreClearErrors) {
  TempDir dir;
  std::ofstream(dir.file("notes.png")) << "not an image at all";
  EXPECT_EMBER_ERROR(data::read_image(dir.file("notes.png")), "is neither a PNG nor a JPEG file");
  EXPECT_EMBER_ERROR(data::read_image(dir.file("missing.png")), "read_image: cannot open");
#ifdef EMBER_TEST_PNG
  if (data::can_read_image_format("png")) {
    write_png(dir.file("whole.png"), 16, 16, 3, std::vector<unsigned char>(16 * 16 * 3, 7));
    std::ifstream in(dir.file("whole.png"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(dir.file("cut.png"), std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    EXPECT_EMBER_ERROR(data::read_image(dir.file("cut.png")), "cut.png' is not a readable PNG");
  }
#endif
#ifdef EMBER_TEST_JPEG
  if (data::can_read_image_format("jpeg")) {
    std::ofstream(dir.file("cut.jpg"), std::ios::binary) << std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF", 10);
    EXPECT_EMBER_ERROR(data::read_image(dir.file("cut.jpg")), "cut.jpg' is not a readable JPEG");
    // Cut inside the scan data: libjpeg would fill the rest with grey and only warn.
    write_jpeg(dir.file("whole.jpg"), 64, 64, 3, {10, 200, 90});
    EXPECT_EQ(data::read_image(dir.file("whole.jpg")).sizes(), (Dims{3, 64, 64}));
    std::ifstream in(dir.file("whole.jpg"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t scan = bytes.find("\xFF\xDA");  // start of scan
    ASSERT_NE(scan, std::string::npos);
    std::ofstream(dir.file("scan_cut.jpg"), std::ios::binary) << bytes.substr(0, scan + (bytes.size() - scan) / 2);
    EXPECT_EMBER_ERROR(data::read_image(dir.file("scan_cut.jpg")), "scan_cut.jpg' is not a readable JPEG: Premature");
  }
#endif
  // Not regular files: refused at once (a FIFO opened plainly would block forever).
  ASSERT_EQ(::mkfifo(dir.file("pipe.png").c_str(), 0600), 0);
  EXPECT_EMBER_ERROR(data::read_image(dir.file("pipe.png")), "read_image: cannot open '" + dir.file("pipe.png") +
                                                                 "': not a regular file");
  fs::create_directories(dir.path() / "folder.png");
  EXPECT_EMBER_ERROR(data::read_image(dir.file("folder.png")), "not a regular file");
}

#ifdef EMBER_TEST_PNG
// root/cat/{z.png, a/x.png}, root/dog/{c.PNG, notes.txt}, root/readme.txt
void make_folder(const TempDir& dir) {
  fs::create_directories(dir.path() / "cat" / "a");
  fs::create_directories(dir.path() / "dog");
  write_png(dir.file("cat/z.png"), 2, 2, 1, {0, 51, 102, 153});
  write_png(dir.file("cat/a/x.png"), 2, 2, 1, {255, 255, 0, 0});
  write_png(dir.file("dog/c.PNG"), 2, 2, 1, {204, 204, 204, 204});
  std::ofstream(dir.file("dog/notes.txt")) << "ignored";
  std::ofstream(dir.file("readme.txt")) << "not a class";
}

TEST(ImageFolder, ClassesSamplesAndPixelsAsTorchvision) {
  EMBER_SKIP_UNLESS_READABLE("png");
  TempDir dir;
  make_folder(dir);
  const data::ImageFolder folder(dir.str(), {.mode = ImageReadMode::GRAY});
  EXPECT_THAT(folder.classes(), ElementsAre("cat", "dog"));
  EXPECT_EQ(folder.class_to_idx().at("dog"), 1);
  ASSERT_EQ(folder.size(), 3u);
  // torchvision's sorted(os.walk()): a folder's own files before its subfolders' files.
  EXPECT_EQ(folder.samples()[0].first, dir.file("cat/z.png"));
  EXPECT_EQ(folder.samples()[1].first, dir.file("cat/a/x.png"));
  EXPECT_EQ(folder.samples()[2], std::make_pair(dir.file("dog/c.PNG"), int64_t{1}));
  EXPECT_EQ(folder.inputs().sizes(), (Dims{3, 1, 2, 2}));
  ember::testing::expect_values(folder.inputs().narrow(0, 0, 1), {0, 0.2, 0.4, 0.6}, 1e-7);
  EXPECT_THAT(values(folder.targets()), ElementsAre(0, 0, 1));
  // The default mode is RGB (three equal channels from gray), then resize and normalise.
  const data::ImageFolder rgb(dir.str(), {.size = std::make_pair(int64_t{4}, int64_t{3}), .mean = {0.5}, .std = {0.25}});
  EXPECT_EQ(rgb.inputs().sizes(), (Dims{3, 3, 4, 3}));
  ember::testing::expect_values(rgb.inputs().narrow(0, 2, 1).narrow(1, 0, 1), std::vector<double>(12, (0.8 - 0.5) / 0.25),
                                1e-6);
  // Batches through the DataLoader as any in-memory data set.
  data::DataLoader loader(rgb, {.batch_size = 2, .shuffle = false, .drop_last = false, .seed = 0});
  size_t batches = 0;
  for (auto& batch : loader) {
    EXPECT_EQ(batch.x.size(1), 3);
    ++batches;
  }
  EXPECT_EQ(batches, 2u);
}

// torch 1.13: F.interpolate(x / 255, size=(1, 2), mode="bilinear", antialias=True / False) of
// x = [[0, 51, 102, 153], [204, 255, 0, 51]].
TEST(ImageFolder, LoadImageResizesAntialiasedAsTorchvisionsPilPath) {
  EMBER_SKIP_UNLESS_READABLE("png");
  TempDir dir;
  write_png(dir.file("wide.png"), 4, 2, 1, {0, 51, 102, 153, 204, 255, 0, 51});
  const auto one_by_two = std::make_pair(int64_t{1}, int64_t{2});
  const Tensor image = data::load_image(dir.file("wide.png"), ImageReadMode::GRAY, one_by_two);
  EXPECT_EQ(image.sizes(), (Dims{1, 1, 2}));
  ember::testing::expect_values(image, {0.4571428596973419, 0.34285715222358704}, 1e-6);
  ember::testing::expect_values(
      data::load_image(dir.file("wide.png"), ImageReadMode::GRAY, one_by_two, /*antialias=*/false),
      {0.5, 0.30000001192092896}, 1e-6);
  // no size, or its own size: the pixels as read
  const Tensor same =
      data::load_image(dir.file("wide.png"), ImageReadMode::GRAY, std::make_pair(int64_t{2}, int64_t{4}));
  ember::testing::expect_values(same, {0, 0.2, 0.4, 0.6, 0.8, 1.0, 0, 0.2}, 1e-6);
  EXPECT_EQ(data::load_image(dir.file("wide.png"), ImageReadMode::RGB).sizes(), (Dims{3, 2, 4}));
}

TEST(ImageFolder, BadFoldersAreTorchvisionsErrors) {
  EMBER_SKIP_UNLESS_READABLE("png");
  TempDir empty_root;
  EXPECT_EMBER_ERROR(data::ImageFolder(empty_root.str()), "Couldn't find any class folder in ");
  EXPECT_EMBER_ERROR(data::ImageFolder(empty_root.file("nowhere")), "is not a directory");
  TempDir dir;
  make_folder(dir);
  fs::create_directories(dir.path() / "empty_class");
  EXPECT_EMBER_ERROR(data::ImageFolder(dir.str()),
                     "Found no valid file for the classes empty_class. Supported extensions are: .jpg, .jpeg, .png");
  fs::remove(dir.path() / "empty_class");
  write_png(dir.file("dog/big.png"), 3, 3, 1, std::vector<unsigned char>(9, 1));
  EXPECT_EMBER_ERROR(data::ImageFolder(dir.str()), "every image must have the same size");
  fs::remove(dir.path() / "dog" / "big.png");
  std::ofstream(dir.file("dog/d.bmp")) << "BM";
  EXPECT_EMBER_ERROR(data::ImageFolder(dir.str()), "d.bmp' has an image extension ember does not decode");
  fs::remove(dir.path() / "dog" / "d.bmp");
  EXPECT_EMBER_ERROR(data::ImageFolder(dir.str(), {.mean = {0.5, 0.5}, .std = {0.2, 0.2}}),
                     "expected mean and std with 1 or 3 values, but got 2");
}
#endif

}  // namespace
}  // namespace ember
