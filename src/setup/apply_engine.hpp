#pragma once
// `periscope setup apply` / `setup rollback`: the only code that changes the machine. It never
// leaves the machine worse than it found it: a manifest with a backup of every original is
// on disk before the first change, every write is atomic and durable, the manifest is
// rewritten after every step, and rollback works from whatever point a crash left
// (docs/setup-apply.md has the format and the argument).
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "setup/command_runner.hpp"
#include "setup/setup_plan.hpp"

namespace periscope::setup {

// One durable step done (the manifest says so on disk). The CLI can print progress; the
// crash tests stop the process here.
struct ApplyStep {
  enum class Kind { kManifestWritten, kFileWritten, kCommandFinished };
  Kind kind{Kind::kManifestWritten};
  std::string detail;  // the file's target path, or the command line
};

struct ApplyOptions {
  std::filesystem::path root{"/"};  // the tree to change (tests: a copy of a fixture)
  std::filesystem::path state_dir;  // empty: <root>/var/lib/periscope/setup
  CommandRunner* runner{nullptr};   // required; RecordingRunner under a --root other than "/"
  std::function<void(const ApplyStep&)> after_step;
};

enum class FileAction {
  kReplace,         // an existing file gets the planned content (its mode and owner kept)
  kCreate,          // a new file, with the plan's mode
  kAlreadyInPlace,  // already holds exactly the planned content: not touched
  kNotReached,      // apply stopped (a failed write) before this one
};

enum class CommandAction {
  kRun,       // ran and exited 0 (in a preview: would run)
  kRecorded,  // recorded instead of run (--root)
  kFailed,    // could not start, timed out, or exited non-zero: apply stopped here
  kNotRun,    // after a failure, or nothing changed so nothing needs regenerating
};

struct FileReport {
  std::string path;  // on the target machine
  FileAction action{FileAction::kNotReached};
  std::vector<std::string> created_dirs;  // parents created for it (to be, in a preview)
};

struct CommandReport {
  std::vector<std::string> argv;
  CommandAction action{CommandAction::kNotRun};
  int exit_status{0};
  std::string message;              // why it failed (or, for an undo, that it was done before)
  std::vector<std::string> undo{};  // what rollback runs to reverse it (empty: nothing)
};

enum class ApplyOutcome {
  kPreview,  // dry run: nothing was touched; the actions say what apply would do
  kApplied,
  kNothingToDo,     // every file already held the planned content; no manifest written
  kAlreadyApplied,  // this exact plan was applied before and is still in place
  kWriteFailed,     // a file could not be written: roll back
  kCommandFailed,   // a command failed: roll back, or fix the cause and roll back then apply
};

struct ApplyReport {
  ApplyOutcome outcome{ApplyOutcome::kPreview};
  std::vector<FileReport> files;
  std::vector<CommandReport> commands;
  std::string failure;        // for kWriteFailed / kCommandFailed
  std::string manifest_path;  // where the record is (empty when none was written)
};

enum class RestoreAction {
  kRestored,   // the original is back, byte for byte, with its mode and owner
  kRemoved,    // did not exist before apply: removed
  kUnchanged,  // already the original (apply never reached it, or it was already in place)
  kConflict,   // edited since apply: that version kept at conflict_copy, original restored
};

struct RestoreReport {
  std::string path;
  RestoreAction action{RestoreAction::kUnchanged};
  std::string conflict_copy;
};

struct RollbackReport {
  // The undos of the commands apply started, in the order run (the reverse of the plan's),
  // before any file was restored.
  std::vector<CommandReport> undo_commands;
  std::vector<RestoreReport> files;
  std::vector<std::string> removed_dirs;
  std::vector<std::string> kept_dirs;  // created by apply but no longer empty
  std::vector<CommandReport> regenerate_commands;
  std::string record_path;  // the manifest, renamed, kept for the record
  [[nodiscard]] bool has_conflicts() const;
  [[nodiscard]] bool regenerate_failed() const;
  [[nodiscard]] bool undo_failed() const;  // the user runs those by hand
};

// Everything apply would do, touching nothing; fails the same way apply would refuse.
Result<ApplyReport> preview_apply(const SetupPlan& plan, const ApplyOptions& options);

// Errors are refusals before anything changed (a bad plan, an earlier apply not rolled back,
// no state directory). Once the manifest exists a failure is an outcome in the report.
Result<ApplyReport> apply_plan(const SetupPlan& plan, const ApplyOptions& options);

// Undoes the last apply (complete, failed or interrupted). Errors (no manifest, a hostile or
// corrupt one, a backup that does not match its digest) come before anything is touched.
Result<RollbackReport> rollback_last(const ApplyOptions& options);

// What the CLI prints: one line per file and command (with its undo), then a summary.
[[nodiscard]] std::string apply_report_text(const ApplyReport& report);
[[nodiscard]] std::string rollback_report_text(const RollbackReport& report);

// The plan's identity in the manifest: paths, content digests, modes, commands and undos.
[[nodiscard]] std::string plan_sha256(const SetupPlan& plan);

}  // namespace periscope::setup
