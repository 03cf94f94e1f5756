// A gzip file read through zlib's inflate, to the byte: every member is read to its
// end and CRC trailer, and nothing but another gzip member may follow one (Note
// [Nothing after the gzip stream]), or, where the caller allows it, a file that is not gzip
// read as it is. Opens only regular files (no FIFO hang).
#pragma once
#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nn/serialize/files.h"

namespace ember::data {

// Note [Nothing after the gzip stream]
// zlib's gz* interface stops at the first bytes after a gzip member that are not
// another member and reports a clean end: junk appended to a .gz file (a failed
// download glued to a good one, a wrong concatenation) would be dropped in silence.
// GzipReader accepts what gzip(1) and Python's gzip module accept without complaint,
// members concatenated back to back (read as one stream), and refuses anything else
// after a member's end, zero padding included, with an ember::Error giving the offset.
class GzipReader {
 public:
  // An ember::Error unless `path` is a regular file that starts like a gzip member. With
  // raw_allowed, a file that does not (an IDX file as torchvision extracts it) is read as it
  // is, byte for byte.
  explicit GzipReader(const std::string& path, bool raw_allowed = false);
  ~GzipReader();
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  // Up to n bytes of uncompressed data; fewer only at the end of the file's last
  // member. A corrupt or cut stream, or bytes after it that are no member, throw.
  uint64_t read(uint8_t* dst, uint64_t n);

 private:
  // Refills the input buffer from the file; false at the end of the file.
  bool refill();
  [[noreturn]] void fail_inflate(int code) const;

  std::string path_;
  nn::Fd fd_;
  uint64_t file_size_ = 0;
  uint64_t file_offset_ = 0;    // bytes of the file read into the buffer so far
  uint64_t member_start_ = 0;   // where the member being read starts in the file
  bool member_done_ = false;    // the last member read has ended (trailer checked)
  bool finished_ = false;       // the end of the file after a complete member
  bool raw_ = false;            // not gzip: read() copies the file's bytes
  std::vector<uint8_t> in_;
  z_stream zs_{};
};

}  // namespace ember::data
