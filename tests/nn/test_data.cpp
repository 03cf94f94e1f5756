// Data tests: the IDX reader on small gzip files made here (round trip and every
// malformed case), MNIST-layout datasets, Fashion-MNIST when installed, and DataLoader.
#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>

#include "core/memory.h"
#include "nn/data/dataloader.h"
#include "nn/data/datasets.h"
#include "nn/data/idx.h"
#include "support/helpers.h"

namespace fs = std::filesystem;
using namespace ember;
using namespace ember::data;

namespace {

using ember::testing::TempDir;

using Bytes = std::vector<uint8_t>;

// An IDX byte image: magic 00 00 08 ndims, big-endian dims, then the payload.
Bytes idx_image(const std::vector<uint32_t>& dims, const Bytes& payload, uint8_t type = 0x08) {
  Bytes b = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(d >> shift));
  }
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

void write_gz(const std::string& path, const Bytes& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  if (!bytes.empty()) {
    ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  }
  ASSERT_EQ(gzclose(f), Z_OK);
}

void write_raw(const std::string& path, const Bytes& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

Bytes read_raw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

Bytes iota_bytes(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 7 + 3);
  return b;
}

using ember::testing::error_of;

// A small MNIST-layout directory: n images of 28x28 and n_labels labels.
void write_mnist_dir(const TempDir& dir, Split split, int64_t n, int64_t n_labels, uint8_t bad_label = 0) {
  const auto [images, labels] = mnist_files(split);
  write_gz(dir.file(images), idx_image({static_cast<uint32_t>(n), 28, 28}, iota_bytes(static_cast<size_t>(n) * 784)));
  Bytes l(static_cast<size_t>(n_labels));
  for (size_t i = 0; i < l.size(); ++i) l[i] = static_cast<uint8_t>(i % 10);
  if (bad_label != 0) l.back() = bad_label;
  write_gz(dir.file(labels), idx_image({static_cast<uint32_t>(n_labels)}, l, 0x08));
}

}  // namespace

// ------------------------------------------------------------------ IDX

TEST(IdxTest, RoundTripThroughWriteIdx) {
  TempDir dir;
  Tensor t = tensor(iota_bytes(60), {3, 4, 5});
  write_idx(dir.file("a.gz"), t);
  Tensor back = read_idx(dir.file("a.gz"), 3);
  EXPECT_EQ(back.dtype(), kUInt8);
  EXPECT_EQ(back.sizes(), (Dims{3, 4, 5}));
  EXPECT_EQ(back.to_vector<uint8_t>(), iota_bytes(60));
}

TEST(IdxTest, ReadsHandMadeImagesAndLabels) {
  TempDir dir;
  write_gz(dir.file("img.gz"), idx_image({2, 3, 2}, iota_bytes(12)));
  write_gz(dir.file("lab.gz"), idx_image({4}, {9, 0, 1, 2}));
  Tensor img = read_idx(dir.file("img.gz"), 3);
  EXPECT_EQ(img.sizes(), (Dims{2, 3, 2}));
  EXPECT_EQ(img.to_vector<uint8_t>(), iota_bytes(12));
  Tensor lab = read_idx(dir.file("lab.gz"));
  EXPECT_EQ(lab.sizes(), (Dims{4}));
  EXPECT_EQ(lab.to_vector<uint8_t>(), (Bytes{9, 0, 1, 2}));
}

TEST(IdxTest, TruncatedDataSaysHowMuch) {
  TempDir dir;
  const std::string path = dir.file("train-images-idx3-ubyte.gz");
  write_gz(path, idx_image({60000, 28, 28}, iota_bytes(1000)));
  EXPECT_EQ(error_of([&] { read_idx(path, 3); }),
            "truncated IDX file '" + path + "': expected 47040000 bytes of data, got 1000");
}

