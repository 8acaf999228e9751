#pragma once
// What apply and rollback share: where the state lives, how a target path maps under the
// root (and never escapes it through a symlink), reading the current file, the lock, and
// saving the manifest.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "setup/apply_engine.hpp"
#include "setup/setup_manifest.hpp"

namespace periscope::setup::detail {

// Files in /etc are small; anything bigger is not something a plan should replace.
inline constexpr std::size_t kMaxTargetBytes = 16 * 1024 * 1024;

struct EnginePaths {
  std::filesystem::path root;       // absolute, lexically normal
  std::string root_text;            // as the manifest records it
  std::filesystem::path state_dir;  // holds `lock`, `current/`, `rolled-back-*/`
  std::filesystem::path current;    // the last apply's record: manifest.json + backups/
  std::filesystem::path manifest;
};

Result<EnginePaths> resolve_paths(const ApplyOptions& options);

// The target path as seen from here: <root><path>.
std::string host_path(const EnginePaths& paths, const std::string& target);

// Refuses a path whose nearest existing ancestor resolves outside the root (a symlink in a
// captured tree pointing at the real /usr, say), or that lies inside the state directory.
Status check_under_root(const EnginePaths& paths, const std::string& target);

// What is at a path now: nothing, or a regular file's bytes and attributes. Anything else
// (a symlink, a directory, a device) is an error: we neither follow nor replace those.
struct CurrentFile {
  std::vector<std::uint8_t> bytes;
  std::string sha256;
  std::uint32_t mode{0};
  std::uint32_t uid{0};
  std::uint32_t gid{0};
};
Result<std::optional<CurrentFile>> read_current(const std::string& host);

// Exclusive, non-blocking: a second apply or rollback at the same time is refused.
Result<UniqueFd> lock_state_dir(const EnginePaths& paths);

Status save_manifest(const EnginePaths& paths, const Manifest& manifest);

// Removes temp files write_file_atomic* left beside `host` if a crash came between creating
// and renaming one (`<name>.tmp-XXXXXX`: the name only they make).
void remove_stale_temps(const std::string& host);

// Now in UTC: ISO 8601 ("2024-05-01T12:00:00Z"), or compact for a file name.
std::string utc_timestamp(bool compact);

}  // namespace periscope::setup::detail
