// rollback: put back what apply changed, judging each file by what is on disk now (not by
// what the manifest believes), so it works after a complete, failed or killed apply, and
// again after a killed rollback. Everything is checked before the first change.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "common/file_bytes.hpp"
#include "setup/apply_engine.hpp"
#include "setup/apply_engine_paths.hpp"
#include "setup/apply_engine_undo.hpp"
#include "setup/sha256.hpp"

namespace periscope::setup {

namespace fs = std::filesystem;
using detail::CurrentFile;
using detail::EnginePaths;

namespace {

struct Checked {
  Manifest manifest;
  std::vector<std::vector<std::uint8_t>> backups;  // by file index; empty when none
};

Result<Checked> load_and_check(const EnginePaths& paths) {
  std::error_code ec;
  if (!fs::exists(paths.manifest, ec)) {
    return fail(ErrorCode::kNotFound, "nothing to roll back: {} does not exist",
                paths.manifest.string());
  }
  auto text = read_file_bytes(paths.manifest.string(), detail::kMaxTargetBytes);
  if (!text) return tl::unexpected(text.error());
  auto manifest =
      parse_manifest(std::string_view(reinterpret_cast<const char*>(text->data()), text->size()));
  if (!manifest) {
    return fail(ErrorCode::kProtocol, "{}: {}; nothing was touched", paths.manifest.string(),
                manifest.error().message);
  }
  if (manifest->root != paths.root_text) {
    return fail(ErrorCode::kInvalidArgument,
                "{} records an apply under the root {}, not {}; nothing was touched",
                paths.manifest.string(), manifest->root, paths.root_text);
  }
  Checked checked{std::move(*manifest), {}};
  checked.backups.resize(checked.manifest.files.size());
  for (std::size_t i = 0; i < checked.manifest.files.size(); ++i) {
    const ManifestFile& file = checked.manifest.files[i];
    const auto refuse = [&](const Error& error) {
      return fail(ErrorCode::kProtocol, "{}; nothing was touched", error.message);
    };
    if (auto inside = detail::check_under_root(paths, file.path); !inside) {
      return refuse(inside.error());
    }
    // A symlink or directory where our file was: not ours to replace.
    if (auto now = detail::read_current(detail::host_path(paths, file.path)); !now) {
      return refuse(now.error());
    }
    if (!file.existed || file.state == FileState::kInPlace) continue;
    const std::string backup = (paths.current / backup_name(i)).string();
    auto bytes = read_file_bytes(backup, detail::kMaxTargetBytes);
    if (!bytes) return refuse(bytes.error());
    if (bytes->size() != file.original_size || sha256_hex(*bytes) != file.original_sha256) {
      return fail(ErrorCode::kProtocol,
                  "the backup {} of {} does not match the manifest's digest; nothing was touched",
                  backup, file.path);
    }
    checked.backups[i] = std::move(*bytes);
  }
  return checked;
}

// Where an edited file's version goes: `<file>.periscope-conflict`, or `.1`, `.2`... when
// that is taken, reusing a copy that already holds this very content (a rollback killed
// after the copy and run again must not make a second one).
Result<std::string> keep_conflicting_version(const EnginePaths& paths, const std::string& target,
                                             const CurrentFile& now) {
  for (int n = 0; n < 1000; ++n) {
    const std::string candidate =
        target + ".periscope-conflict" + (n == 0 ? std::string{} : "." + std::to_string(n));
    auto existing = detail::read_current(detail::host_path(paths, candidate));
    if (existing && *existing && (*existing)->sha256 == now.sha256) return candidate;
    if (existing && !*existing) {
      auto kept = write_file_atomic_owned(detail::host_path(paths, candidate), now.bytes, now.mode,
                                          now.uid, now.gid);
      if (!kept) return tl::unexpected(kept.error());
      return candidate;
    }
  }
  return fail(ErrorCode::kBusy, "too many conflict copies beside {}", target);
}

Status put_original_back(const EnginePaths& paths, const ManifestFile& file,
                         const std::vector<std::uint8_t>& backup) {
  const std::string host = detail::host_path(paths, file.path);
  if (file.existed) {
    return write_file_atomic_owned(host, backup, file.original_mode, file.original_uid,
                                   file.original_gid);
  }
  if (::unlink(host.c_str()) != 0 && errno != ENOENT) return fail_errno(errno, "remove " + host);
  return fsync_directory(fs::path(host).parent_path().string());
}

// Reads the file back: the original's bytes and mode, or absent when there was none.
Status verify_original(const EnginePaths& paths, const ManifestFile& file) {
  auto now = detail::read_current(detail::host_path(paths, file.path));
  if (!now) return tl::unexpected(now.error());
  if (!file.existed) {
    if (*now) return fail(ErrorCode::kIo, "{} is still there after removing it", file.path);
    return {};
  }
  if (!*now || (*now)->sha256 != file.original_sha256 || (*now)->mode != file.original_mode) {
    return fail(ErrorCode::kIo, "{} does not hold the original after restoring it", file.path);
  }
  return {};
}

Result<RestoreReport> restore_one(const EnginePaths& paths, ManifestFile& file,
                                  const std::vector<std::uint8_t>& backup) {
  const std::string host = detail::host_path(paths, file.path);
  detail::remove_stale_temps(host);
  auto now = detail::read_current(host);
  if (!now) return tl::unexpected(now.error());
  RestoreReport report{file.path, RestoreAction::kUnchanged, {}};
  const bool is_original = file.existed ? (*now && (*now)->sha256 == file.original_sha256) : !*now;
  if (is_original) {
    // Apply never got here, or an earlier rollback did: say what that one did.
    if (file.state == FileState::kRestored) report.action = RestoreAction::kRestored;
    if (file.state == FileState::kRemoved) report.action = RestoreAction::kRemoved;
    if (file.state == FileState::kConflict) {
      report.action = RestoreAction::kConflict;
      report.conflict_copy = file.conflict_copy;
    }
    if (file.state == FileState::kPending) file.state = FileState::kUnchanged;
  } else if ((*now)->sha256 == file.new_sha256) {
    if (auto put = put_original_back(paths, file, backup); !put) return tl::unexpected(put.error());
    file.state = file.existed ? FileState::kRestored : FileState::kRemoved;
    report.action = file.existed ? RestoreAction::kRestored : RestoreAction::kRemoved;
  } else {
    // Someone changed it after apply. Their version is kept beside it, the original goes back:
    // the machine returns to its known state and nothing anyone wrote is lost.
    auto copy = keep_conflicting_version(paths, file.path, **now);
    if (!copy) return tl::unexpected(copy.error());
    if (auto put = put_original_back(paths, file, backup); !put) return tl::unexpected(put.error());
    file.state = FileState::kConflict;
    file.conflict_copy = *copy;
    report.action = RestoreAction::kConflict;
    report.conflict_copy = *copy;
  }
  if (auto verified = verify_original(paths, file); !verified) {
    return tl::unexpected(verified.error());
  }
  return report;
}

// Directories apply created, deepest first, removed when empty (a conflict copy or a file
// someone else put there keeps its directory).
void remove_created_dirs(const EnginePaths& paths, const Manifest& manifest,
                         RollbackReport& report) {
  std::set<std::string> dirs;
  for (const ManifestFile& file : manifest.files)
    dirs.insert(file.created_dirs.begin(), file.created_dirs.end());
  std::vector<std::string> deepest_first(dirs.rbegin(), dirs.rend());
  std::stable_sort(deepest_first.begin(), deepest_first.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& dir : deepest_first) {
    const std::string host = detail::host_path(paths, dir);
    struct stat st {};
    if (::lstat(host.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    if (::rmdir(host.c_str()) == 0) {
      (void)fsync_directory(fs::path(host).parent_path().string());
      report.removed_dirs.push_back(dir);
    } else {
      report.kept_dirs.push_back(dir);
    }
  }
}

void run_regenerate_commands(const Manifest& manifest, CommandRunner& runner,
                             RollbackReport& report) {
  // Derived state (initramfs, boot menu) changed only if a command of the apply started.
  const bool any_started =
      std::any_of(manifest.commands.begin(), manifest.commands.end(),
                  [](const ManifestCommand& c) { return c.state != CommandState::kPending; });
  if (!any_started) return;
  for (const ManifestCommand& command : manifest.commands) {
    if (!command.regenerate) continue;
    report.regenerate_commands.push_back(detail::run_for_rollback(runner, command.argv));
  }
}

// The finished record moves aside (kept for the record), so a new apply may start.
Result<std::string> retire_record(const EnginePaths& paths) {
  const std::string stamp = detail::utc_timestamp(true);
  std::error_code ec;
  for (int n = 0; n < 1000; ++n) {
    const fs::path target =
        paths.state_dir / ("rolled-back-" + stamp + (n == 0 ? "" : "-" + std::to_string(n)));
    if (fs::exists(target, ec)) continue;
    if (::rename(paths.current.c_str(), target.c_str()) != 0) {
      return fail_errno(errno, "rename " + paths.current.string());
    }
    if (auto synced = fsync_directory(paths.state_dir.string()); !synced) {
      return tl::unexpected(synced.error());
    }
    return (target / "manifest.json").string();
  }
  return fail(ErrorCode::kBusy, "too many rolled-back records in {}", paths.state_dir.string());
}

}  // namespace

bool RollbackReport::has_conflicts() const {
  return std::any_of(files.begin(), files.end(),
                     [](const RestoreReport& f) { return f.action == RestoreAction::kConflict; });
}

bool RollbackReport::regenerate_failed() const {
  return std::any_of(regenerate_commands.begin(), regenerate_commands.end(),
                     [](const CommandReport& c) { return c.action == CommandAction::kFailed; });
}

bool RollbackReport::undo_failed() const {
  return std::any_of(undo_commands.begin(), undo_commands.end(),
                     [](const CommandReport& c) { return c.action == CommandAction::kFailed; });
}

Result<RollbackReport> rollback_last(const ApplyOptions& options) {
  if (options.runner == nullptr) {
    return fail(ErrorCode::kInvalidArgument, "rollback needs a command runner");
  }
  auto paths = detail::resolve_paths(options);
  if (!paths) return tl::unexpected(paths.error());
  std::error_code ec;
  if (!fs::exists(paths->manifest, ec)) {
    return fail(ErrorCode::kNotFound, "nothing to roll back: {} does not exist",
                paths->manifest.string());
  }
  auto lock = detail::lock_state_dir(*paths);
  if (!lock) return tl::unexpected(lock.error());
  auto checked = load_and_check(*paths);
  if (!checked) return tl::unexpected(checked.error());
  Manifest& manifest = checked->manifest;

  manifest.state = ManifestState::kRollingBack;
  if (auto saved = detail::save_manifest(*paths, manifest); !saved) {
    return tl::unexpected(saved.error());
  }
  RollbackReport report;
  // The commands' effects outside the files first, while the files still hold what the
  // commands saw when they ran (an undo may read them, e.g. the name of what was defined).
  detail::run_undo_commands(*paths, manifest, *options.runner, report.undo_commands);
  // Last written first: the reverse of apply.
  for (std::size_t k = manifest.files.size(); k-- > 0;) {
    ManifestFile& file = manifest.files[k];
    if (file.state == FileState::kInPlace) {
      report.files.push_back({file.path, RestoreAction::kUnchanged, {}});
      continue;
    }
    auto restored = restore_one(*paths, file, checked->backups[k]);
    if (!restored) {
      // Stop: the manifest stays in `current`, and running rollback again resumes here.
      manifest.failure = restored.error().message;
      (void)detail::save_manifest(*paths, manifest);
      return fail(restored.error().code, "{}; run rollback again once that is fixed",
                  restored.error().message);
    }
    report.files.push_back(std::move(*restored));
    (void)detail::save_manifest(*paths, manifest);
  }
  std::reverse(report.files.begin(), report.files.end());
  remove_created_dirs(*paths, manifest, report);
  run_regenerate_commands(manifest, *options.runner, report);

  manifest.state = ManifestState::kRolledBack;
  if (auto saved = detail::save_manifest(*paths, manifest); !saved) {
    return tl::unexpected(saved.error());
  }
  auto record = retire_record(*paths);
  if (!record) return tl::unexpected(record.error());
  report.record_path = *record;
  return report;
}

}  // namespace periscope::setup
