// Output paths checked before the work (nn::check_writable_target) and write errors of
// the kernel itself reported by write_file_atomically: a write past RLIMIT_FSIZE fails
// with EFBIG, as on a full disk, and must be an error that leaves nothing behind.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include "nn/serialize/files.h"
#include "support/helpers.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace ember;
using ember::testing::TempDir;

namespace {

size_t entries(const fs::path& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(WritableTarget, AGoodTargetPassesAndNothingIsLeftBehind) {
  TempDir dir;
  nn::check_writable_target(dir.file("new.safetensors"), "save");
  EXPECT_EQ(entries(dir.path()), 0u);
  nn::write_text_atomically(dir.file("old.json"), "write --json file", "old");
  nn::check_writable_target(dir.file("old.json"), "write --json file");
  EXPECT_EQ(read_all(dir.file("old.json")), "old");
  EXPECT_EQ(entries(dir.path()), 1u);
  fs::create_symlink(dir.file("old.json"), dir.file("link.json"));
  nn::check_writable_target(dir.file("link.json"), "write --json file");
  fs::create_symlink(dir.file("nowhere.json"), dir.file("dangling.json"));
  nn::check_writable_target(dir.file("dangling.json"), "write --json file");
  EXPECT_EQ(entries(dir.path()), 3u);
}

TEST(WritableTarget, BadTargetsAreRefusedWithTheReason) {
  TempDir dir;
  const std::string missing = dir.file("no/such/folder/model.safetensors");
  EXPECT_EMBER_ERROR(nn::check_writable_target(missing, "save"),
                     "cannot save '" + missing + "': its folder '" + dir.file("no/such/folder") + "' does not exist");
  fs::create_directory(dir.file("folder"));
  EXPECT_EMBER_ERROR(nn::check_writable_target(dir.file("folder"), "save"),
                     "cannot save '" + dir.file("folder") + "': it is a directory");
  EXPECT_EMBER_ERROR(nn::check_writable_target(dir.file("folder") + "/", "save"), "expected a file name");
  const std::string fifo = dir.file("out.json");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EMBER_ERROR(nn::check_writable_target(fifo, "write --json file"), "it exists and is not a regular file");
  EXPECT_EMBER_ERROR(nn::check_writable_target("/dev/full", "write --json file"),
                     "cannot write --json file '/dev/full': it exists and is not a regular file");
  nn::write_text_atomically(dir.file("file"), "save", "x");
  EXPECT_EMBER_ERROR(nn::check_writable_target(dir.file("file") + "/model.safetensors", "save"),
                     std::string("'") + dir.file("file") + "' is not a folder");
  EXPECT_EMBER_ERROR(nn::check_writable_target("", "save"), "the path is empty");
  EXPECT_EQ(entries(dir.path()), 3u);  // folder, fifo, file: nothing added
}

// RLIMIT_FSIZE set low (and SIGXFSZ ignored) for the guard's lifetime.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &old_);
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit low = old_;
    low.rlim_cur = bytes;
    ok_ = ::setrlimit(RLIMIT_FSIZE, &low) == 0;
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }
  bool ok() const { return ok_; }

 private:
  rlimit old_{};
  void (*old_handler_)(int) = nullptr;
  bool ok_ = false;
};

TEST(WriteErrors, AWriteTheKernelRefusesIsReportedAndLeavesTheOldFile) {
  TempDir dir;
  const std::string path = dir.file("out.json");
  nn::write_text_atomically(path, "write --json file", "old");
  const std::string big(64 * 1024, 'x');
  {
    FileSizeLimit limit(4096);
    ASSERT_TRUE(limit.ok());
    EXPECT_EMBER_ERROR(nn::write_text_atomically(path, "write --json file", big),
                       "cannot write --json file '" + path + "': cannot write it: File too large");
  }
  EXPECT_EQ(read_all(path), "old");
  EXPECT_EQ(entries(dir.path()), 1u);
  nn::write_text_atomically(path, "write --json file", big);  // the limit gone, it works
  EXPECT_EQ(read_all(path).size(), big.size());
}

// A name near the folder's limit still gets its temporary (the temporary's name is cut
// short); a name past the limit is refused before the work, not after it.
TEST(WritableTarget, LongNamesAreWrittenOrRefusedUpFront) {
  TempDir dir;
  const std::string longest = dir.file(std::string(250, 'n') + ".json");  // 255 bytes
  nn::check_writable_target(longest, "write --json file");
  nn::write_text_atomically(longest, "write --json file", "long");
  EXPECT_EQ(read_all(longest), "long");
  EXPECT_EQ(entries(dir.path()), 1u);
  const std::string too_long = dir.file(std::string(251, 'n') + ".json");
  EXPECT_EMBER_ERROR(nn::check_writable_target(too_long, "save"), "the file name is 256 bytes long");
}

// A replaced file keeps its permissions; a new one gets 0666 less the umask, as open(2) gives.
TEST(WritableTarget, PermissionsAreKeptOrFollowTheUmask) {
  TempDir dir;
  const std::string path = dir.file("private.json");
  nn::write_text_atomically(path, "write --json file", "old");
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  nn::write_text_atomically(path, "write --json file", "new");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(::chmod(path.c_str(), 04750), 0);  // setuid is not carried over
  nn::write_text_atomically(path, "write --json file", "again");
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  const mode_t old_mask = ::umask(027);
  nn::write_text_atomically(dir.file("fresh.json"), "write --json file", "x");
  ::umask(old_mask);
  ASSERT_EQ(::stat(dir.file("fresh.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

}  // namespace
