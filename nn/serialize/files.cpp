// Safe file reading and atomic writing for checkpoints and reports (nn/serialize/files.h).
#include "nn/serialize/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>  // NAME_MAX
#include <cstring>
#include <filesystem>
#include <random>
#include <utility>

#include "core/error.h"

namespace ember::nn {

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.release();
  }
  return *this;
}

int Fd::release() { return std::exchange(fd_, -1); }

bool Fd::close() {
  const int fd = std::exchange(fd_, -1);
  return fd < 0 || ::close(fd) == 0;
}

bool write_all(int fd, const void* data, size_t n) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (w == 0) errno = EIO;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool read_at(int fd, void* data, size_t n, uint64_t offset) {
  auto* p = static_cast<char*>(data);
  while (n > 0) {
    const ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
    offset += static_cast<uint64_t>(r);
  }
  return true;
}

Fd open_regular_file(const std::string& path, uint64_t* size) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) EMBER_FAIL("cannot open '", path, "': ", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) EMBER_FAIL("cannot open '", path, "': ", std::strerror(errno));
  EMBER_CHECK(S_ISREG(st.st_mode), "cannot open '", path, "': not a regular file");
  // Regular files never block; clear the flag anyway so reads behave as usual.
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  if (size) *size = static_cast<uint64_t>(st.st_size);
  return fd;
}

namespace {

std::string parent_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

// The longest file name `dir` takes (NAME_MAX where the file system does not say).
size_t name_max(const std::string& dir) {
  const long n = ::pathconf(dir.c_str(), _PC_NAME_MAX);
  return n > 0 ? static_cast<size_t>(n) : NAME_MAX;
}

// "<dir>/.<name>.tmp-<suffix>" (built by appending: GCC 12 misreports `"literal" + std::string`),
// the name cut short where the whole would be longer than the folder takes (a target
// name near the limit must still get a temporary).
std::string temporary_name(const std::string& path, const std::string& suffix) {
  const std::filesystem::path p(path);
  std::string tail(".tmp-");
  tail.append(suffix);
  const size_t room = name_max(parent_of(path)) - 1 - tail.size();  // suffix <= 20 digits; NAME_MAX >= 255
  std::string file(".");
  file.append(p.filename().string().substr(0, room)).append(tail);
  return (p.parent_path() / file).string();
}

// An existing target's permission bits, which the file replacing it keeps, as writing it in
// place would (which also clears setuid and setgid: those are dropped). A new file is made
// 0666 and the kernel applies the umask, as open(2) does (reading the umask would mean
// setting it, racing other threads' file creation).
std::optional<mode_t> existing_mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return st.st_mode & 0777;
  return std::nullopt;
}

// O_TMPFILE files are named through /proc/self/fd (name_temporary); without /proc
// (some containers) only a named temporary can be renamed into place.
bool proc_fd_available() {
  static const bool available = ::access("/proc/self/fd", X_OK) == 0;
  return available;
}

// A new file for `path`'s contents: an unnamed O_TMPFILE file in its directory, or else
// an exclusively created `.<name>.tmp-<random>` (O_CREAT | O_EXCL | O_NOFOLLOW, so a link
// planted at that name makes creation fail instead of being followed).
struct Temporary {
  Fd fd;
  std::string name;  // empty for an O_TMPFILE file
};

uint64_t random_suffix() {
  static thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine();
}

Temporary create_temporary(const std::string& path) {
  Temporary t;
  const std::optional<mode_t> mode = existing_mode(path);
#ifdef O_TMPFILE
  if (proc_fd_available()) t.fd = Fd(::open(parent_of(path).c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666));
#endif
  // Else a named one: O_CREAT | O_EXCL never follows a link planted at the name.
  for (int attempt = 0; t.fd.get() < 0 && attempt < 16; ++attempt) {
    std::string name = temporary_name(path, std::to_string(random_suffix()));
    t.fd = Fd(::open(name.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0666));
    if (t.fd.get() >= 0) {
      t.name = std::move(name);
    } else if (errno != EEXIST) {
      break;
    }
  }
  if (t.fd.get() >= 0 && mode) ::fchmod(t.fd.get(), *mode);
  return t;
}

