#include "common/file_bytes.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <optional>

#include "common/unique_fd.hpp"

namespace periscope {

namespace {

std::string parent_directory(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status write_all(int fd, std::span<const std::uint8_t> bytes, const std::string& path) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(errno, "write " + path);
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace

Result<std::vector<std::uint8_t>> read_file_bytes(const std::string& path, std::size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno(errno, "open " + path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail_errno(errno, "stat " + path);
  if (S_ISDIR(st.st_mode)) {
    return fail(ErrorCode::kInvalidArgument, "{} is a directory, not a file", path);
  }
  // Read to EOF instead of trusting st_size: sysfs and pipes report sizes that are not the
  // content's. One byte past the cap tells "too big" from "exactly the cap".
  std::vector<std::uint8_t> bytes;
  std::size_t used = 0;
  while (true) {
    if (bytes.size() == used) {
      const std::size_t grown = bytes.empty() ? 64 * 1024 : bytes.size() * 2;
      bytes.resize(std::min(grown, max_bytes + 1));
      if (bytes.size() == used) break;  // the cap is reached
    }
    const ssize_t n = ::read(fd.get(), bytes.data() + used, bytes.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(errno, "read " + path);
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  if (used > max_bytes) {
    return fail(ErrorCode::kTooSmall, "{} is larger than {} bytes, the most this tool reads", path,
                max_bytes);
  }
  bytes.resize(used);
  return bytes;
}

Status write_text_atomic(const std::string& path, std::string_view text, unsigned mode) {
  return write_file_atomic(
      path, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), mode);
}

Status fsync_directory(const std::string& path) {
  UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return fail_errno(errno, "open directory " + path);
  if (::fsync(dir.get()) != 0) return fail_errno(errno, "fsync directory " + path);
  return {};
}

namespace {

struct Owner {
  unsigned uid;
  unsigned gid;
};

// temp file beside the target (rename() is only atomic within one file system) + owner and
// mode + write + fsync + rename + fsync of the directory (the rename itself is durable only
// once the directory entry is on disk).
Status write_atomic(const std::string& path, std::span<const std::uint8_t> bytes, unsigned mode,
                    std::optional<Owner> owner) {
  std::string temp = path + ".tmp-XXXXXX";
  UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (!fd) return fail_errno(errno, "create a temp file beside " + path);
  const auto discard = [&](tl::unexpected<Error> error) {
    fd.reset();
    ::unlink(temp.c_str());
    return error;
  };
  if (owner) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return discard(fail_errno(errno, "stat " + temp));
    if ((st.st_uid != owner->uid || st.st_gid != owner->gid) &&
        ::fchown(fd.get(), static_cast<uid_t>(owner->uid), static_cast<gid_t>(owner->gid)) != 0) {
      return discard(
          fail_errno(errno, fmt::format("chown {} to {}:{}", temp, owner->uid, owner->gid)));
    }
  }
  // mkstemp makes the file 0600; QEMU (another user under libvirt) must be able to read ours.
  if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0) {
    return discard(fail_errno(errno, "chmod " + temp));
  }
  if (auto written = write_all(fd.get(), bytes, temp); !written) {
    return discard(tl::unexpected(written.error()));
  }
  if (::fsync(fd.get()) != 0) return discard(fail_errno(errno, "fsync " + temp));
  fd.reset();
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int rename_errno = errno;
    ::unlink(temp.c_str());
    return fail_errno(rename_errno, "rename " + temp + " to " + path);
  }
  return fsync_directory(parent_directory(path));
}

}  // namespace

Status write_file_atomic(const std::string& path, std::span<const std::uint8_t> bytes,
                         unsigned mode) {
  return write_atomic(path, bytes, mode, std::nullopt);
}

Status write_file_atomic_owned(const std::string& path, std::span<const std::uint8_t> bytes,
                               unsigned mode, unsigned uid, unsigned gid) {
  return write_atomic(path, bytes, mode, Owner{uid, gid});
}

}  // namespace periscope
