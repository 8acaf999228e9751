#pragma once
// The apply engine's write-ahead record (docs/setup-apply.md): written before anything on the
// machine changes and rewritten (atomically) after every step, so rollback works from any
// crash point. Its JSON is read back from disk, so parsing treats it as hostile: every field
// is type-checked, every path must be absolute and lexically clean, every digest 64 hex.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace periscope::setup {

inline constexpr int kManifestVersion = 1;

enum class ManifestState {
  kApplying,         // files are being written (some may be, some not)
  kRunningCommands,  // every file is in place; commands are running
  kApplied,          // everything done
  kFailed,           // a write or a command failed; `failure` says which
  kRollingBack,      // rollback started (it is safe to run again)
  kRolledBack,       // final; the record is renamed out of the way
};

enum class FileState {
  kPending,    // intent recorded; the file may or may not have been replaced yet
  kInPlace,    // already held the planned content: never touched
  kWritten,    // the planned content was written
  kRestored,   // rollback put the original back
  kRemoved,    // rollback removed a file that did not exist before
  kUnchanged,  // rollback found the original already there (apply never reached it)
  kConflict,   // rollback found someone else's content; kept aside, original restored
};

enum class CommandState { kPending, kRunning, kOk, kRecorded, kFailed };

// A command's undo (PlannedCommand::undo), run by rollback. There is no "running": an undo
// not recorded as done is run (again) by the next rollback, which is why an undo must be
// safe to run twice.
enum class UndoState {
  kNone,      // the command has no undo
  kPending,   // not run yet (or a rollback died inside it)
  kOk,        // ran and exited 0
  kRecorded,  // recorded instead of run (--root)
  kFailed,    // could not start, timed out or exited non-zero: the user runs it by hand
};

struct ManifestFile {
  std::string path;  // absolute on the target machine (the root is prepended)
  bool existed{false};
  // Of the original (existed only): its digest, size, permission bits and owner.
  std::string original_sha256;
  std::uint64_t original_size{0};
  std::uint32_t original_mode{0};
  std::uint32_t original_uid{0};
  std::uint32_t original_gid{0};
  std::string new_sha256;
  std::uint32_t new_mode{0};  // the mode the written file gets (the original's when it existed)
  // Parent directories that did not exist, outermost first: apply creates them, rollback
  // removes the ones still empty.
  std::vector<std::string> created_dirs;
  FileState state{FileState::kPending};
  std::string conflict_copy;  // set by rollback on a conflict: where the edited version went
};

struct ManifestCommand {
  std::vector<std::string> argv;
  bool regenerate{false};
  CommandState state{CommandState::kPending};
  std::optional<int> exit_status;
  // Reverses the command's effect outside the planned files; empty (kNone) when there is none.
  std::vector<std::string> undo{};
  UndoState undo_state{UndoState::kNone};
  std::optional<int> undo_exit_status{};
};

struct Manifest {
  std::string root;  // the --root the plan was applied under
  std::string plan_sha256;
  std::string started_at;  // UTC, ISO 8601
  ManifestState state{ManifestState::kApplying};
  std::string failure;
  std::vector<ManifestFile> files;
  std::vector<ManifestCommand> commands;
};

// Pretty JSON (people read it when something went wrong).
[[nodiscard]] std::string manifest_json_text(const Manifest& manifest);

// kProtocol with the offending field named on anything malformed or unsafe.
[[nodiscard]] Result<Manifest> parse_manifest(std::string_view text);

// Absolute, no empty, "." or ".." component, no trailing slash, not "/" itself, no NUL:
// joined under a root it stays under that root (symlinks are checked separately).
[[nodiscard]] bool is_clean_absolute_path(std::string_view path);

// What is wrong with an undo argv (empty is fine: no undo). The plan check and the manifest
// parser share it, so apply never records an undo that rollback would refuse to read back:
// every argument a non-empty string without NUL (exec would cut it there).
struct ArgvProblem {
  std::size_t index{0};
  const char* what{""};  // "is an empty string", "holds a NUL byte"
};
[[nodiscard]] std::optional<ArgvProblem> undo_argv_problem(const std::vector<std::string>& undo);

// The backup of files[index], relative to the manifest's directory. Derived, never stored, so
// a manifest cannot point rollback at an arbitrary file to copy.
[[nodiscard]] std::string backup_name(std::size_t index);

[[nodiscard]] const char* state_name(ManifestState state);
[[nodiscard]] const char* state_name(FileState state);
[[nodiscard]] const char* state_name(CommandState state);
[[nodiscard]] const char* state_name(UndoState state);

}  // namespace periscope::setup