// Gives an O_TMPFILE file a name next to `path` (linkat through /proc, which needs no
// privilege), so that it can be renamed over `path`.
bool name_temporary(Temporary& t, const std::string& path) {
  if (!t.name.empty()) return true;
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string name = temporary_name(path, std::to_string(random_suffix()));
    const std::string proc = "/proc/self/fd/" + std::to_string(t.fd.get());
    if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0) {
      t.name = std::move(name);
      return true;
    }
    if (errno != EEXIST) return false;
  }
  return false;
}

// An existing `path` must be a regular file or a link (to a regular file, or dangling):
// anything else (a directory, a FIFO, a device) is never replaced.
void check_target_kind(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  EMBER_CHECK(!S_ISDIR(st.st_mode), "cannot ", what, " '", path, "': it is a directory");
  EMBER_CHECK(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode), "cannot ", what, " '", path,
              "': it exists and is not a regular file");
  if (S_ISLNK(st.st_mode) && ::stat(path.c_str(), &st) == 0)
    EMBER_CHECK(S_ISREG(st.st_mode), "cannot ", what, " '", path,
                "': it is a link to something that is not a regular file");
}

}  // namespace

void check_writable_target(const std::string& path, const std::string& what) {
  EMBER_CHECK(!path.empty(), "cannot ", what, ": the path is empty");
  EMBER_CHECK(path.back() != '/', "cannot ", what, " '", path, "': expected a file name, got a folder name");
  const std::string dir = parent_of(path);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    EMBER_FAIL("cannot ", what, " '", path, "': its folder '", dir, "' ", errno == ENOENT ? "does not exist" : "is not accessible",
               " (", std::strerror(errno), ")");
  EMBER_CHECK(S_ISDIR(st.st_mode), "cannot ", what, " '", path, "': '", dir, "' is not a folder");
  const std::string name = std::filesystem::path(path).filename().string();
  EMBER_CHECK(name.size() <= name_max(dir), "cannot ", what, " '", path, "': the file name is ", name.size(),
              " bytes long, more than its folder takes (", name_max(dir), ")");
  check_target_kind(path, what);
  if (const auto reason = file_creation_error(path))
    EMBER_FAIL("cannot ", what, " '", path, "': cannot create a file in '", dir, "': ", *reason);
}

std::optional<std::string> file_creation_error(const std::string& path) {
  Temporary t = create_temporary(path);
  if (t.fd.get() < 0) return std::string(std::strerror(errno));
  t.fd.close();
  if (!t.name.empty()) ::unlink(t.name.c_str());
  return std::nullopt;
}

void write_file_atomically(const std::string& path, const std::string& what,
                           const std::function<bool(int fd)>& write) {
  check_target_kind(path, what);
  Temporary t = create_temporary(path);
  std::string step = "cannot create a temporary file in '" + parent_of(path) + "'";
  bool ok = t.fd.get() >= 0;
  if (ok) {
    step = "cannot write it";
    ok = write(t.fd.get());
  }
  if (ok) step = "cannot flush it to disk";
  ok = ok && ::fsync(t.fd.get()) == 0;
  if (ok) step = "cannot name the temporary file";
  ok = ok && name_temporary(t, path);
  if (ok) step = "cannot close it";
  ok = ok && t.fd.close();
  if (ok) step = "cannot rename the temporary file over it";
  ok = ok && ::rename(t.name.c_str(), path.c_str()) == 0;
  if (!ok) {
    const int err = errno;
    t.fd.close();
    if (!t.name.empty()) ::unlink(t.name.c_str());
    EMBER_FAIL("cannot ", what, " '", path, "': ", step, ": ", std::strerror(err));
  }
  // Make the rename itself durable (best effort: some file systems refuse fsync on a directory).
  Fd dir(::open(parent_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) ::fsync(dir.get());
}

void write_text_atomically(const std::string& path, const std::string& what, const std::string& text) {
  write_file_atomically(path, what, [&](int fd) { return write_all(fd, text.data(), text.size()); });
}

}  // namespace ember::nn
