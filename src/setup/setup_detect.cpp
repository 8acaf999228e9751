// Detection for `setup plan`: the doctor's facts say what the machine is, this says how it is
// configured (which tools rebuild the initramfs and the boot menu) and what the files say now.
#include "setup/setup_detect.hpp"

#include <algorithm>

#include "setup/machine_boot_cmdline.hpp"
#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

// os-release values are shell words: "Debian GNU/Linux 12 (bookworm)", 'x', or bare.
std::string os_release_value(std::string_view raw) {
  std::string_view value = trim(raw);
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
      value.back() == value.front()) {
    value = value.substr(1, value.size() - 2);
  }
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) ++i;
    out += value[i];
  }
  return printable(out, 100);
}

Distro parse_os_release(std::string_view text) {
  Distro distro;
  for (const std::string& line : split_lines(text)) {
    const std::size_t equals = line.find('=');
    if (equals == std::string::npos || starts_with(trim(line), "#")) continue;
    const std::string key(trim(std::string_view(line).substr(0, equals)));
    const std::string value = os_release_value(std::string_view(line).substr(equals + 1));
    if (key == "ID") distro.id = value;
    if (key == "ID_LIKE") distro.id_like = split_whitespace(value);
    if (key == "PRETTY_NAME") distro.pretty_name = value;
  }
  return distro;
}

// Reads a file whole into `detection.files`; one that exists but cannot be read whole goes to
// `unreadable`, so no generator mistakes it for a missing file and replaces it.
void snapshot(const MachineReader& reader, HostDetection& detection, const std::string& path) {
  auto info = reader.stat(path);
  if (!info) return;
  if (info->type != FileType::kRegular || info->size >= kTextFileBytes) {
    detection.unreadable.insert(path);
    detection.problems.push_back(path + ": not a regular file of less than 256 KiB");
    return;
  }
  auto text = reader.read_file(path, kTextFileBytes);
  if (!text) {
    detection.unreadable.insert(path);
    detection.problems.push_back(printable(text.error().message));
    return;
  }
  detection.files[path] = std::move(*text);
}

std::optional<InitramfsTool> pick_initramfs(const MachineReader& reader,
                                            const std::vector<InitramfsTool>& tools,
                                            std::vector<std::string>& problems) {
  if (tools.empty()) return std::nullopt;
  if (tools.size() == 1) return tools.front();
  // Several configurations: the one whose program is installed.
  const auto installed = [&](InitramfsTool tool) {
    switch (tool) {
      case InitramfsTool::kMkinitcpio:
        return reader.exists("/usr/bin/mkinitcpio");
      case InitramfsTool::kDracut:
        return reader.exists("/usr/bin/dracut") || reader.exists("/usr/sbin/dracut");
      case InitramfsTool::kInitramfsTools:
        return reader.exists("/usr/sbin/update-initramfs");
    }
    return false;
  };
  for (const InitramfsTool tool : tools) {
    if (installed(tool)) return tool;
  }
  problems.push_back("several initramfs generators are configured and none is installed; using " +
                     initramfs_name(tools.front()));
  return tools.front();
}

}  // namespace

bool Distro::like(std::string_view name) const {
  return id == name || std::find(id_like.begin(), id_like.end(), name) != id_like.end();
}

const std::string* HostDetection::file(const std::string& path) const {
  const auto it = files.find(path);
  return it == files.end() ? nullptr : &it->second;
}

std::map<std::string, std::string> HostDetection::files_in(const std::string& dir) const {
  std::map<std::string, std::string> out;
  const std::string prefix = dir + "/";
  for (const auto& [path, text] : files) {
    if (starts_with(path, prefix) && path.find('/', prefix.size()) == std::string::npos) {
      out[path] = text;
    }
  }
  return out;
}

std::optional<bool> HostDetection::kernel_at_least(int major, int minor) const {
  if (!kernel_major || !kernel_minor) return std::nullopt;
  return *kernel_major > major || (*kernel_major == major && *kernel_minor >= minor);
}

std::string bootloader_name(Bootloader bootloader) {
  switch (bootloader) {
    case Bootloader::kKernelstub:
      return "kernelstub (Pop!_OS)";
    case Bootloader::kSystemdBoot:
      return "Boot Loader Specification entries";
    case Bootloader::kKernelCmdline:
      return "/etc/kernel/cmdline (unified kernel image)";
    case Bootloader::kGrub:
      return "GRUB (/etc/default/grub)";
    case Bootloader::kUnknown:
      break;
  }
  return "unknown";
}

