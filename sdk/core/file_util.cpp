// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "core/file_util.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace edgert {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Closes a file descriptor on scope exit.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Expected<std::shared_ptr<const MappedFile>> MappedFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return make_error(StatusCode::kNotFound, "cannot open '" + path + "': " + errno_text());
  FdCloser closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return make_error(StatusCode::kIoError, "cannot stat '" + path + "': " + errno_text());
  if (!S_ISREG(st.st_mode))
    return make_error(StatusCode::kInvalidArgument, "'" + path + "' is not a regular file");
  if (st.st_size == 0) return make_error(StatusCode::kParseError, "'" + path + "' is empty");
  const auto size = static_cast<std::size_t>(st.st_size);
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED)
    return make_error(StatusCode::kIoError, "cannot map '" + path + "': " + errno_text());
  std::shared_ptr<MappedFile> m(new MappedFile());
  m->data_ = static_cast<const std::uint8_t*>(p);
  m->size_ = size;
  m->path_ = path;
  return std::shared_ptr<const MappedFile>(std::move(m));
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<std::uint8_t*>(data_), size_);
}

Expected<std::vector<std::uint8_t>> read_file_bytes(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f) return make_error(StatusCode::kNotFound, "cannot open '" + path + "': " + errno_text());
  std::vector<std::uint8_t> bytes;
  std::uint8_t buf[1 << 16];
  for (;;) {
    const std::size_t n = std::fread(buf, 1, sizeof(buf), f.get());
    bytes.insert(bytes.end(), buf, buf + n);
    if (n < sizeof(buf)) break;
  }
  if (std::ferror(f.get())) return make_error(StatusCode::kIoError, "error reading '" + path + "'");
  return bytes;
}

Status write_file_atomic(const std::string& path, const void* data, std::size_t size) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return make_error(StatusCode::kIoError, "cannot create '" + tmp + "': " + errno_text());
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::size_t left = size;
  std::string error;
  while (left > 0 && error.empty()) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = "cannot write '" + tmp + "': " + errno_text();
      break;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  // fsync before rename: otherwise a power cut can leave the new name pointing at an empty file.
  if (error.empty() && ::fsync(fd) != 0) error = "cannot flush '" + tmp + "': " + errno_text();
  if (::close(fd) != 0 && error.empty()) error = "cannot close '" + tmp + "': " + errno_text();
  if (error.empty() && std::rename(tmp.c_str(), path.c_str()) != 0)
    error = "cannot rename '" + tmp + "' to '" + path + "': " + errno_text();
  if (!error.empty()) {
    std::remove(tmp.c_str());
    return make_error(StatusCode::kIoError, error);
  }
  return Status::ok_status();
}

}  // namespace edgert