// Note [Memory follows the data, not the header]: 4 GiB promised, 1000 bytes there.
TEST(IdxTest, AHugePromiseWithLittleDataAllocatesLittle) {
  TempDir dir;
  const std::string path = dir.file("promise.gz");
  write_gz(path, idx_image({65536, 65536}, iota_bytes(1000)));
  memory::reset_peak(Device::cpu());
  const int64_t before = memory::stats(Device::cpu()).allocated_bytes.current;
  EXPECT_EQ(error_of([&] { read_idx(path); }),
            "truncated IDX file '" + path + "': expected 4294967296 bytes of data, got 1000");
  EXPECT_LT(memory::stats(Device::cpu()).allocated_bytes.peak - before, int64_t{1} << 20);
}

TEST(IdxTest, TruncatedHeader) {
  TempDir dir;
  write_gz(dir.file("h.gz"), Bytes{0, 0, 8, 3, 0, 0});
  EXPECT_EMBER_ERROR(read_idx(dir.file("h.gz")), "expected 12 bytes of header, got 2");
}

TEST(IdxTest, CutGzipStream) {
  TempDir dir;
  write_gz(dir.file("full.gz"), idx_image({50, 40}, iota_bytes(2000)));
  Bytes gz = read_raw(dir.file("full.gz"));
  gz.resize(gz.size() / 2);
  write_raw(dir.file("cut.gz"), gz);
  const std::string msg = error_of([&] { read_idx(dir.file("cut.gz")); });
  EXPECT_NE(msg.find(dir.file("cut.gz")), std::string::npos) << msg;
  EXPECT_TRUE(msg.find("truncated IDX file") != std::string::npos || msg.find("corrupt gzip") != std::string::npos)
      << msg;
}

TEST(IdxTest, BadMagic) {
  TempDir dir;
  write_gz(dir.file("m.gz"), idx_image({4}, {1, 2, 3, 4}, 0x0D));  // float type code
  EXPECT_EMBER_ERROR(read_idx(dir.file("m.gz")), "bad magic in IDX file '" + dir.file("m.gz") + "'");
  write_gz(dir.file("l.gz"), idx_image({4}, {1, 2, 3, 4}));
  EXPECT_EMBER_ERROR(read_idx(dir.file("l.gz"), 3),
                     "expected 0x00000803 (unsigned byte data, 3 dimensions), got 0x00000801");
  write_gz(dir.file("z.gz"), Bytes{0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1, 7});
  EXPECT_EMBER_ERROR(read_idx(dir.file("z.gz")), "got 0x12340801");
}

TEST(IdxTest, NotGzip) {
  TempDir dir;
  const std::string raw = dir.file("raw.gz");
  write_raw(raw, idx_image({4}, {1, 2, 3, 4}));
  EXPECT_EMBER_ERROR(read_idx(raw), raw + "' is not a gzip file");
  // Without .gz in its name the same bytes are an uncompressed IDX file (torchvision's
  // extracted raw/ files), read with the same checks.
  const std::string plain = dir.file("raw-idx1-ubyte");
  write_raw(plain, idx_image({4}, {1, 2, 3, 4}));
  EXPECT_EQ(read_idx(plain, 1).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 2, 3, 4}));
  EXPECT_EQ(read_idx_dims(plain, 1), (Dims{4}));
  Bytes longer = idx_image({4}, {1, 2, 3, 4});
  longer.push_back(9);
  write_raw(plain, longer);
  EXPECT_EMBER_ERROR(read_idx(plain, 1), "has trailing bytes after the 4 bytes of data");
  Bytes shorter = idx_image({4}, {1, 2, 3, 4});
  shorter.pop_back();
  write_raw(plain, shorter);
  EXPECT_EMBER_ERROR(read_idx(plain, 1), "truncated IDX file");
  write_raw(dir.file("empty.gz"), {});
  const std::string msg = error_of([&] { read_idx(dir.file("empty.gz")); });
  EXPECT_NE(msg.find(dir.file("empty.gz")), std::string::npos) << msg;
}