std::string initramfs_name(InitramfsTool tool) {
  switch (tool) {
    case InitramfsTool::kMkinitcpio:
      return "mkinitcpio";
    case InitramfsTool::kDracut:
      return "dracut";
    case InitramfsTool::kInitramfsTools:
      return "initramfs-tools";
  }
  return "?";
}

HostDetection detect_host(const MachineReader& reader, const MachineFacts& facts) {
  HostDetection d;
  for (const char* path : {"/etc/os-release", "/usr/lib/os-release"}) {
    if (auto text = reader.read_file(path, kTextFileBytes)) {
      d.distro = parse_os_release(*text);
      break;
    }
  }
  d.initramfs = pick_initramfs(reader, facts.initramfs.tools, d.problems);
  if (facts.kernel.release) d.kernel_release = *facts.kernel.release;
  d.kernel_major = facts.kernel.major;
  d.kernel_minor = facts.kernel.minor;
  d.vfio_pci_builtin = facts.kernel.vfio_pci_builtin.value_or(false);

  for (const char* path :
       {"/etc/default/grub", "/etc/mkinitcpio.conf", "/etc/initramfs-tools/modules",
        "/etc/kernel/cmdline", "/etc/kernelstub/configuration", kGrubEntryPath, kTmpfilesPath,
        kKvmfrModulesLoadPath, kKvmfrUdevPath, kQemuConfPath, kAppArmorLocalPath, kDebianHookPath,
        kPostinstPath, kPostrmPath, kKernelInstallPath, kMkinitcpioConfPath}) {
    snapshot(reader, d, path);
  }
  for (const char* dir : {"/etc/modprobe.d", "/etc/dracut.conf.d", "/etc/mkinitcpio.d"}) {
    for (const std::string& name : reader.list_or_empty(dir)) {
      if (is_kernel_name(name) || ends_with(name, ".conf") || ends_with(name, ".preset")) {
        snapshot(reader, d, std::string(dir) + "/" + printable(name));
      }
    }
  }

  if (const std::string* grub = d.file("/etc/default/grub")) {
    for (const std::string& line : split_lines(*grub)) {
      const std::string_view t = trim(line);
      if (t == "GRUB_ENABLE_BLSCFG=true" || t == "GRUB_ENABLE_BLSCFG=\"true\"") d.grub_bls = true;
      if (t == "GRUB_TIMEOUT=0" || t == "GRUB_TIMEOUT_STYLE=hidden") d.grub_hidden_menu = true;
    }
    d.grub_cfg = reader.is_dir("/boot/grub2") || d.distro.like("fedora") || d.distro.like("rhel")
                     ? "/boot/grub2/grub.cfg"
                     : "/boot/grub/grub.cfg";
  }
  for (const char* esp : {"/boot", "/efi", "/boot/efi"}) {
    const std::string loader = std::string(esp) + "/loader";
    if (!reader.is_dir(loader)) continue;
    d.esp = esp;
    if (auto conf = reader.read_file(loader + "/loader.conf", kTextFileBytes)) {
      for (const std::string& line : split_lines(*conf)) {
        const std::vector<std::string> words = split_whitespace(line);
        if (words.size() >= 2 && words[0] == "default") d.loader_default_set = true;
      }
    }
    for (const std::string& name : reader.list_or_empty(loader + "/entries")) {
      if (!ends_with(name, ".conf")) continue;
      const std::string path = loader + "/entries/" + printable(name);
      snapshot(reader, d, path);
      if (const std::string* text = d.file(path)) d.loader_entries.push_back({path, *text});
    }
    break;
  }
  for (const std::string& name : reader.list_or_empty("/boot")) {
    if (starts_with(name, "vmlinuz") || starts_with(name, "initramfs-") ||
        starts_with(name, "initrd.img-") || starts_with(name, "periscope-vfio-")) {
      d.boot_images.push_back("/boot/" + printable(name));
    }
  }

  d.kernel_install = reader.is_dir("/usr/lib/kernel/install.d");

  const bool grub = d.file("/etc/default/grub") != nullptr;
  const bool entries =
      std::any_of(d.loader_entries.begin(), d.loader_entries.end(),
                  [](const LoaderEntry& e) { return path_basename(e.path) != kLoaderEntryName; });
  if (d.file("/etc/kernelstub/configuration") != nullptr) {
    d.bootloader = Bootloader::kKernelstub;
  } else if (entries && (d.grub_bls || !grub)) {
    d.bootloader = Bootloader::kSystemdBoot;
  } else if (d.file("/etc/kernel/cmdline") != nullptr && !grub) {
    d.bootloader = Bootloader::kKernelCmdline;
  } else if (grub) {
    d.bootloader = Bootloader::kGrub;
  }
  return d;
}

}  // namespace periscope::setup
