// GzipReader: gzip members inflated to their end, nothing after them, or a raw file's bytes
// (nn/data/gzip_reader.h).
#include "nn/data/gzip_reader.h"

#include <algorithm>
#include <limits>

#include "core/error.h"

namespace ember::data {

namespace {
constexpr size_t kInputChunk = size_t{1} << 18;
constexpr int kGzipOnly = 16 + MAX_WBITS;  // inflate's window bits: gzip framing, no zlib or raw
}  // namespace

GzipReader::GzipReader(const std::string& path, bool raw_allowed) : path_(path) {
  fd_ = nn::open_regular_file(path, &file_size_);  // here: file_size_ is initialised after fd_
  uint8_t magic[2] = {0, 0};
  const bool gzip = file_size_ >= 2 && nn::read_at(fd_.get(), magic, 2, 0) && magic[0] == 0x1f && magic[1] == 0x8b;
  if (!gzip && raw_allowed) {
    raw_ = true;
    return;
  }
  EMBER_CHECK(gzip, "'", path, "' is not a gzip file (expected a .gz IDX file)");
  EMBER_CHECK(inflateInit2(&zs_, kGzipOnly) == Z_OK, "cannot read '", path, "': zlib could not start (out of memory)");
  in_.resize(kInputChunk);
}

GzipReader::~GzipReader() {
  if (!raw_) inflateEnd(&zs_);
}

bool GzipReader::refill() {
  const uint64_t n = std::min<uint64_t>(in_.size(), file_size_ - file_offset_);
  if (n == 0) return false;
  EMBER_CHECK(nn::read_at(fd_.get(), in_.data(), n, file_offset_), "cannot read '", path_, "' at byte ", file_offset_,
              " (did it shrink while being read?)");
  file_offset_ += n;
  zs_.next_in = in_.data();
  zs_.avail_in = static_cast<uInt>(n);
  return true;
}

void GzipReader::fail_inflate(int code) const {
  const uint64_t at = file_offset_ - zs_.avail_in;
  const char* why = zs_.msg != nullptr ? zs_.msg : zError(code);
  if (member_start_ > 0 && zs_.total_out == 0)  // a "member" after the first that is none
    EMBER_FAIL("'", path_, "' has ", file_size_ - member_start_, " bytes after the end of its gzip stream (from byte ",
               member_start_, ") that are not a gzip member (", why, ")");
  EMBER_FAIL("corrupt gzip stream in '", path_, "' near byte ", at, ": ", why);
}

uint64_t GzipReader::read(uint8_t* dst, uint64_t n) {
  if (raw_) {
    const uint64_t count = std::min<uint64_t>(n, file_size_ - file_offset_);
    EMBER_CHECK(count == 0 || nn::read_at(fd_.get(), dst, count, file_offset_), "cannot read '", path_, "' at byte ",
                file_offset_, " (did it shrink while being read?)");
    file_offset_ += count;
    return count;
  }
  uint64_t done = 0;
  while (done < n && !finished_) {
    if (zs_.avail_in == 0 && !refill()) {
      if (!member_done_ && member_start_ > 0 && zs_.total_out == 0)
        EMBER_FAIL("'", path_, "' has ", file_size_ - member_start_, " bytes after the end of its gzip stream (from byte ",
                   member_start_, ") that are not a gzip member (too short for one)");
      EMBER_CHECK(member_done_, "corrupt gzip stream in '", path_, "': it ends before its trailer (the file is cut short)");
      finished_ = true;
      break;
    }
    if (member_done_) {  // more bytes after a complete member: another member, or junk
      member_start_ = file_offset_ - zs_.avail_in;
      EMBER_CHECK(zs_.next_in[0] == 0x1f, "'", path_, "' has ", file_size_ - member_start_,
                  " bytes after the end of its gzip stream (from byte ", member_start_,
                  ") that are not a gzip member: the file is damaged or has something appended");
      inflateReset(&zs_);
      member_done_ = false;
    }
    const auto chunk = static_cast<uInt>(std::min<uint64_t>(n - done, std::numeric_limits<uInt>::max()));
    zs_.next_out = dst + done;
    zs_.avail_out = chunk;
    const int rc = inflate(&zs_, Z_NO_FLUSH);
    done += chunk - zs_.avail_out;
    if (rc == Z_STREAM_END) member_done_ = true;
    else if (rc != Z_OK && !(rc == Z_BUF_ERROR && zs_.avail_in == 0)) fail_inflate(rc);
  }
  return done;
}

}  // namespace ember::data