TEST(IdxTest, CorruptStream) {
  TempDir dir;
  write_gz(dir.file("ok.gz"), idx_image({100}, iota_bytes(100)));
  Bytes gz = read_raw(dir.file("ok.gz"));
  for (size_t i = 10; i < gz.size() - 8; ++i) gz[i] = 0xFF;  // keep the gzip header, wreck the deflate data
  write_raw(dir.file("bad.gz"), gz);
  EXPECT_EMBER_ERROR(read_idx(dir.file("bad.gz")), "corrupt gzip stream in '" + dir.file("bad.gz") + "'");
}

TEST(IdxTest, TrailingBytes) {
  TempDir dir;
  write_gz(dir.file("t.gz"), idx_image({4}, {1, 2, 3, 4, 5}));
  EXPECT_EMBER_ERROR(read_idx(dir.file("t.gz")), "IDX file '" + dir.file("t.gz") + "' has trailing bytes");
}

TEST(IdxTest, MissingFile) {
  EXPECT_EMBER_ERROR(read_idx("/nonexistent/x-idx1-ubyte.gz"), "cannot open '/nonexistent/x-idx1-ubyte.gz'");
}

TEST(IdxTest, BadDimensions) {
  TempDir dir;
  write_gz(dir.file("zero.gz"), idx_image({3, 0, 2}, {}));
  EXPECT_EMBER_ERROR(read_idx(dir.file("zero.gz")), "has a zero dimension (3 x 0 x 2)");
  write_gz(dir.file("huge.gz"), idx_image({0xFFFFFFFF, 0xFFFFFFFF, 16}, {}));
  EXPECT_EMBER_ERROR(read_idx(dir.file("huge.gz")), "promises an absurd size");
  write_gz(dir.file("nodims.gz"), Bytes{0, 0, 8, 0});
  EXPECT_EMBER_ERROR(read_idx(dir.file("nodims.gz")), "bad magic");
}

// ------------------------------------------------------------------ datasets

