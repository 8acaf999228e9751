#pragma once
// What `periscope setup plan` proposes and `setup apply` carries out: whole files to write and
// commands to run afterwards. The generators fill it; the apply engine is the only code that
// touches the machine, so every write goes through one place with backups and a manifest.
#include <cstdint>
#include <string>
#include <vector>

namespace periscope::setup {

struct PlannedFile {
  std::string
      path;  // absolute path on the target machine, e.g. /etc/modprobe.d/periscope-vfio.conf
  std::string content;       // the whole new content of the file
  std::uint32_t mode{0644};  // permission bits for a file that does not exist yet
  std::string why;           // one line shown in the plan
};

struct PlannedCommand {
  std::vector<std::string> argv;  // e.g. {"update-initramfs", "-u", "-k", "all"}
  std::string why;
  // Commands that regenerate derived state (initramfs, bootloader menu) are run again by
  // rollback once the original files are back.
  bool regenerate{false};
  // The command that reverses this one's effect outside the planned files (an image it built,
  // a definition it registered, a setting a tool keeps itself); empty when the files say it
  // all. Rollback runs it, in reverse order, for every command apply started.
  std::vector<std::string> undo{};
};

struct SetupPlan {
  std::vector<PlannedFile> files;
  std::vector<PlannedCommand> commands;  // run in order after every file is written
  std::vector<std::string> warnings;     // shown loudly before anything happens
};

}  // namespace periscope::setup
