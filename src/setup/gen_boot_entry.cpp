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
      "# vfio-pci for the VM and each kernel's own image, /boot/{0}<kernel>.img\n"
      "# (built by the kernel hook; a kernel without one gets no such entry). If an entry\n"
      "# does not boot, pick the first entry.\n"
      "# To drop them: delete this file and rebuild grub.cfg (update-grub or grub-mkconfig).\n"
      "set -e\n"
      "periscope_args='{1}'\n"
      "# Where the images are (a chroot or a test may point it elsewhere).\n"
      "periscope_boot=\"${{PERISCOPE_BOOT_DIR:-/boot}}\"\n"
      "GRUB_CMDLINE_LINUX_DEFAULT=\"${{GRUB_CMDLINE_LINUX_DEFAULT}} ${{periscope_args}}\"\n"
      "GRUB_DISABLE_RECOVERY=true\n"
      "export GRUB_CMDLINE_LINUX_DEFAULT GRUB_DISABLE_RECOVERY\n"
      "# New titles and menu ids, so the default entry (and a saved default) stays the old one;\n"
      "# then each entry's last initrd (the main image; microcode comes first) becomes the\n"
      "# kernel's vfio-pci image.\n"
      "\"$(dirname \"$0\")/10_linux\" | sed \\\n"
      "  -e \"s/^\\(\\s*\\)menuentry '\\([^']*\\)'/\\1menuentry '\\2{2}'/\" \\\n"
      "  -e \"s/^submenu '\\([^']*\\)'/submenu '\\1{2}'/\" \\\n"
      "  -e \"s/\\$menuentry_id_option '/\\$menuentry_id_option 'periscope-vfio-/\" |\n"
      "  awk -v boot=\"$periscope_boot\" -v prefix='{0}' '\n"
      "function exists(path,    line, status) {{\n"
      "\tstatus = (getline line < path)\n"
      "\tclose(path)\n"
      "\treturn status >= 0\n"
      "}}\n"
      "inside == 0 && /^[ \\t]*menuentry / {{ inside = 1; block = \"\"; name = \"\"; initrd = 0 "
      "}}\n"
      "inside == 0 {{ print; next }}\n"
      "$1 == \"linux\" {{ count = split($2, parts, \"/\"); name = parts[count]; sub(/^vmlinuz-/, "
      "\"\", name) }}\n"
      "$1 == \"initrd\" && name != \"\" {{\n"
      "\tdir = $NF; sub(/[^\\/]*$/, \"\", dir)\n"
      "\tsub(/[^ \\t]+[ \\t]*$/, dir prefix name \".img\")\n"
      "\tinitrd = 1\n"
      "}}\n"
      "{{ block = block $0 \"\\n\" }}\n"
      "/^[ \\t]*}}[ \\t]*$/ {{\n"
      "\tinside = 0\n"
      "\timage = boot \"/\" prefix name \".img\"\n"
      "\tif (name != \"\" && initrd && exists(image)) {{ printf \"%s\", block; next }}\n"
      "\tprint \"periscope-vfio: no \" image \": no vfio-pci entry for \" name > \"/dev/stderr\"\n"
      "}}\n"
      "'\n",
      kPrivateImagePrefix, join(args, " "), kTitleSuffix);
  // grub-mkconfig runs only the executable files of /etc/grub.d.
  return {kGrubEntryPath, text, 0755,
          "a second set of GRUB entries that bind the GPU; the default entry is unchanged"};
}