TEST(DataMnistTest, ReadsSmallDirectory) {
  TempDir dir;
  write_mnist_dir(dir, Split::Test, 5, 5);
  MNIST raw(dir.str(), Split::Test, {.normalize = false});
  ASSERT_EQ(raw.size(), 5u);
  EXPECT_EQ(raw.inputs().sizes(), (Dims{5, 1, 28, 28}));
  EXPECT_EQ(raw.inputs().dtype(), kFloat32);
  EXPECT_EQ(raw.targets().dtype(), kInt64);
  EXPECT_EQ(raw.targets().to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  const Bytes src = iota_bytes(5 * 784);
  const auto x = raw.inputs().to_vector<float>();
  for (size_t i : {size_t{0}, size_t{1}, size_t{783}, size_t{3919}}) EXPECT_FLOAT_EQ(x[i], src[i] / 255.0f);

  MNIST norm(dir.str(), Split::Test);
  const auto xn = norm.inputs().to_vector<float>();
  EXPECT_NEAR(xn[1], (src[1] / 255.0 - MNIST::kMean) / MNIST::kStd, 1e-6);

  Example ex = norm.get(3);
  EXPECT_EQ(ex.x.sizes(), (Dims{1, 28, 28}));
  EXPECT_EQ(ex.y.item<int64_t>(), 3);
  EXPECT_EMBER_ERROR(norm.get(5), "dataset index 5 is out of range for a dataset of 5 samples");
}

TEST(DataMnistTest, CountMismatchAndBadLabels) {
  TempDir dir;
  write_mnist_dir(dir, Split::Train, 5, 4);
  EXPECT_EMBER_ERROR(MNIST(dir.str(), Split::Train),
                     "train-images-idx3-ubyte.gz holds 5 images but train-labels-idx1-ubyte.gz holds 4 labels");
  // Another image size is refused from the header, before the data is inflated (a small
  // gzip of zeros could hold gigabytes of 16384x16384 images).
  TempDir big;
  const auto [images, labels] = mnist_files(Split::Test);
  write_gz(big.file(images), idx_image({1, 16384, 16384}, Bytes(64)));  // the header alone
  write_gz(big.file(labels), idx_image({1}, Bytes(1), 0x08));
  EXPECT_EMBER_ERROR(FashionMNIST(big.str(), Split::Test),
                     "t10k-images-idx3-ubyte.gz holds 16384x16384 images, expected 28x28");
  TempDir dir2;
  write_mnist_dir(dir2, Split::Train, 3, 3, 12);
  EXPECT_EMBER_ERROR(MNIST(dir2.str(), Split::Train),
                     "label 12 at index 2 of train-labels-idx1-ubyte.gz is outside 0..9");
}

// torchvision's extracted files (no .gz) are read as the compressed ones; MNIST's split
// defaults to the training set, as torchvision's train=True.
TEST(DataMnistTest, ReadsUncompressedFilesAndDefaultsToTrain) {
  TempDir gz, plain;
  write_mnist_dir(gz, Split::Train, 4, 4);
  const auto [images, labels] = mnist_files(Split::Train);
  // Gunzip by hand: the uncompressed file is the gzip stream's content.
  for (const std::string& name : {images, labels}) {
    const std::string target = plain.file(name.substr(0, name.size() - 3));
    gzFile in = gzopen(gz.file(name).c_str(), "rb");
    ASSERT_NE(in, nullptr);
    Bytes content(1 << 16);
    Bytes all;
    int n = 0;
    while ((n = gzread(in, content.data(), static_cast<unsigned>(content.size()))) > 0)
      all.insert(all.end(), content.begin(), content.begin() + n);
    gzclose(in);
    write_raw(target, all);
  }
  MNIST from_gz(gz.str(), Split::Train);
  MNIST from_plain(plain.str());
  EXPECT_TRUE(equal(from_plain.inputs(), from_gz.inputs()));
  EXPECT_TRUE(equal(from_plain.targets(), from_gz.targets()));
  EXPECT_EQ(from_plain.size(), 4u);
}

TEST(DataMnistTest, MissingFilesNameTheDirectory) {
  EXPECT_EQ(error_of([] { FashionMNIST("/nonexistent/fm", Split::Train); }),
            "Fashion-MNIST not found in '/nonexistent/fm': expected train-images-idx3-ubyte.gz or "
            "train-images-idx3-ubyte (install Debian's dataset-fashion-mnist or put the four IDX files there, here or "
            "in torchvision's /nonexistent/fm/FashionMNIST/raw)");
  TempDir dir;
  write_mnist_dir(dir, Split::Test, 2, 2);
  fs::remove(dir.file("t10k-labels-idx1-ubyte.gz"));
  EXPECT_EMBER_ERROR(MNIST(dir.str(), Split::Test),
                     "MNIST not found in '" + dir.str() + "': expected t10k-labels-idx1-ubyte.gz");
}

// torchvision's datasets.FashionMNIST(root="data", download=True) leaves the files in
// data/FashionMNIST/raw: that root works as it does in torchvision.
TEST(DataMnistTest, ReadsTorchvisionsFolderUnderTheRoot) {
  TempDir plain, torchvision;
  write_mnist_dir(plain, Split::Test, 3, 3);
  const fs::path raw = fs::path(torchvision.str()) / "MNIST" / "raw";
  fs::create_directories(raw);
  for (const auto& entry : fs::directory_iterator(plain.str()))
    fs::copy_file(entry.path(), raw / entry.path().filename());
  MNIST from_root(plain.str(), Split::Test), from_torchvision(torchvision.str(), Split::Test);
  EXPECT_EQ(from_torchvision.size(), 3u);
  EXPECT_TRUE(equal(from_torchvision.inputs(), from_root.inputs()));
  EXPECT_TRUE(equal(from_torchvision.targets(), from_root.targets()));
  fs::remove(raw / "t10k-labels-idx1-ubyte.gz");  // the folder it chose is named
  EXPECT_EMBER_ERROR(MNIST(torchvision.str(), Split::Test),
                     "MNIST not found in '" + raw.string() + "': expected t10k-labels-idx1-ubyte.gz or t10k-labels");
}

class DataFashionMnistTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(fs::path(FashionMNIST::kDefaultRoot) / "train-images-idx3-ubyte.gz")) {
      GTEST_SKIP() << "Fashion-MNIST is not installed in " << FashionMNIST::kDefaultRoot;
    }
  }
};

