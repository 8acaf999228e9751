// Who may open the Looking Glass shared memory: the viewer (the user) and QEMU (group kvm).
// A /dev/shm file made by tmpfiles, or the kvmfr device with its size, udev rule, the cgroup
// device list of libvirt's QEMU and AppArmor's rule.
#include <algorithm>

#include <fmt/format.h>

#include "setup/machine_text.hpp"
#include "setup/setup_generators.hpp"

namespace periscope::setup {

namespace {

constexpr const char* kShmFile = "/dev/shm/looking-glass";
constexpr const char* kKvmfrDevice = "/dev/kvmfr0";

// Appends `rule` to the AppArmor local abstraction unless a line already says it.
std::optional<PlannedFile> apparmor_rule(const HostDetection& host, const std::string& rule,
                                         const std::string& why) {
  const std::string* current = host.file(kAppArmorLocalPath);
  std::string text = current != nullptr ? *current : std::string();
  for (const std::string& line : split_lines(text)) {
    if (trim(line) == rule) return std::nullopt;
  }
  if (!text.empty() && !ends_with(text, "\n")) text += '\n';
  text += "# periscope: " + why + "\n" + rule + "\n";
  return PlannedFile{kAppArmorLocalPath, text, 0644, why};
}

// qemu.conf: the uncommented cgroup_device_acl list gains /dev/kvmfr0; without one, libvirt's
// default list plus /dev/kvmfr0 is appended (setting the key replaces the default).
std::string qemu_conf_with_kvmfr(const std::string* current) {
  std::string text = current != nullptr ? *current : std::string();
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    const std::size_t newline = text.find('\n', line_start);
    const std::size_t line_end = newline == std::string::npos ? text.size() : newline;
    const std::string_view t =
        trim(std::string_view(text).substr(line_start, line_end - line_start));
    if (starts_with(t, "cgroup_device_acl")) {
      const std::size_t open = text.find('[', line_start);
      const std::size_t close = open == std::string::npos ? open : text.find(']', open);
      if (close == std::string::npos) break;
      if (text.substr(open, close - open).find(std::string("\"") + kKvmfrDevice + "\"") !=
          std::string::npos) {
        return text;
      }
      const std::size_t last_quote = text.rfind('"', close);
      if (last_quote == std::string::npos || last_quote < open) {
        return text.substr(0, open + 1) + "\"" + kKvmfrDevice + "\"" + text.substr(open + 1);
      }
      return text.substr(0, last_quote + 1) + ", \"" + kKvmfrDevice + "\"" +
             text.substr(last_quote + 1);
    }
    line_start = line_end + 1;
  }
  if (!text.empty() && !ends_with(text, "\n")) text += '\n';
  text += fmt::format(
      "# periscope: QEMU may open the kvmfr device (libvirt's default list plus {})\n"
      "cgroup_device_acl = [\n"
      "    \"/dev/null\", \"/dev/full\", \"/dev/zero\",\n"
      "    \"/dev/random\", \"/dev/urandom\",\n"
      "    \"/dev/ptmx\", \"/dev/kvm\",\n"
      "    \"/dev/userfaultfd\",\n"
      "    \"{}\"\n"
      "]\n",
      kKvmfrDevice, kKvmfrDevice);
  return text;
}

bool changes(const std::vector<PlannedFile>& files, const std::string& path) {
  return std::any_of(files.begin(), files.end(),
                     [&](const PlannedFile& file) { return file.path == path; });
}

}  // namespace

std::vector<PlannedFile> generate_shm_access(const ShmChoices& choices, const HostDetection& host) {
  std::vector<PlannedFile> files;
  if (choices.kind == ShmKind::kShmFile) {
    files.push_back(
        {kTmpfilesPath,
         fmt::format("# Written by `periscope setup plan`: the Looking Glass shared memory, read "
                     "and written\n# by {} (the viewer) and group {} (QEMU), nobody else.\n"
                     "f {} 0660 {} {} -\n",
                     choices.user, choices.group, kShmFile, choices.user, choices.group),
         0644, fmt::format("{} owned by {}:{}, mode 0660", kShmFile, choices.user, choices.group)});
    if (choices.apparmor) {
      if (auto rule = apparmor_rule(host, fmt::format("{} rw,", kShmFile),
                                    "QEMU may map the Looking Glass shared memory file")) {
        files.push_back(std::move(*rule));
      }
    }
    return files;
  }
  files.push_back({kKvmfrModprobePath,
                   fmt::format("# Written by `periscope setup plan`: one kvmfr device ({}) of "
                               "{} MiB, the size QEMU's\n# memory object must have.\n"
                               "options kvmfr static_size_mb={}\n",
                               kKvmfrDevice, choices.size_mib, choices.size_mib),
                   0644,
                   fmt::format("kvmfr makes {} with {} MiB", kKvmfrDevice, choices.size_mib)});
  files.push_back({kKvmfrModulesLoadPath,
                   "# Written by `periscope setup plan`: load kvmfr at boot.\nkvmfr\n", 0644,
                   "load kvmfr at boot"});
  // 70-: before 73-seat-late.rules, which applies the uaccess tag.
  files.push_back(
      {kKvmfrUdevPath,
       fmt::format("# Written by `periscope setup plan`: {} for {} (the viewer) and group {} "
                   "(QEMU).\nSUBSYSTEM==\"kvmfr\", OWNER=\"{}\", GROUP=\"{}\", MODE=\"0660\"\n",
                   kKvmfrDevice, choices.user, choices.group, choices.user, choices.group),
       0644,
       fmt::format("{} owned by {}:{}, mode 0660", kKvmfrDevice, choices.user, choices.group)});
  const std::string* qemu_conf = host.file(kQemuConfPath);
  files.push_back({kQemuConfPath, qemu_conf_with_kvmfr(qemu_conf), 0600,
                   fmt::format("libvirt's QEMU may open {} (cgroup_device_acl)", kKvmfrDevice)});
  if (choices.apparmor) {
    if (auto rule = apparmor_rule(host, fmt::format("{} rw,", kKvmfrDevice),
                                  "QEMU may map the kvmfr device")) {
      files.push_back(std::move(*rule));
    }
  }
  return files;
}

std::vector<PlannedCommand> shm_access_commands(const ShmChoices& choices,
                                                const std::vector<PlannedFile>& files) {
  std::vector<PlannedCommand> commands;
  if (changes(files, kTmpfilesPath)) {
    commands.push_back({{"systemd-tmpfiles", "--create", kTmpfilesPath},
                        "create the shared memory file now, not only at the next boot",
                        false});
  }
  if (changes(files, kKvmfrUdevPath)) {
    commands.push_back(
        {{"udevadm", "control", "--reload-rules"}, "read the kvmfr udev rule", true});
  }
  if (changes(files, kQemuConfPath)) {
    const char* daemon = choices.libvirt_daemon_split ? "virtqemud" : "libvirtd";
    commands.push_back({{"systemctl", "restart", daemon}, "read qemu.conf again", true});
  }
  if (changes(files, kAppArmorLocalPath)) {
    commands.push_back({{"systemctl", "reload", "apparmor"}, "load the AppArmor rule", true});
  }
  return commands;
}

}  // namespace periscope::setup
