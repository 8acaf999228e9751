// What `setup apply` and `setup rollback` print: one line per file and command, so the user
// can see exactly what changed on their machine, then what to do next.
#include <fmt/format.h>

#include "setup/apply_engine.hpp"
#include "setup/apply_engine_paths.hpp"

namespace periscope::setup {

namespace {

const char* file_verb(FileAction action, bool preview) {
  switch (action) {
    case FileAction::kReplace:
      return preview ? "would replace" : "replaced";
    case FileAction::kCreate:
      return preview ? "would create" : "created";
    case FileAction::kAlreadyInPlace:
      return "already in place";
    case FileAction::kNotReached:
      return "not reached";
  }
  return "?";
}

const char* command_verb(CommandAction action, bool preview) {
  switch (action) {
    case CommandAction::kRun:
      return preview ? "would run" : "ran";
    case CommandAction::kRecorded:
      return "recorded (not run under --root)";
    case CommandAction::kFailed:
      return "FAILED";
    case CommandAction::kNotRun:
      return "not run";
  }
  return "?";
}

const char* restore_verb(RestoreAction action) {
  switch (action) {
    case RestoreAction::kRestored:
      return "restored";
    case RestoreAction::kRemoved:
      return "removed (did not exist before)";
    case RestoreAction::kUnchanged:
      return "unchanged (already the original)";
    case RestoreAction::kConflict:
      return "CONFLICT";
  }
  return "?";
}

const char* undo_verb(CommandAction action) {
  switch (action) {
    case CommandAction::kRun:
      return "ran undo";
    case CommandAction::kRecorded:
      return "recorded undo (not run under --root)";
    case CommandAction::kFailed:
      return "UNDO FAILED";
    case CommandAction::kNotRun:
      return "undo not run";
  }
  return "?";
}

void append_line(std::string& out, const char* verb, const CommandReport& command) {
  out += fmt::format("  {:<17} {}", verb, shell_command_line(command.argv));
  if (!command.message.empty()) out += fmt::format(" ({})", command.message);
  out += '\n';
}

void append_command(std::string& out, const CommandReport& command, bool preview) {
  append_line(out, command_verb(command.action, preview), command);
  // Only for a command that ran (or would): rollback undoes exactly the commands that started.
  if (!command.undo.empty() && command.action != CommandAction::kNotRun) {
    out +=
        fmt::format("  {:<17} undone on rollback by: {}\n", "", shell_command_line(command.undo));
  }
}

}  // namespace

std::string apply_report_text(const ApplyReport& report) {
  const bool preview = report.outcome == ApplyOutcome::kPreview;
  std::string out;
  for (const FileReport& file : report.files) {
    out += fmt::format("  {:<17} {}\n", file_verb(file.action, preview), file.path);
    for (const std::string& dir : file.created_dirs) {
      out += fmt::format("  {:<17} {}/\n", preview ? "would mkdir" : "mkdir", dir);
    }
  }
  for (const CommandReport& command : report.commands) append_command(out, command, preview);
  switch (report.outcome) {
    case ApplyOutcome::kPreview:
      out += "Nothing has been changed yet.\n";
      break;
    case ApplyOutcome::kApplied:
      out += fmt::format(
          "Applied. The record and backups are in {}; "
          "`periscope setup rollback` undoes this.\n",
          report.manifest_path);
      break;
    case ApplyOutcome::kNothingToDo:
      out += "Nothing to do: every file already holds the planned content.\n";
      break;
    case ApplyOutcome::kAlreadyApplied:
      out += "Nothing to do: this plan is already applied and in place.\n";
      break;
    case ApplyOutcome::kWriteFailed:
    case ApplyOutcome::kCommandFailed:
      out += fmt::format(
          "Apply stopped: {}\nThe record is in {}; `periscope setup rollback` "
          "puts every file back.\n",
          report.failure, report.manifest_path);
      break;
  }
  return out;
}

std::string rollback_report_text(const RollbackReport& report) {
  std::string out;
  // In the order rollback did things: undos, files, directories, regenerate commands.
  for (const CommandReport& undo : report.undo_commands) {
    append_line(out, undo_verb(undo.action), undo);
  }
  for (const RestoreReport& file : report.files) {
    out += fmt::format("  {:<17} {}\n", restore_verb(file.action), file.path);
    if (file.action == RestoreAction::kConflict) {
      out += fmt::format(
          "  {:<17} it was changed after apply: that version is kept as {}, the original is "
          "back\n",
          "", file.conflict_copy);
    }
  }
  for (const std::string& dir : report.removed_dirs)
    out += fmt::format("  {:<17} {}/\n", "rmdir", dir);
  for (const std::string& dir : report.kept_dirs) {
    out += fmt::format("  {:<17} {}/ (not empty)\n", "kept", dir);
  }
  for (const CommandReport& command : report.regenerate_commands) {
    append_command(out, command, false);
  }
  out += fmt::format("Rolled back. The record is kept as {}.\n", report.record_path);
  if (report.has_conflicts()) {
    out +=
        "Some files had been edited after apply: compare each .periscope-conflict copy with "
        "the restored file and merge what you still need.\n";
  }
  if (report.regenerate_failed()) {
    out += "A regenerate command failed: run it by hand before rebooting.\n";
  }
  if (report.undo_failed()) {
    out +=
        "An undo failed, so what its command did outside the files is still there. Once the "
        "cause is fixed, run by hand:\n";
    for (const CommandReport& undo : report.undo_commands) {
      if (undo.action == CommandAction::kFailed) {
        out += fmt::format("  {}\n", shell_command_line(undo.argv));
      }
    }
  }
  return out;
}

}  // namespace periscope::setup
