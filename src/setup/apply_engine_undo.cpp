// The undos of a rollback. Which to run is decided from the manifest's states alone: the
// effect of a command lies outside the planned files, so there is nothing on disk rollback
// could look at instead (unlike the files, judged by their digests).
#include "setup/apply_engine_undo.hpp"

#include <fmt/format.h>

namespace periscope::setup::detail {

namespace {

// Started = anything but pending: a command that failed, or was killed inside (running), may
// have done part of its work, so it is undone too. One that never started changed nothing.
bool started(const ManifestCommand& command) {
  return command.state != CommandState::kPending;
}

bool undo_done(UndoState state) {
  return state == UndoState::kOk || state == UndoState::kRecorded;
}

}  // namespace

CommandReport run_for_rollback(CommandRunner& runner, const std::vector<std::string>& argv) {
  CommandReport line{argv, CommandAction::kRun, 0, {}, {}};
  auto result = runner.run(argv);
  if (!result) {
    line.action = CommandAction::kFailed;
    line.exit_status = -1;
    line.message = result.error().message;
  } else if (result->exit_status != 0) {
    line.action = CommandAction::kFailed;
    line.exit_status = result->exit_status;
    line.message = fmt::format("exited with status {}", result->exit_status);
  } else if (!result->executed) {
    line.action = CommandAction::kRecorded;
  }
  return line;
}

void run_undo_commands(const EnginePaths& paths, Manifest& manifest, CommandRunner& runner,
                       std::vector<CommandReport>& out) {
  // Last run first: a later command may build on an earlier one's effect (a VM defined on an
  // image built before it), so its undo must come first.
  for (std::size_t k = manifest.commands.size(); k-- > 0;) {
    ManifestCommand& command = manifest.commands[k];
    if (command.undo.empty() || !started(command)) continue;
    if (undo_done(command.undo_state)) {
      // An earlier rollback (killed later on) ran it: say so, do not run it again.
      out.push_back(
          {command.undo,
           command.undo_state == UndoState::kOk ? CommandAction::kRun : CommandAction::kRecorded,
           command.undo_exit_status.value_or(0),
           "done by an earlier rollback",
           {}});
      continue;
    }
    CommandReport line = run_for_rollback(runner, command.undo);
    switch (line.action) {
      case CommandAction::kRecorded:
        command.undo_state = UndoState::kRecorded;
        break;
      case CommandAction::kFailed:
        command.undo_state = UndoState::kFailed;
        break;
      case CommandAction::kRun:
      case CommandAction::kNotRun:
        command.undo_state = UndoState::kOk;
        break;
    }
    command.undo_exit_status =
        line.exit_status >= 0 ? std::optional<int>(line.exit_status) : std::nullopt;
    // Durable before the next one, so a rollback killed from here on skips this undo. If the
    // disk refuses, the worst case is running it again next time, which an undo must allow.
    (void)save_manifest(paths, manifest);
    out.push_back(std::move(line));
  }
}

}  // namespace periscope::setup::detail
