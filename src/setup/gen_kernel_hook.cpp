// The kernel hook that keeps the separate entry's image built: the distributions' own hooks
// rebuild only their images. `setup apply` runs the very same script (strict, so a failure is
// its exit status) for the kernels already installed; from the package manager it only
// warns, because the default entry is untouched either way and a failed kernel update is the
// worse outcome.
#include <fmt/format.h>

#include "setup/machine_text.hpp"
#include "setup/setup_generators.hpp"

namespace periscope::setup {

namespace {

// The image build, as shell words with "$1" the kernel release and "$2" the output file.
std::string build_line(InitramfsTool tool) {
  if (tool == InitramfsTool::kDracut) {
    return "dracut --force --force-drivers \"vfio vfio_iommu_type1 vfio_pci\" \"$2\" \"$1\"";
  }
  return "env PERISCOPE_VFIO_IMAGE=1 mkinitramfs -o \"$2\" \"$1\"";
}

std::string common_part(const KernelHookChoices& choices, const GpuBinding& gpu) {
  return fmt::format(
      "#!/bin/sh\n"
      "# Written by `periscope setup apply` for the VM's GPU {0}.\n"
      "# Builds the vfio-pci boot entry's own initramfs when a kernel is installed (and removes\n"
      "# it with the kernel); the distribution's images are never changed. `periscope setup\n"
      "# rollback` removes this file and everything it built.\n"
      "boot=\"${{PERISCOPE_BOOT_DIR:-/boot}}\"\n"
      "# `setup apply` runs this with PERISCOPE_VFIO_STRICT=1: a failure is then its exit\n"
      "# status. From the package manager it only warns: the default entry boots as before.\n"
      "problem() {{\n"
      "\techo \"periscope-vfio: WARNING: $1; the vfio-pci boot entry stays as it was\" >&2\n"
      "\t[ \"${{PERISCOPE_VFIO_STRICT:-0}}\" = 1 ] && exit 1\n"
      "\texit 0\n"
      "}}\n"
      "# image RELEASE FILE: the separate image of kernel RELEASE, replaced only when whole.\n"
      "image() {{\n"
      "\trm -f \"$2.new\"\n"
      "\tset -- \"$1\" \"$2.new\" \"$2\"\n"
      "\tif ! {1}; then\n"
      "\t\trm -f \"$2\"\n"
      "\t\tproblem \"could not build $3\"\n"
      "\tfi\n"
      "\tmv -f \"$2\" \"$3\"\n"
      "\techo \"periscope-vfio: built $3\" >&2\n"
      "}}\n",
      gpu.description, build_line(choices.tool));
}

// One image per kernel, named after it: the GRUB script lists the kernels that have one.
std::string per_kernel_part() {
  return fmt::format(
      "add() {{ image \"$1\" \"$boot/{0}$1.img\"; }}\n"
      "remove() {{ rm -f \"$boot/{0}$1.img\" \"$boot/{0}$1.img.new\"; }}\n",
      kPrivateImagePrefix);
}

// A copied Boot Loader Specification entry names files, not "every kernel": it boots fixed
// names, a copy of the newest kernel and that kernel's image, which this keeps current.
std::string tracked_part() {
  return fmt::format(
      "release=\"$boot/{0}\"\n"
      "# track RELEASE KERNEL: the entry's kernel and image become RELEASE's.\n"
      "track() {{\n"
      "\timage \"$1\" \"$boot/{1}.next\"\n"
      "\tcp -f \"$2\" \"$boot/{2}.next\" || problem \"could not copy $2\"\n"
      "\tmv -f \"$boot/{1}.next\" \"$boot/{1}\"\n"
      "\tmv -f \"$boot/{2}.next\" \"$boot/{2}\"\n"
      "\techo \"$1\" >\"$release\"\n"
      "}}\n"
      "# A new kernel is tracked when it is the newest; an older one changes nothing.\n"
      "add() {{\n"
      "\tcurrent=\"$(cat \"$release\" 2>/dev/null)\"\n"
      "\tnewest=\"$(printf '%s\\n%s\\n' \"$current\" \"$1\" | sort -V | tail -n 1)\"\n"
      "\t[ \"$newest\" = \"$1\" ] || return 0\n"
      "\ttrack \"$1\" \"$2\"\n"
      "}}\n"
      "# Removing the tracked kernel moves the entry to the newest one left.\n"
      "remove() {{\n"
      "\t[ \"$(cat \"$release\" 2>/dev/null)\" = \"$1\" ] || return 0\n"
      "\tnext=\"$(ls \"$boot\" | sed -n 's/^vmlinuz-//p' | grep -v -x -F -e \"$1\" |\n"
      "\t\tgrep -v rescue | sort -V | tail -n 1)\"\n"
      "\tif [ -z \"$next\" ]; then\n"
      "\t\trm -f \"$boot/{2}\" \"$boot/{1}\" \"$release\"\n"
      "\t\treturn 0\n"
      "\tfi\n"
      "\ttrack \"$next\" \"$boot/vmlinuz-$next\"\n"
      "}}\n",
      kTrackedReleaseName, kTrackedImageName, kTrackedKernelName);
}

}  // namespace

std::vector<PlannedFile> generate_kernel_hooks(const KernelHookChoices& choices,
                                               const GpuBinding& gpu) {
  std::string script = common_part(choices, gpu);
  script += choices.tracked ? tracked_part() : per_kernel_part();
  if (choices.kernel_install) {
    script +=
        "# kernel-install: add RELEASE ENTRY_DIR KERNEL_IMAGE, or remove RELEASE.\n"
        "case \"$1\" in\n"
        "add) add \"$2\" \"${4:-$boot/vmlinuz-$2}\" ;;\n"
        "remove) remove \"$2\" ;;\n"
        "esac\n"
        "exit 0\n";
    return {{kKernelInstallPath, script, 0755,
             "kernel-install builds the separate entry's image for every new kernel"}};
  }
  script +=
      "# /etc/kernel/postinst.d: RELEASE KERNEL_IMAGE; postrm.d calls this with --remove.\n"
      "case \"$1\" in\n"
      "--remove) remove \"$2\" ;;\n"
      "'') ;;\n"
      "*) add \"$1\" \"${2:-$boot/vmlinuz-$1}\" ;;\n"
      "esac\n"
      "exit 0\n";
  const std::string postrm = fmt::format(
      "#!/bin/sh\n"
      "# Written by `periscope setup apply`: a kernel being removed takes its vfio-pci entry's\n"
      "# image with it ({0}).\n"
      "[ -x {0} ] || exit 0\n"
      "exec {0} --remove \"$1\"\n",
      kPostinstPath);
  return {{kPostinstPath, script, 0755,
           "builds the separate entry's image for every kernel installed later"},
          {kPostrmPath, postrm, 0755, "removes it with its kernel"}};
}

PlannedCommand kernel_hook_command(const KernelHookChoices& choices, const std::string& release) {
  PlannedCommand command;
  const std::string kernel = "/boot/vmlinuz-" + release;
  if (choices.kernel_install) {
    command.argv = {"env", "PERISCOPE_VFIO_STRICT=1", kKernelInstallPath, "add", release, "/boot",
                    kernel};
  } else {
    command.argv = {"env", "PERISCOPE_VFIO_STRICT=1", kPostinstPath, release, kernel};
  }
  command.why = fmt::format("build the vfio-pci entry's image for {} (the kernel hook)", kernel);
  command.undo = private_images_undo();
  return command;
}

std::vector<std::string> private_images_undo() {
  // Everything the hook and apply made in /boot, also for kernels installed after apply, and a
  // half-built ".new"/".next": rollback leaves none behind.
  return {"find", "/boot", "-maxdepth", "1", "-type", "f", "-name", "periscope-vfio-*", "-delete"};
}

}  // namespace periscope::setup