TEST_F(DataFashionMnistTest, TrainSplit) {
  FashionMNIST train(FashionMNIST::kDefaultRoot, Split::Train);
  ASSERT_EQ(train.size(), 60000u);
  EXPECT_EQ(train.inputs().sizes(), (Dims{60000, 1, 28, 28}));
  const auto labels = train.targets().to_vector<int64_t>();
  EXPECT_EQ(labels[0], 9);
  EXPECT_EQ(FashionMNIST::classes()[9], "Ankle boot");
  EXPECT_EQ(*std::min_element(labels.begin(), labels.end()), 0);
  EXPECT_EQ(*std::max_element(labels.begin(), labels.end()), 9);
  // Normalised with the training set's own statistics: mean ~0, std ~1.
  EXPECT_NEAR(train.inputs().mean().item<float>(), 0.0, 0.01);

  DataLoader loader(train, {.batch_size = 128, .shuffle = true, .drop_last = false, .seed = 0});
  EXPECT_EQ(loader.size(), 469u);
  size_t batches = 0;
  int64_t seen = 0;
  for (auto& batch : loader) {
    EXPECT_EQ(batch.x.size(1), 1);
    EXPECT_EQ(batch.y.dtype(), kInt64);
    seen += batch.x.size(0);
    ++batches;
  }
  EXPECT_EQ(batches, 469u);
  EXPECT_EQ(seen, 60000);
}

TEST_F(DataFashionMnistTest, TestSplitUnnormalised) {
  FashionMNIST test(FashionMNIST::kDefaultRoot, Split::Test, {.normalize = false});
  ASSERT_EQ(test.size(), 10000u);
  const Tensor& x = test.inputs();
  EXPECT_GE(x.min().item<float>(), 0.0f);
  EXPECT_LE(x.max().item<float>(), 1.0f);
  EXPECT_NEAR(x.mean().item<float>(), FashionMNIST::kMean, 0.01);
}

// ------------------------------------------------------------------ DataLoader

namespace {

// n samples: x row i is {i, -i}, y is i.
TensorDataset counting(int64_t n) {
  std::vector<float> x;
  for (int64_t i = 0; i < n; ++i) {
    x.push_back(static_cast<float>(i));
    x.push_back(static_cast<float>(-i));
  }
  return TensorDataset(tensor(x, {n, 2}), arange(0, n, 1, TensorOptions(kInt64)));
}

std::vector<int64_t> one_epoch(DataLoader& loader, std::vector<int64_t>* sizes = nullptr) {
  std::vector<int64_t> ys;
  for (auto& batch : loader) {
    if (sizes) sizes->push_back(batch.x.size(0));
    const auto y = batch.y.to_vector<int64_t>();
    const auto x = batch.x.to_vector<float>();
    for (size_t k = 0; k < y.size(); ++k) {
      EXPECT_EQ(x[2 * k], static_cast<float>(y[k]));
      EXPECT_EQ(x[2 * k + 1], -static_cast<float>(y[k]));
    }
    ys.insert(ys.end(), y.begin(), y.end());
  }
  return ys;
}

// get() throws for one index, to test error propagation from the prefetch thread.
class Faulty : public Dataset {
 public:
  size_t size() const override { return 20; }
  Example get(size_t i) const override {
    EMBER_CHECK(i != 13, "sample 13 is unreadable");
    return {full({2}, static_cast<double>(i)), scalar_tensor(static_cast<int64_t>(i), TensorOptions(kInt64))};
  }
  std::shared_ptr<const Dataset> clone() const override { return std::make_shared<Faulty>(*this); }
};

}  // namespace

