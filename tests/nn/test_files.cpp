// Files from and for users (nn/serialize/files.h, core/parse.h): no hang on a FIFO, no
// write through a planted link or over a non-regular file, nothing left behind by a
// failed write, strict integers, and device indices checked.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/parse.h"
#include "nn/optim/sgd.h"
#include "nn/serialize/files.h"
#include "nn/serialize/safetensors.h"
#include "support/helpers.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace ember;
using ember::testing::TempDir;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

size_t entries(const fs::path& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

TEST(SafeFiles, FifoIsRefusedWithoutBlocking) {
  TempDir dir;
  const std::string fifo = dir.file("checkpoint.safetensors");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EMBER_ERROR(nn::open_regular_file(fifo), "not a regular file");
  EXPECT_EMBER_ERROR(nn::load(fifo), "not a regular file");
  EXPECT_EMBER_ERROR(nn::load_metadata(fifo), "not a regular file");
  EXPECT_EMBER_ERROR(nn::open_regular_file(dir.path().string()), "not a regular file");
}

TEST(SafeFiles, SavingOverANonRegularFileIsRefused) {
  TempDir dir;
  const std::string fifo = dir.file("out.json");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EMBER_ERROR(nn::write_text_atomically(fifo, "write --json file", "{}"), "is not a regular file");
  EXPECT_EMBER_ERROR(nn::save({{"w", ones({2})}}, fifo), "cannot save '" + fifo + "': it exists and is not a regular");
  struct stat st {};
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));  // left as it was
  const std::string link = dir.file("to-fifo");
  fs::create_symlink(fifo, link);
  EXPECT_EMBER_ERROR(nn::write_text_atomically(link, "save", "x"), "a link to something that is not a regular file");
  EXPECT_EQ(entries(dir.path()), 2u);
}

TEST(SafeFiles, ALinkAtThePathIsReplacedNotWrittenThrough) {
  TempDir dir;
  const std::string victim = dir.file("victim");
  { std::ofstream(victim) << "precious"; }
  const std::string path = dir.file("model.safetensors");
  fs::create_symlink(victim, path);
  nn::write_text_atomically(path, "save", "new");
  EXPECT_EQ(read_all(victim), "precious");
  EXPECT_FALSE(fs::is_symlink(path));
  EXPECT_EQ(read_all(path), "new");
}

TEST(SafeFiles, LinksPlantedAtTemporaryNamesAreNeverFollowed) {
  TempDir dir;
  const std::string victim = dir.file("victim");
  { std::ofstream(victim) << "precious"; }
  // Every name a save could pick for its temporary with a guessable scheme.
  for (const std::string& suffix : std::vector<std::string>{"tmp", "tmp-" + std::to_string(::getpid()), "tmp-XXXXXX"})
    fs::create_symlink(victim, dir.file(".model.safetensors." + suffix));
  fs::create_symlink(victim, dir.file("model.safetensors.tmp-" + std::to_string(::getpid())));
  nn::save({{"w", ones({3})}}, dir.file("model.safetensors"));
  EXPECT_EQ(read_all(victim), "precious");
  EXPECT_EQ(nn::load(dir.file("model.safetensors"))[0].first, "w");
  EXPECT_EQ(entries(dir.path()), 6u);  // victim, 4 links, the checkpoint: no temporary left
}

TEST(SafeFiles, AFailedWriteLeavesNothingAndKeepsTheOldFile) {
  TempDir dir;
  const std::string path = dir.file("out.json");
  nn::write_text_atomically(path, "write --json file", "old");
  EXPECT_EMBER_ERROR(nn::write_file_atomically(path, "write --json file", [](int) {
                       errno = ENOSPC;
                       return false;
                     }),
                     "cannot write --json file '" + path + "': cannot write it: No space left on device");
  EXPECT_EQ(read_all(path), "old");
  EXPECT_EQ(entries(dir.path()), 1u);
  EXPECT_EMBER_ERROR(nn::write_text_atomically(dir.file("missing/dir/out.json"), "write --json file", "x"),
                     "cannot create a temporary file");
}

TEST(SafeFiles, WrittenFilesAreReadableByOthers) {
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  nn::save({{"w", ones({1})}}, path);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IRUSR);
  EXPECT_TRUE(st.st_mode & S_IWUSR);
}

TEST(StrictIntegers, WholeTextInRange) {
  EXPECT_EQ(parse_integer("7", 0, 10, "epoch"), 7);
  EXPECT_EQ(parse_integer("-3", -5, 10, "x"), -3);
  EXPECT_EMBER_ERROR(parse_integer("7x", 0, 10, "the epoch"), "the epoch: expected a decimal integer, but got '7x'");
  EXPECT_EMBER_ERROR(parse_integer("", 0, 10, "epoch"), "expected a decimal integer");
  EXPECT_EMBER_ERROR(parse_integer(" 7", 0, 10, "epoch"), "expected a decimal integer");
  EXPECT_EMBER_ERROR(parse_integer("+7", 0, 10, "epoch"), "expected a decimal integer");
  EXPECT_EMBER_ERROR(parse_integer("11", 0, 10, "epoch"), "expected an integer from 0 to 10, but got '11'");
  EXPECT_EMBER_ERROR(parse_integer("12345678901234567890123", 0, 10, "index"), "expected an integer from 0 to 10");
  EXPECT_EMBER_ERROR(parse_integer("2147483647", 0, 100000, "epoch"), "from 0 to 100000");
}

TEST(StrictIntegers, OptimizerStateIndexOutOfRangeIsAnEmberError) {
  Tensor p = ones({2}).requires_grad_(true);
  optim::SGD sgd({p}, {.lr = 0.1, .momentum = 0.9});
  optim::StateDict sd = sgd.state_dict();
  sd.emplace_back("state.12345678901234567890123.momentum_buffer", zeros({2}));
  EXPECT_THROW(sgd.load_state_dict(sd), Error);
}

TEST(DeviceIndex, NegativeCudaIndexIsAnError) {
  EXPECT_EMBER_ERROR(Device::cuda(-1), "expected a device index from 0 to 1023, but got -1");
  EXPECT_EMBER_ERROR(Device("cuda:-1"), "Expected one of cpu, cuda, cuda:N");
  EXPECT_EQ(Device::cuda(3).index(), 3);
}

// PyTorch's device strings: "cpu:0" is the CPU, another CPU index is refused, and "cuda" is
// the current device (cuda:0 without a GPU).
TEST(DeviceIndex, CpuZeroAndTheCurrentCudaDevice) {
  EXPECT_EQ(Device("cpu:0"), Device::cpu());
  EXPECT_EMBER_ERROR(Device("cpu:1"), "CPU device index must be -1 or zero, got 1");
  EXPECT_EMBER_ERROR(Device("cpu:-1"), "Expected one of cpu, cuda, cuda:N device string, but got: 'cpu:-1'");
  const int current = cuda::is_available() ? cuda::current_device() : 0;
  EXPECT_EQ(Device("cuda"), Device::cuda(current));
}

}  // namespace
