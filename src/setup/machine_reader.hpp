#pragma once
// What the doctor may do to a machine: read files, list directories, read symbolic links and
// look at file metadata. Nothing else: no writes, no programs run. Paths are absolute paths
// *on the machine* ("/proc/cmdline"); an implementation maps them onto `/` or onto a captured
// tree (`--root DIR`). Everything returned is untrusted text from that machine.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace periscope::setup {

// Bounds on what one call returns, so a hostile or broken tree cannot make us read gigabytes
// or loop. sysfs attributes are at most a page; /proc/cpuinfo of a big server is ~1 MiB.
inline constexpr std::size_t kSmallFileBytes = 4096;
inline constexpr std::size_t kTextFileBytes = 256 * 1024;
inline constexpr std::size_t kCpuinfoBytes = 2 * 1024 * 1024;
inline constexpr std::size_t kMaxDirEntries = 16384;

enum class FileType { kRegular, kDirectory, kSymlink, kCharDevice, kBlockDevice, kOther };

struct PathInfo {
  FileType type{FileType::kOther};
  std::uint64_t size{0};
  std::uint32_t uid{0};
  std::uint32_t gid{0};
  std::uint32_t mode{0};  // permission bits only (07777)
};

class MachineReader {
 public:
  virtual ~MachineReader() = default;

  // The first `max_bytes` bytes of a regular file (symbolic links followed). A longer file is
  // cut at `max_bytes`: every parser here treats its input as possibly cut short.
  [[nodiscard]] virtual Result<std::string> read_file(const std::string& path,
                                                      std::size_t max_bytes) const = 0;
  // The names in a directory (no "." or ".."), sorted, at most kMaxDirEntries of them.
  [[nodiscard]] virtual Result<std::vector<std::string>> list_dir(
      const std::string& path) const = 0;
  // The target text of a symbolic link (the link itself is not followed).
  [[nodiscard]] virtual Result<std::string> read_link(const std::string& path) const = 0;
  // Metadata of the path, symbolic links followed.
  [[nodiscard]] virtual Result<PathInfo> stat(const std::string& path) const = 0;

  // Conveniences built on the calls above.
  [[nodiscard]] bool exists(const std::string& path) const { return stat(path).has_value(); }
  [[nodiscard]] bool is_dir(const std::string& path) const {
    auto info = stat(path);
    return info && info->type == FileType::kDirectory;
  }
  // The directory's names, or none when it is missing or unreadable (many sysfs directories
  // only exist when the feature is on: absence and emptiness mean the same to the checks).
  [[nodiscard]] std::vector<std::string> list_or_empty(const std::string& path) const {
    auto names = list_dir(path);
    return names ? std::move(*names) : std::vector<std::string>{};
  }
};

}  // namespace periscope::setup
