#pragma once
// Rollback's first step: the undo of every command apply started (PlannedCommand::undo), in
// reverse order, before the files come back, each recorded in the manifest as it finishes so
// a rollback killed half way runs only the ones not done.
#include <string>
#include <vector>

#include "setup/apply_engine.hpp"
#include "setup/apply_engine_paths.hpp"
#include "setup/command_runner.hpp"
#include "setup/setup_manifest.hpp"

namespace periscope::setup::detail {

// A failing undo does not stop the others (nor the files after them): it is reported, for
// the user to run by hand. The manifest is rewritten after each undo run.
void run_undo_commands(const EnginePaths& paths, Manifest& manifest, CommandRunner& runner,
                       std::vector<CommandReport>& out);

// One command rollback runs, as a report line: ran, recorded (--root), or failed and why.
[[nodiscard]] CommandReport run_for_rollback(CommandRunner& runner,
                                             const std::vector<std::string>& argv);

}  // namespace periscope::setup::detail
