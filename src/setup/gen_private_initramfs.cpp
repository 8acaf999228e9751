// The separate boot entry's own initramfs: the distribution's images and configuration stay
// exactly as they were, and a second image per kernel carries vfio-pci, loaded before any
// GPU driver. The ids are on that entry's command line only. Here: which kernels, the
// initramfs-tools hook and the mkinitcpio configuration and presets; gen_kernel_hook.cpp
// keeps the images built after kernel updates.
#include <fmt/format.h>

#include "setup/machine_text.hpp"
#include "setup/setup_generators.hpp"

namespace periscope::setup {

namespace {

constexpr const char* kPresetName = "periscope_vfio";

// The value of `ALL_kver=` in a mkinitcpio preset (bash; quotes stripped).
std::string preset_kernel(const std::string& text) {
  std::string kernel;
  for (const std::string& line : split_lines(text)) {
    const std::string_view t = trim(line);
    if (!starts_with(t, "ALL_kver=")) continue;
    kernel = std::string(t.substr(std::string_view("ALL_kver=").size()));
    std::erase(kernel, '"');
    std::erase(kernel, '\'');
  }
  return kernel;
}

bool is_kernel_image_name(const std::string& name) {
  // Fedora's rescue kernel has no modules of its own version to build an image from.
  return starts_with(name, "vmlinuz-") && name.find("rescue") == std::string::npos &&
         is_kernel_name(name.substr(std::string_view("vmlinuz-").size()));
}

std::vector<PlannedFile> initramfs_tools_files(const GpuBinding& gpu) {
  std::string hook = fmt::format(
      "#!/bin/sh\n"
      "# Written by `periscope setup apply` for the VM's GPU {}.\n"
      "# Puts vfio-pci into the separate boot entry's image only: it does nothing unless\n"
      "# PERISCOPE_VFIO_IMAGE=1, which only that image's build (the kernel hook) sets, so the\n"
      "# distribution's own images are never changed. `periscope setup rollback` removes it.\n",
      gpu.description);
  hook +=
      "PREREQ=\"\"\n"
      "prereqs() { echo \"$PREREQ\"; }\n"
      "case \"$1\" in\n"
      "prereqs)\n"
      "\tprereqs\n"
      "\texit 0\n"
      "\t;;\n"
      "esac\n"
      "[ \"${PERISCOPE_VFIO_IMAGE:-}\" = 1 ] || exit 0\n"
      ". /usr/share/initramfs-tools/hook-functions\n"
      "# Loaded at boot (conf/modules): vfio-pci claims the ids on the entry's command line.\n"
      "for module in vfio vfio_iommu_type1 vfio_pci; do\n"
      "\tforce_load \"$module\"\n"
      "done\n";
  if (!gpu.host_drivers.empty()) {
    hook +=
        "# udev starts before conf/modules loads: if it loads one of these drivers first,\n"
        "# vfio-pci comes before it.\n"
        "mkdir -p \"${DESTDIR}/etc/modprobe.d\"\n"
        "cat >\"${DESTDIR}/etc/modprobe.d/periscope-vfio.conf\" <<'EOF'\n";
    for (const std::string& driver : gpu.host_drivers) {
      hook += fmt::format("softdep {} pre: vfio-pci\n", driver);
    }
    hook += "EOF\n";
  }
  return {{kDebianHookPath, hook, 0755, "vfio-pci in the separate entry's image only"}};
}

std::vector<PlannedFile> mkinitcpio_files(const GpuBinding& gpu,
                                          const std::vector<PrivateImage>& images,
                                          const HostDetection& host) {
  std::string conf = fmt::format(
      "# Written by `periscope setup apply` for the VM's GPU {}.\n"
      "# The separate boot entry's image: the host's own configuration with vfio-pci first in\n"
      "# MODULES. mkinitcpio's init loads MODULES before udev starts, so vfio-pci claims the ids\n"
      "# on that entry's command line before any GPU driver can. The default image is built\n"
      "# from /etc/mkinitcpio.conf alone, as before.\n"
      "source /etc/mkinitcpio.conf\n"
      "periscope_modules=(vfio_pci vfio vfio_iommu_type1)\n"
      "# Word by word: an old-style MODULES=\"a b\" string splits like an array.\n"
      "for periscope_module in ${{MODULES[*]}}; do\n"
      "\tcase \"$periscope_module\" in\n"
      "\tvfio_pci | vfio | vfio_iommu_type1 | vfio_virqfd) ;; # vfio_virqfd is gone since 6.2\n"
      "\t*) periscope_modules+=(\"$periscope_module\") ;;\n"
      "\tesac\n"
      "done\n"
      "MODULES=(\"${{periscope_modules[@]}}\")\n"
      "unset periscope_modules periscope_module\n",
      gpu.description);
  std::vector<PlannedFile> files{
      {kMkinitcpioConfPath, conf, 0644, "the separate entry's image: vfio-pci loaded first"}};
  // Each preset gains a preset of ours, so `mkinitcpio -p <kernel>` after an update (pacman's
  // hook) builds the separate image too.
  for (const PrivateImage& image : images) {
    if (image.preset.empty()) continue;
    std::string text = *host.file(image.preset);
    const std::string block = fmt::format(
        "\n# periscope: the vfio-pci boot entry's image (`periscope setup rollback` removes "
        "these lines)\n"
        "PRESETS+=('{0}')\n"
        "{0}_config='{1}'\n"
        "{0}_image='{2}'\n",
        kPresetName, kMkinitcpioConfPath, image.image);
    if (text.find(block) == std::string::npos) {
      if (!text.empty() && !ends_with(text, "\n")) text += '\n';
      text += block;
    }
    files.push_back(
        {image.preset, text, 0644, "kernel updates build the separate entry's image too"});
  }
  return files;
}

}  // namespace

std::string private_image_path(const std::string& kernel_name) {
  return fmt::format("/boot/{}{}.img", kPrivateImagePrefix, kernel_name);
}

Result<std::vector<PrivateImage>> private_images(InitramfsTool tool, const HostDetection& host) {
  std::vector<PrivateImage> images;
  const auto add = [&](const std::string& kernel, const std::string& preset) {
    const std::string name = path_basename(kernel).substr(std::string_view("vmlinuz-").size());
    for (const PrivateImage& known : images) {
      if (known.name == name) return;
    }
    images.push_back({kernel, name, private_image_path(name), preset});
  };
  if (tool == InitramfsTool::kMkinitcpio) {
    // Arch names images after the kernel package, which only the presets tell.
    for (const auto& [path, text] : host.files_in("/etc/mkinitcpio.d")) {
      if (!ends_with(path, ".preset")) continue;
      const std::string kernel = preset_kernel(text);
      if (starts_with(kernel, "/boot/vmlinuz-") && is_kernel_image_name(path_basename(kernel))) {
        add(kernel, path);
      }
    }
  }
  for (const std::string& image : host.boot_images) {
    if (is_kernel_image_name(path_basename(image))) add(image, "");
  }
  if (images.empty() && tool != InitramfsTool::kMkinitcpio && !host.kernel_release.empty()) {
    add("/boot/vmlinuz-" + host.kernel_release, "");
  }
  if (images.empty()) {
    return fail(ErrorCode::kNotFound,
                "no kernel found in /boot (vmlinuz-*) or in /etc/mkinitcpio.d presets: cannot "
                "build the separate entry's image");
  }
  return images;
}

std::vector<PlannedFile> generate_private_initramfs(InitramfsTool tool, const GpuBinding& gpu,
                                                    const std::vector<PrivateImage>& images,
                                                    const HostDetection& host) {
  switch (tool) {
    case InitramfsTool::kInitramfsTools:
      return initramfs_tools_files(gpu);
    case InitramfsTool::kDracut:
      return {};  // dracut takes everything on its command line (the kernel hook's)
    case InitramfsTool::kMkinitcpio:
      break;
  }
  return mkinitcpio_files(gpu, images, host);
}

PlannedCommand mkinitcpio_image_command(const PrivateImage& image) {
  PlannedCommand command;
  command.argv = {"mkinitcpio", "--config",   kMkinitcpioConfPath, "--kernel",
                  image.kernel, "--generate", image.image};
  command.why = fmt::format("build the vfio-pci entry's image for {}", image.kernel);
  command.undo = private_images_undo();
  return command;
}

}  // namespace periscope::setup