TEST(DataLoaderTest, BatchSizesAndDropLast) {
  DataLoader keep(counting(10), {.batch_size = 4});
  std::vector<int64_t> sizes;
  EXPECT_EQ(one_epoch(keep, &sizes), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2}));
  EXPECT_EQ(keep.size(), 3u);

  DataLoader drop(counting(10), {.batch_size = 4, .drop_last = true});
  sizes.clear();
  EXPECT_EQ(one_epoch(drop, &sizes).size(), 8u);
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4}));
  EXPECT_EQ(drop.size(), 2u);

  DataLoader empty(counting(0), {.batch_size = 4});
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_TRUE(one_epoch(empty).empty());

  EXPECT_EMBER_ERROR(DataLoader(counting(3), {.batch_size = 0}), "batch_size should be a positive integer value");
}

// A loader moves (returned from a function, assigned to a member later); an iterator used
// after the move stops with the ended-epoch error: neither a crash nor the other loader's data.
TEST(DataLoaderTest, MovingEndsItsIterators) {
  auto make = [](int64_t n) { return DataLoader(counting(n), {.batch_size = 4}); };
  DataLoader first = make(10);
  auto it = first.begin();
  EXPECT_EQ(it->y.size(0), 4);
  DataLoader taken = std::move(first);
  EXPECT_EMBER_ERROR(++it, "this iterator belongs to an epoch that has ended");
  EXPECT_EQ(taken.size(), 3u);
  EXPECT_EQ(one_epoch(taken), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  // Assigned over: the old iterator does not read the moved-in loader's epoch.
  DataLoader other = make(20);
  auto other_it = other.begin();
  auto taken_it = taken.begin();
  taken = std::move(other);
  EXPECT_EMBER_ERROR(++taken_it, "this iterator belongs to an epoch that has ended");
  EXPECT_EMBER_ERROR(++other_it, "this iterator belongs to an epoch that has ended");
  EXPECT_EQ(taken.size(), 5u);
  EXPECT_EQ(one_epoch(taken).size(), 20u);
}

TEST(DataLoaderTest, ShuffleCoversEveryIndexOncePerEpoch) {
  DataLoader loader(counting(1000), {.batch_size = 64, .shuffle = true, .drop_last = false, .seed = 7});
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::vector<int64_t> ys = one_epoch(loader);
    std::vector<int64_t> expected(1000);
    std::iota(expected.begin(), expected.end(), 0);
    EXPECT_NE(ys, expected);
    std::sort(ys.begin(), ys.end());
    EXPECT_EQ(ys, expected);
  }
  EXPECT_EQ(loader.epoch(), 3u);
}

TEST(DataLoaderTest, ShuffleIsReproducibleAndChangesEachEpoch) {
  const DataLoaderOptions opts{.batch_size = 32, .shuffle = true, .drop_last = false, .seed = 42};
  DataLoader a(counting(500), opts);
  DataLoader b(counting(500), opts);
  const auto a0 = one_epoch(a);
  const auto a1 = one_epoch(a);
  EXPECT_EQ(a0, one_epoch(b));
  EXPECT_EQ(a1, one_epoch(b));
  EXPECT_NE(a0, a1);
  EXPECT_EQ(a0, a.order(0));

  DataLoader other_seed(counting(500), {.batch_size = 32, .shuffle = true, .seed = 43});
  EXPECT_NE(a0, one_epoch(other_seed));

  DataLoader resumed(counting(500), opts);
  resumed.set_epoch(1);
  EXPECT_EQ(one_epoch(resumed), a1);

  DataLoader plain(counting(5), {.batch_size = 2});
  EXPECT_EQ(one_epoch(plain), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(one_epoch(plain), (std::vector<int64_t>{0, 1, 2, 3, 4}));
}

// Without a seed, the first begin() draws one: order() before it is an error (it used to give
// seed 0's permutation, not the one the epoch served), and after it the epoch's order.
TEST(DataLoaderTest, OrderOfAnUnseededLoaderIsKnownOnceItBegan) {
  manual_seed(123);
  DataLoader loader(counting(10), {.batch_size = 10, .shuffle = true});
  EXPECT_EMBER_ERROR(loader.order(0), "draws its seed at the first begin()");
  const auto served = one_epoch(loader);
  EXPECT_EQ(loader.order(0), served);
  DataLoader in_order(counting(3), {.batch_size = 2});
  EXPECT_EQ(in_order.order(0), (std::vector<int64_t>{0, 1, 2}));
}

TEST(DataLoaderTest, EarlyBreakDoesNotHang) {
  DataLoader loader(counting(1000), {.batch_size = 10, .shuffle = true});
  for (auto& batch : loader) {
    EXPECT_EQ(batch.x.size(0), 10);
    break;
  }
  EXPECT_EQ(one_epoch(loader).size(), 1000u);  // a new epoch after the abandoned one
  {
    DataLoader abandoned(counting(1000), {.batch_size = 10});
    auto it = abandoned.begin();
    ++it;
  }  // destroyed mid-epoch: the worker must be joined, not left running
  auto stale = loader.begin();
  loader.begin();
  EXPECT_EMBER_ERROR(++stale, "belongs to an epoch that has ended");
}

TEST(DataLoaderTest, WorkerErrorsReachTheConsumer) {
  DataLoader loader(Faulty(), {.batch_size = 4});
  int64_t seen = 0;
  EXPECT_EMBER_ERROR(for (auto& batch : loader) seen += batch.x.size(0), "sample 13 is unreadable");
  EXPECT_EQ(seen, 12);
  // The default get_batch stacks get() results.
  DataLoader ok(Faulty(), {.batch_size = 4, .drop_last = true});
  auto it = ok.begin();
  EXPECT_EQ(it->x.sizes(), (Dims{4, 2}));
  EXPECT_EQ(it->y.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3}));
}