Result<SeparateLoaderEntry> loader_separate_entry(const HostDetection& host,
                                                  const std::vector<std::string>& args,
                                                  bool can_track) {
  if (host.esp.empty()) {
    return fail(ErrorCode::kNotFound,
                "no loader/ folder on /boot, /efi or /boot/efi: cannot add a boot entry");
  }
  // The entry's paths are relative to the partition that holds it; the separate image is
  // built in /boot, so that must be the same partition: systemd-boot with /boot as the ESP,
  // or GRUB reading the entries from /boot (blscfg).
  if (host.esp != "/boot" && !host.grub_bls) {
    return fail(ErrorCode::kUnsupported,
                "the boot entries live on the EFI partition at {}, where the separate entry's "
                "own image (built in /boot) cannot be reached: cannot make a separate boot entry",
                host.esp);
  }
  const std::string path = host.esp + "/loader/entries/" + kLoaderEntryName;
  // The newest entry that is not ours: Fedora and kernel-install name entries by version.
  const LoaderEntry* base = nullptr;
  for (const LoaderEntry& entry : host.loader_entries) {
    if (path_basename(entry.path) != kLoaderEntryName) base = &entry;
  }
  std::string text = header(args);
  if (base != nullptr) {
    const std::string kernel = entry_value(base->text, "linux");
    const std::string kernel_file = path_basename(kernel);
    if (!starts_with(kernel_file, "vmlinuz-") || kernel.find('/', 1) != std::string::npos) {
      return fail(ErrorCode::kUnsupported,
                  "{} boots {}, not a /vmlinuz-<version> at the top of /boot: cannot tell which "
                  "image the separate entry needs",
                  base->path, kernel.empty() ? "no kernel" : printable(kernel));
    }
    const std::string name = kernel_file.substr(std::string_view("vmlinuz-").size());
    // A release (Fedora, Debian) changes with every update, a package name (Arch) does not:
    // an entry for a release boots fixed names the kernel hook keeps on the newest kernel.
    const bool tracked = can_track && !name.empty() && name[0] >= '0' && name[0] <= '9';
    const std::string title = entry_value(base->text, "title");
    if (tracked) {
      // The base's title names its release, which the entry will not keep.
      const std::string os =
          host.distro.pretty_name.empty() ? std::string("Linux") : host.distro.pretty_name;
      text += fmt::format("title {} (newest kernel){}\n", os, kTitleSuffix);
    } else {
      text +=
          fmt::format("title {}{}\n", title.empty() ? std::string("Linux") : title, kTitleSuffix);
    }
    const std::string image =
        "/" + (tracked ? std::string(kTrackedImageName) : path_basename(private_image_path(name)));
    // The last initrd line holds the main image (microcode images come first): it becomes the
    // separate image; the others stay.
    const std::vector<std::string> lines = split_lines(base->text);
    std::size_t last_initrd = lines.size();
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const std::vector<std::string> words = split_whitespace(lines[i]);
      if (!words.empty() && words[0] == "initrd") last_initrd = i;
    }
    if (last_initrd == lines.size()) {
      return fail(ErrorCode::kUnsupported, "{} has no initrd line to point at the vfio-pci image",
                  base->path);
    }
    for (std::size_t i = 0; i < lines.size(); ++i) {
      std::vector<std::string> words = split_whitespace(lines[i]);
      if (words.empty() || starts_with(words[0], "#") || words[0] == "title" ||
          words[0] == "options" || (tracked && words[0] == "version")) {
        continue;
      }
      if (tracked && words[0] == "linux") {
        text += fmt::format("linux /{}\n", kTrackedKernelName);
        continue;
      }
      if (i != last_initrd) {
        text += lines[i] + "\n";
        continue;
      }
      // GRUB's BLS entries may carry variables ($tuned_initrd): the main image is the last
      // word that is a path.
      for (std::size_t w = words.size(); w-- > 1;) {
        if (starts_with(words[w], "/")) {
          words[w] = image;
          break;
        }
      }
      text += join(words, " ") + "\n";
    }
    text += "options " + join(merge_args(parse_loader_entry(base->text), args), " ") + "\n";
    return SeparateLoaderEntry{
        PlannedFile{path, text, 0644,
                    tracked ? fmt::format("a boot entry like {} on the newest kernel, with its "
                                          "own image, that binds the GPU",
                                          base->path)
                            : fmt::format("a boot entry like {} with its own image that binds "
                                          "the GPU",
                                          base->path)},
        name, tracked};
  }
  // No type-1 entry to copy (a unified kernel image): an entry for a kernel in /boot, which
  // systemd-boot reads when /boot is the ESP, with the separate image.
  std::string kernel;
  for (const std::string& image : host.boot_images) {
    if (starts_with(path_basename(image), "vmlinuz-")) kernel = image;
  }
  if (kernel.empty() || host.esp != "/boot") {
    return fail(ErrorCode::kNotFound,
                "no boot entry to copy and no /boot/vmlinuz-* on the EFI system partition (it "
                "is mounted at {}): cannot make a separate boot entry",
                host.esp);
  }
  const std::string name = path_basename(kernel).substr(std::string_view("vmlinuz-").size());
  const std::string* cmdline = host.file("/etc/kernel/cmdline");
  std::vector<std::string> options;
  if (cmdline != nullptr) {
    for (const std::string& line : split_lines(*cmdline)) {
      if (starts_with(trim(line), "#")) continue;
      for (std::string& arg : split_kernel_cmdline(line)) options.push_back(std::move(arg));
    }
  }
  text += fmt::format("title Linux ({}){}\n", name, kTitleSuffix);
  text += fmt::format("linux {}\n", kernel.substr(host.esp.size()));
  text += fmt::format("initrd {}\n", private_image_path(name).substr(host.esp.size()));
  text += "options " + join(merge_args(options, args), " ") + "\n";
  return SeparateLoaderEntry{
      PlannedFile{path, text, 0644,
                  fmt::format("a boot entry for {} with its own image that binds the GPU", kernel)},
      name, false};
}

PlannedCommand grub_command(const HostDetection& host) {
  if (host.distro.like("debian") || host.distro.like("ubuntu")) {
    return {{"update-grub"}, "rebuild the GRUB menu", true, {}};
  }
  const bool grub2 = host.grub_cfg.find("grub2") != std::string::npos;
  return {{grub2 ? "grub2-mkconfig" : "grub-mkconfig", "-o",
           host.grub_cfg.empty() ? "/boot/grub/grub.cfg" : host.grub_cfg},
          "rebuild the GRUB menu",
          true,
          {}};
}

PlannedCommand kernelstub_command(const std::vector<std::string>& args) {
  // kernelstub keeps its own copy of the command line, outside any file the plan writes:
  // rollback deletes the same arguments with `kernelstub -d`.
  return {{"kernelstub", "-a", join(args, " ")},
          "add the arguments to the Pop!_OS boot entry",
          false,
          {"kernelstub", "-d", join(args, " ")}};
}

}  // namespace periscope::setup
