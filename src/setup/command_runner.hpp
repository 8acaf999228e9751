#pragma once
// How the apply engine runs a plan's commands: for real (a child process, waited for), or,
// under --root, recorded instead of run (a captured tree has no initramfs to rebuild, and a
// test must never run update-grub on the machine it runs on).
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace periscope::setup {

struct CommandResult {
  bool executed{false};  // false: recorded only
  int exit_status{0};    // as from WEXITSTATUS, or 128 + signal
};

// The argv as one line a user can paste into a shell: arguments quoted only where the shell
// needs it (so `update-grub` reads as it always did, and a glob stays a literal).
[[nodiscard]] std::string shell_command_line(const std::vector<std::string>& argv);

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // An error means the command could not be started or waited for.
  virtual Result<CommandResult> run(const std::vector<std::string>& argv) = 0;
};

// Runs each command as a child process with our stdout/stderr (the user sees
// update-initramfs talk), finding a bare program name on PATH. A command still running after
// `timeout` is terminated and counts as failed.
class SubprocessRunner final : public CommandRunner {
 public:
  explicit SubprocessRunner(Nanoseconds timeout = std::chrono::minutes(30)) : timeout_(timeout) {}
  Result<CommandResult> run(const std::vector<std::string>& argv) override;

 private:
  Nanoseconds timeout_;
};

// Records each argv and reports success without running anything.
class RecordingRunner final : public CommandRunner {
 public:
  Result<CommandResult> run(const std::vector<std::string>& argv) override {
    recorded_.push_back(argv);
    return CommandResult{false, 0};
  }
  [[nodiscard]] const std::vector<std::vector<std::string>>& recorded() const { return recorded_; }

 private:
  std::vector<std::vector<std::string>> recorded_;
};

// argv[0] as given when it holds a '/', else the first executable of that name on PATH (or
// /usr/sbin:/usr/bin:/sbin:/bin without PATH); kNotFound when there is none.
Result<std::string> find_program(const std::string& name);

}  // namespace periscope::setup
