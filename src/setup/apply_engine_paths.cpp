#include "setup/apply_engine_paths.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "common/file_bytes.hpp"
#include "setup/command_runner.hpp"
#include "setup/sha256.hpp"

namespace periscope::setup::detail {

namespace fs = std::filesystem;

namespace {

bool is_within(const fs::path& inner, const fs::path& outer) {
  const std::string a = inner.string();
  const std::string b = outer.string();
  return b == "/" || a == b || (a.starts_with(b) && a.size() > b.size() && a[b.size()] == '/');
}

}  // namespace

Result<EnginePaths> resolve_paths(const ApplyOptions& options) {
  std::error_code ec;
  const fs::path root = fs::absolute(options.root, ec).lexically_normal();
  if (ec)
    return fail(ErrorCode::kInvalidArgument, "root {}: {}", options.root.string(), ec.message());
  std::string root_text = root.string();
  if (root_text.size() > 1 && root_text.back() == '/') root_text.pop_back();
  if (!fs::is_directory(root_text, ec)) {
    return fail(ErrorCode::kNotFound, "the root {} is not a directory", root_text);
  }
  EnginePaths paths;
  paths.root = root_text;
  paths.root_text = root_text;
  paths.state_dir = options.state_dir.empty()
                        ? fs::path(host_path(paths, "/var/lib/periscope/setup"))
                        : fs::absolute(options.state_dir, ec).lexically_normal();
  if (paths.state_dir.string().size() > 1 && paths.state_dir.string().back() == '/') {
    paths.state_dir = paths.state_dir.parent_path();
  }
  paths.current = paths.state_dir / "current";
  paths.manifest = paths.current / "manifest.json";
  return paths;
}

std::string host_path(const EnginePaths& paths, const std::string& target) {
  return paths.root_text == "/" ? target : paths.root_text + target;
}

Status check_under_root(const EnginePaths& paths, const std::string& target) {
  const fs::path host = host_path(paths, target);
  if (is_within(host, paths.state_dir)) {
    return fail(ErrorCode::kInvalidArgument, "{} is inside the setup state directory {}", target,
                paths.state_dir.string());
  }
  if (paths.root_text == "/") return {};
  std::error_code ec;
  const fs::path real_root = fs::canonical(paths.root, ec);
  if (ec) return fail(ErrorCode::kIo, "resolve {}: {}", paths.root_text, ec.message());
  fs::path ancestor = host.parent_path();
  while (!fs::exists(fs::symlink_status(ancestor, ec)) && ancestor != ancestor.parent_path()) {
    ancestor = ancestor.parent_path();
  }
  const fs::path real = fs::canonical(ancestor, ec);
  if (ec || !is_within(real, real_root)) {
    return fail(ErrorCode::kInvalidArgument,
                "{} leads outside the root {} (through the symlink at or above {})", target,
                paths.root_text, ancestor.string());
  }
  return {};
}

Result<std::optional<CurrentFile>> read_current(const std::string& host) {
  struct stat st {};
  if (::lstat(host.c_str(), &st) != 0) {
    // ENOTDIR: a parent is a file, so this path holds nothing (apply explains the parent).
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<CurrentFile>{};
    return fail_errno(errno, "stat " + host);
  }
  if (S_ISLNK(st.st_mode)) {
    return fail(ErrorCode::kUnsupported,
                "{} is a symlink; the setup assistant neither follows nor replaces links", host);
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(ErrorCode::kUnsupported, "{} exists and is not a regular file", host);
  }
  auto bytes = read_file_bytes(host, kMaxTargetBytes);
  if (!bytes) return tl::unexpected(bytes.error());
  CurrentFile file;
  file.sha256 = sha256_hex(*bytes);
  file.bytes = std::move(*bytes);
  file.mode = st.st_mode & 07777;
  file.uid = st.st_uid;
  file.gid = st.st_gid;
  return std::optional<CurrentFile>{std::move(file)};
}

Result<UniqueFd> lock_state_dir(const EnginePaths& paths) {
  std::error_code ec;
  fs::create_directories(paths.state_dir, ec);
  if (ec) {
    return fail(ErrorCode::kIo, "create the state directory {}: {}", paths.state_dir.string(),
                ec.message());
  }
  const std::string lock_path = (paths.state_dir / "lock").string();
  UniqueFd fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return fail_errno(errno, "open " + lock_path);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return fail(ErrorCode::kBusy, "another setup apply or rollback is running ({} is locked)",
                  lock_path);
    }
    return fail_errno(errno, "lock " + lock_path);
  }
  return fd;
}

Status save_manifest(const EnginePaths& paths, const Manifest& manifest) {
  return write_text_atomic(paths.manifest.string(), manifest_json_text(manifest), 0600);
}

void remove_stale_temps(const std::string& host) {
  const fs::path path(host);
  const std::string prefix = path.filename().string() + ".tmp-";
  std::error_code ec;
  bool removed = false;
  for (const auto& entry : fs::directory_iterator(path.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() == prefix.size() + 6 && name.starts_with(prefix) && entry.is_regular_file(ec)) {
      removed = fs::remove(entry.path(), ec) || removed;
    }
  }
  if (removed) (void)fsync_directory(path.parent_path().string());
}

std::string utc_timestamp(bool compact) {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[64] = {};
  if (compact) {
    std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  } else {
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  }
  return text;
}

}  // namespace periscope::setup::detail
