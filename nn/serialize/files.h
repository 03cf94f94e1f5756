// Files read from or written for users, safely: reading only regular files (a FIFO or
// device is refused without blocking), and writing atomically through an unnamed or
// unguessable, exclusively created temporary that never follows a planted link.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace ember::nn {

// An owned file descriptor (closed on destruction).
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { close(); }
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release();
  bool close();  // false when close() reported an error

 private:
  int fd_;
};

// write(2)/pread(2) until done; false on an error (errno set) or end of file.
bool write_all(int fd, const void* data, size_t n);
bool read_at(int fd, void* data, size_t n, uint64_t offset);

// Opens `path` for reading; an ember::Error unless it is a regular file (checked on the
// opened descriptor, which is opened non-blocking so that a FIFO cannot hang us).
Fd open_regular_file(const std::string& path, uint64_t* size = nullptr);

// Writes `path` atomically: `write(fd)` fills a new file in the same directory (an
// O_TMPFILE file, linked in only when complete, where the file system supports it;
// else an exclusively created temporary with a random name), which is fsynced and
// renamed over `path`, and the directory is fsynced. An existing `path` that is not a
// regular file (a FIFO, a device, a directory) is refused; a symlink at `path` is
// replaced, never written through. On any failure nothing is left behind and an
// ember::Error "cannot <what> '<path>': <step>: <reason>" (what: "save", "write --json file").
void write_file_atomically(const std::string& path, const std::string& what, const std::function<bool(int fd)>& write);
// The same for a string's bytes.
void write_text_atomically(const std::string& path, const std::string& what, const std::string& text);

// Checks, before any work whose result goes to `path`, that write_file_atomically
// could write it: its folder exists and a file can be created there (a temporary is
// made and removed at once: this sees permissions, read-only mounts and quotas on
// inodes alike), and `path`, if it exists, is a regular file or a link to one. Leaves
// nothing behind; an ember::Error "cannot <what> '<path>': <reason>" otherwise.
void check_writable_target(const std::string& path, const std::string& what);

// Why no file can be created in `path`'s folder (errno's text), or nullopt when one can:
// a temporary is made there and removed at once (access() would say yes to root on a
// read-only or pseudo file system such as /sys).
std::optional<std::string> file_creation_error(const std::string& path);

}  // namespace ember::nn
