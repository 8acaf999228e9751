// Boot entries: the separate entry that binds the GPU (the safe mode: the default entry stays
// as it was, so a bad setup costs one reboot into the old entry) and the commands that rebuild
// the boot menu.
#include <fmt/format.h>

#include "setup/machine_boot_cmdline.hpp"
#include "setup/machine_text.hpp"
#include "setup/setup_generators.hpp"

namespace periscope::setup {

namespace {

constexpr const char* kTitleSuffix = " - GPU for the VM (vfio-pci)";

// The value of a "key value" line of a BLS entry.
std::string entry_value(const std::string& text, std::string_view key) {
  for (const std::string& line : split_lines(text)) {
    const std::string_view t = trim(line);
    if (starts_with(t, key) && t.size() > key.size() &&
        (t[key.size()] == ' ' || t[key.size()] == '\t')) {
      return std::string(trim(t.substr(key.size())));
    }
  }
  return {};
}

std::string header(const std::vector<std::string>& args) {
  return fmt::format(
      "# Written by `periscope setup plan`: the same system with the GPU bound to vfio-pci for\n"
      "# the VM. The default entry is unchanged: if this one does not boot, pick the default\n"
      "# one. Delete this file to drop the entry. Added: {}\n",
      join(args, " "));
}

}  // namespace

PlannedFile grub_separate_entry(const std::vector<std::string>& args) {
  std::string text = "#!/bin/sh\n";
  text += fmt::format(
      "# Written by `periscope setup plan`. grub-mkconfig runs this after 10_linux: it lists the\n"
      "# same Linux entries again, after the unchanged default ones, with the GPU bound to\n"
      "# vfio-pci for the VM. If such an entry does not boot, pick the first entry.\n"
      "# To drop them: delete this file and rebuild grub.cfg (update-grub or grub-mkconfig).\n"
      "set -e\n"
      "periscope_args='{}'\n"
      "GRUB_CMDLINE_LINUX_DEFAULT=\"${{GRUB_CMDLINE_LINUX_DEFAULT}} ${{periscope_args}}\"\n"
      "GRUB_DISABLE_RECOVERY=true\n"
      "export GRUB_CMDLINE_LINUX_DEFAULT GRUB_DISABLE_RECOVERY\n"
      "# New titles and menu ids, so the default entry (and a saved default) stays the old one.\n"
      "\"$(dirname \"$0\")/10_linux\" | sed \\\n"
      "  -e \"s/^\\(\\s*\\)menuentry '\\([^']*\\)'/\\1menuentry '\\2{}'/\" \\\n"
      "  -e \"s/^submenu '\\([^']*\\)'/submenu '\\1{}'/\" \\\n"
      "  -e \"s/\\$menuentry_id_option '/\\$menuentry_id_option 'periscope-vfio-/\"\n",
      join(args, " "), kTitleSuffix, kTitleSuffix);
  // grub-mkconfig runs only the executable files of /etc/grub.d.
  return {kGrubEntryPath, text, 0755,
          "a second set of GRUB entries that bind the GPU; the default entry is unchanged"};
}

Result<PlannedFile> loader_separate_entry(const HostDetection& host,
                                          const std::vector<std::string>& args) {
  if (host.esp.empty()) {
    return fail(ErrorCode::kNotFound,
                "no loader/ folder on /boot, /efi or /boot/efi: cannot add a boot entry");
  }
  const std::string path = host.esp + "/loader/entries/" + kLoaderEntryName;
  // The newest entry that is not ours: Fedora and kernel-install name entries by version.
  const LoaderEntry* base = nullptr;
  for (const LoaderEntry& entry : host.loader_entries) {
    if (path_basename(entry.path) != kLoaderEntryName) base = &entry;
  }
  std::string text = header(args);
  if (base != nullptr) {
    const std::string title = entry_value(base->text, "title");
    text += fmt::format("title {}{}\n", title.empty() ? std::string("Linux") : title, kTitleSuffix);
    for (const std::string& line : split_lines(base->text)) {
      const std::vector<std::string> words = split_whitespace(line);
      if (words.empty() || starts_with(words[0], "#") || words[0] == "title" ||
          words[0] == "options") {
        continue;
      }
      text += line + "\n";
    }
    text += "options " + join(merge_args(parse_loader_entry(base->text), args), " ") + "\n";
    return PlannedFile{path, text, 0644,
                       fmt::format("a boot entry like {} that binds the GPU", base->path)};
  }
  // No type-1 entry to copy (a unified kernel image): an entry for the kernel and initramfs
  // the initramfs generator keeps in /boot, which systemd-boot can read when /boot is the ESP.
  std::string kernel;
  for (const std::string& image : host.boot_images) {
    if (starts_with(path_basename(image), "vmlinuz")) kernel = image;
  }
  if (kernel.empty()) {
    return fail(ErrorCode::kNotFound,
                "no boot entry to copy and no /boot/vmlinuz-*: cannot make a separate boot entry");
  }
  const std::string flavour = path_basename(kernel).substr(std::string_view("vmlinuz").size());
  std::string initrd;
  for (const std::string& image : host.boot_images) {
    const std::string name = path_basename(image);
    if (name == "initramfs" + flavour + ".img" || name == "initrd.img" + flavour) initrd = image;
  }
  if (initrd.empty() || host.esp != "/boot") {
    return fail(ErrorCode::kNotFound,
                "the kernel {} has no matching initramfs on the EFI system partition (it is "
                "mounted at {}): cannot make a separate boot entry",
                kernel, host.esp);
  }
  const std::string* cmdline = host.file("/etc/kernel/cmdline");
  std::vector<std::string> options;
  if (cmdline != nullptr) {
    for (const std::string& line : split_lines(*cmdline)) {
      if (starts_with(trim(line), "#")) continue;
      for (std::string& arg : split_kernel_cmdline(line)) options.push_back(std::move(arg));
    }
  }
  text += fmt::format("title Linux ({}){}\n", flavour.empty() ? "linux" : flavour.substr(1),
                      kTitleSuffix);
  text += fmt::format("linux {}\n", kernel.substr(host.esp.size()));
  text += fmt::format("initrd {}\n", initrd.substr(host.esp.size()));
  text += "options " + join(merge_args(options, args), " ") + "\n";
  return PlannedFile{path, text, 0644,
                     fmt::format("a boot entry for {} that binds the GPU", kernel)};
}

PlannedCommand grub_command(const HostDetection& host) {
  if (host.distro.like("debian") || host.distro.like("ubuntu")) {
    return {{"update-grub"}, "rebuild the GRUB menu", true};
  }
  const bool grub2 = host.grub_cfg.find("grub2") != std::string::npos;
  return {{grub2 ? "grub2-mkconfig" : "grub-mkconfig", "-o",
           host.grub_cfg.empty() ? "/boot/grub/grub.cfg" : host.grub_cfg},
          "rebuild the GRUB menu",
          true};
}

PlannedCommand kernelstub_command(const std::vector<std::string>& args) {
  // kernelstub keeps its own copy of the command line; rollback needs `kernelstub -d`.
  return {
      {"kernelstub", "-a", join(args, " ")}, "add the arguments to the Pop!_OS boot entry", false};
}

}  // namespace periscope::setup
