#include "setup/machine_reader_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>

#include "common/unique_fd.hpp"

namespace periscope::setup {

namespace {

// Linux gives up after 40 links (MAXSYMLINKS); so do we.
constexpr int kMaxLinks = 40;
constexpr std::size_t kMaxPathBytes = PATH_MAX;

std::deque<std::string> split_path(const std::string& path) {
  std::deque<std::string> parts;
  std::size_t begin = 0;
  while (begin <= path.size()) {
    const std::size_t end = std::min(path.find('/', begin), path.size());
    if (end > begin) parts.push_back(path.substr(begin, end - begin));
    begin = end + 1;
  }
  return parts;
}

FileType type_of(mode_t mode) {
  if (S_ISREG(mode)) return FileType::kRegular;
  if (S_ISDIR(mode)) return FileType::kDirectory;
  if (S_ISLNK(mode)) return FileType::kSymlink;
  if (S_ISCHR(mode)) return FileType::kCharDevice;
  if (S_ISBLK(mode)) return FileType::kBlockDevice;
  return FileType::kOther;
}

Result<std::string> read_link_at(const std::string& host, const std::string& shown) {
  std::string target(kMaxPathBytes, '\0');
  const ssize_t n = ::readlink(host.c_str(), target.data(), target.size());
  if (n < 0) {
    if (errno == EINVAL) return fail(ErrorCode::kInvalidArgument, "{}: not a symbolic link", shown);
    return fail_errno(errno, shown);
  }
  target.resize(static_cast<std::size_t>(n));
  return target;
}

}  // namespace

Result<FsMachineReader> FsMachineReader::open(const std::string& root) {
  if (root.empty()) return fail(ErrorCode::kInvalidArgument, "the root directory is empty");
  std::string trimmed = root;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  DIR* dir = ::opendir(trimmed.c_str());
  if (dir == nullptr) return fail_errno(errno, "cannot read the root " + root);
  ::closedir(dir);
  if (trimmed == "/") trimmed.clear();
  return FsMachineReader(std::move(trimmed));
}

Result<std::string> FsMachineReader::resolve(const std::string& path, bool follow_last) const {
  if (path.empty() || path.front() != '/') {
    return fail(ErrorCode::kInvalidArgument, "{}: not an absolute path", path);
  }
  if (path.size() > kMaxPathBytes) return fail(ErrorCode::kInvalidArgument, "path too long");
  std::vector<std::string> done;  // resolved components below the root, no links among them
  std::deque<std::string> todo = split_path(path);
  int links = 0;
  const auto host_of = [this](const std::vector<std::string>& parts) {
    std::string host = root_;
    for (const std::string& part : parts) host += "/" + part;
    return host.empty() ? std::string("/") : host;
  };
  while (!todo.empty()) {
    std::string part = std::move(todo.front());
    todo.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      if (!done.empty()) done.pop_back();  // ".." at the root stays at the root
      continue;
    }
    done.push_back(std::move(part));
    if (todo.empty() && !follow_last) break;
    const std::string host = host_of(done);
    struct stat st {};
    if (::lstat(host.c_str(), &st) != 0) return fail_errno(errno, path);
    if (!S_ISLNK(st.st_mode)) continue;
    if (++links > kMaxLinks) return fail_errno(ELOOP, path);
    auto target = read_link_at(host, path);
    if (!target) return tl::unexpected(target.error());
    done.pop_back();
    if (!target->empty() && target->front() == '/') done.clear();
    std::deque<std::string> spliced = split_path(*target);
    todo.insert(todo.begin(), spliced.begin(), spliced.end());
  }
  return host_of(done);
}

Result<std::string> FsMachineReader::read_file(const std::string& path,
                                               std::size_t max_bytes) const {
  auto host = resolve(path, true);
  if (!host) return tl::unexpected(host.error());
  // O_NONBLOCK: a FIFO or device planted in a captured tree must not hang us before the
  // regular-file check below refuses it.
  UniqueFd fd(::open(host->c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY));
  if (!fd) return fail_errno(errno, path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail_errno(errno, path);
  if (!S_ISREG(st.st_mode)) return fail(ErrorCode::kUnsupported, "{}: not a regular file", path);
  // procfs and sysfs report sizes of 0 or 4096 whatever they hold: read until EOF.
  std::string data;
  std::string chunk(std::min<std::size_t>(max_bytes, 64 * 1024), '\0');
  while (data.size() < max_bytes) {
    const std::size_t want = std::min(chunk.size(), max_bytes - data.size());
    const ssize_t n = ::read(fd.get(), chunk.data(), want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(errno, path);
    }
    if (n == 0) break;
    data.append(chunk.data(), static_cast<std::size_t>(n));
  }
  return data;
}

Result<std::vector<std::string>> FsMachineReader::list_dir(const std::string& path) const {
  auto host = resolve(path, true);
  if (!host) return tl::unexpected(host.error());
  DIR* dir = ::opendir(host->c_str());
  if (dir == nullptr) return fail_errno(errno, path);
  std::vector<std::string> names;
  while (names.size() < kMaxDirEntries) {
    errno = 0;
    const dirent* entry = ::readdir(dir);
    if (entry == nullptr) break;
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  const int read_errno = errno;
  ::closedir(dir);
  if (read_errno != 0) return fail_errno(read_errno, path);
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::string> FsMachineReader::read_link(const std::string& path) const {
  auto host = resolve(path, false);
  if (!host) return tl::unexpected(host.error());
  return read_link_at(*host, path);
}

Result<PathInfo> FsMachineReader::stat(const std::string& path) const {
  auto host = resolve(path, true);
  if (!host) return tl::unexpected(host.error());
  struct stat st {};
  if (::lstat(host->c_str(), &st) != 0) return fail_errno(errno, path);
  PathInfo info;
  info.type = type_of(st.st_mode);
  info.size = static_cast<std::uint64_t>(st.st_size);
  info.uid = st.st_uid;
  info.gid = st.st_gid;
  info.mode = static_cast<std::uint32_t>(st.st_mode & 07777);
  return info;
}

}  // namespace periscope::setup