// Note [Nothing after the gzip stream]: what follows a complete gzip member must be
// another member; junk (zero padding included) is an error giving where it starts.
TEST(IdxGzipEnd, JunkAfterTheStreamIsRefused) {
  TempDir dir;
  write_gz(dir.file("good.gz"), idx_image({4}, {1, 2, 3, 4}));
  const Bytes good = read_raw(dir.file("good.gz"));
  const std::string at = "from byte " + std::to_string(good.size()) + ")";
  const std::pair<const char*, Bytes> tails[] = {
      {"text.gz", {'j', 'u', 'n', 'k', '\n'}},
      {"zeros.gz", Bytes(512, 0)},
      {"magic.gz", {0x1f, 0x8b, 0x00, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42}},
      {"half-magic.gz", {0x1f}},
  };
  for (const auto& [name, tail] : tails) {
    SCOPED_TRACE(name);
    Bytes bytes = good;
    bytes.insert(bytes.end(), tail.begin(), tail.end());
    write_raw(dir.file(name), bytes);
    const std::string msg = error_of([&] { read_idx(dir.file(name), 1); });
    EXPECT_NE(msg.find(std::string("'") + dir.file(name) + "' has " + std::to_string(tail.size()) +
                       " bytes after the end of its gzip stream (" + at),
              std::string::npos)
        << msg;
  }
}

TEST(IdxGzipEnd, ConcatenatedMembersAreOneStream) {
  TempDir dir;
  const Bytes image = idx_image({2, 3}, {9, 8, 7, 6, 5, 4});
  write_gz(dir.file("a.gz"), Bytes(image.begin(), image.begin() + 7));
  write_gz(dir.file("b.gz"), Bytes(image.begin() + 7, image.end()));
  write_gz(dir.file("empty.gz"), {});
  Bytes joined = read_raw(dir.file("a.gz"));
  for (const char* part : {"b.gz", "empty.gz"}) {
    const Bytes more = read_raw(dir.file(part));
    joined.insert(joined.end(), more.begin(), more.end());
  }
  write_raw(dir.file("joined.gz"), joined);  // as `cat a.gz b.gz empty.gz`
  Tensor t = read_idx(dir.file("joined.gz"), 2);
  EXPECT_EQ(t.sizes(), (Dims{2, 3}));
  EXPECT_EQ(t.to_vector<uint8_t>(), (std::vector<uint8_t>{9, 8, 7, 6, 5, 4}));
}
