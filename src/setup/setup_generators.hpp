#pragma once
// The generators of `setup plan`: pure functions from what was read (facts, current file text)
// and what the user chose to the files and commands of a SetupPlan. None reads or writes the
// machine. A generator that edits a file keeps every byte it does not mean to change; the
// planner drops any file whose new text equals the current one.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "setup/setup_detect.hpp"
#include "setup/setup_plan.hpp"
#include "setup/shm_kind.hpp"

namespace periscope::setup {

// The GPU that goes to the VM, with every function of its slot (audio, USB, UCSI).
struct GpuBinding {
  std::string gpu;                        // "0000:01:00.0"
  std::string description;                // for comments: "0000:01:00.0 (NVIDIA 10de:2820, ...)"
  std::vector<std::string> functions;     // every address of the slot
  std::vector<std::string> ids;           // unique "vendor:device" of those functions
  std::vector<std::string> host_drivers;  // modules that would claim them first (softdep)
  bool boot_vga{false};
};

// --- modprobe.d (gen_modprobe.cpp) ---------------------------------------------------------
struct ModprobeChoices {
  // `options vfio-pci ids=` here (the default entry binds on every boot) or only on the
  // separate entry's command line (then this file has softdeps only, which bind nothing).
  bool ids_in_modprobe{false};
  bool ignore_msrs{false};  // add `options kvm ignore_msrs=1 report_ignored_msrs=0`
};
// /etc/modprobe.d/periscope-vfio.conf, and — when our file carries the ids — the other
// modprobe.d files with their `options vfio-pci ids=` lines commented out (one source of
// truth). `current` maps each /etc/modprobe.d file to its text.
[[nodiscard]] std::vector<PlannedFile> generate_modprobe(
    const GpuBinding& gpu, const ModprobeChoices& choices,
    const std::map<std::string, std::string>& current);

// --- initramfs (gen_initramfs.cpp) ---------------------------------------------------------
// The vfio modules in the image, loaded before the GPU drivers. `kernel_6_2_or_later`:
// vfio_virqfd no longer exists, and naming it makes the image build fail (unbootable), so it is
// removed; before 6.2 an existing entry stays (vfio_pci depends on it, so it is never added).
[[nodiscard]] Result<std::vector<PlannedFile>> generate_initramfs(InitramfsTool tool,
                                                                  bool kernel_6_2_or_later,
                                                                  const HostDetection& host);
[[nodiscard]] PlannedCommand initramfs_command(InitramfsTool tool);

// --- kernel command line (gen_cmdline.cpp) -------------------------------------------------
struct CmdlineChoices {
  bool intel_iommu{false};  // intel_iommu=on (Intel's IOMMU is off by default on many kernels)
  bool ids_on_cmdline{false};
  bool boot_vga{false};  // initcall_blacklist=sysfb_init: the firmware console lets go of it
  std::vector<std::string> ids;
};
[[nodiscard]] std::vector<std::string> vfio_cmdline_args(const CmdlineChoices& choices);
// The wanted arguments that `current` lacks (compared with '-' and '_' alike in names).
[[nodiscard]] std::vector<std::string> missing_args(const std::vector<std::string>& current,
                                                    const std::vector<std::string>& wanted);
// `current` with each wanted argument in place of one of the same name, or appended.
[[nodiscard]] std::vector<std::string> merge_args(std::vector<std::string> current,
                                                  const std::vector<std::string>& wanted);
// /etc/default/grub with the wanted arguments that the effective GRUB command line
// (`effective`: GRUB_CMDLINE_LINUX then _DEFAULT) lacks edited into the last
// GRUB_CMDLINE_LINUX_DEFAULT assignment (a new one at the end when there is none). Every other
// byte stays. Fails on a value it cannot edit safely (command substitution, escapes).
[[nodiscard]] Result<std::string> edit_grub_default(const std::string& text,
                                                    const std::vector<std::string>& wanted,
                                                    const std::vector<std::string>& effective);
// /etc/kernel/cmdline (one line of arguments; comment lines kept).
[[nodiscard]] std::string edit_kernel_cmdline(const std::string& text,
                                              const std::vector<std::string>& wanted);
// A Boot Loader Specification entry with the wanted arguments merged into its options line.
[[nodiscard]] std::string edit_loader_entry(const std::string& text,
                                            const std::vector<std::string>& wanted);

// --- boot entries (gen_boot_entry.cpp) -----------------------------------------------------
// /etc/grub.d/11_periscope-vfio: at grub-mkconfig time it runs 10_linux again with the extra
// arguments and renames its entries, so the menu gains "... — GPU for the VM (vfio-pci)"
// entries after the unchanged default ones.
[[nodiscard]] PlannedFile grub_separate_entry(const std::vector<std::string>& args);
// <esp>/loader/entries/periscope-vfio.conf: a copy of the newest entry (or, without one, an
// entry for a kernel in /boot) with the extra arguments and its main initrd replaced by the
// kernel's separate image. Refused where that image (built in /boot) is out of the entry's
// reach.
// With `can_track` (a kernel hook will keep them current), an entry copied from one for a
// kernel release boots fixed names instead: /periscope-vfio-vmlinuz and -initrd.img.
struct SeparateLoaderEntry {
  PlannedFile file;
  std::string kernel_name;  // what follows "vmlinuz-": the image it needs
  bool tracked{false};      // boots the fixed names
};
[[nodiscard]] Result<SeparateLoaderEntry> loader_separate_entry(
    const HostDetection& host, const std::vector<std::string>& args, bool can_track = false);
// The command that rebuilds the boot menu after /etc/default/grub or /etc/grub.d changed.
[[nodiscard]] PlannedCommand grub_command(const HostDetection& host);
// kernelstub keeps the command line itself: `kernelstub -a "<args>"`.
[[nodiscard]] PlannedCommand kernelstub_command(const std::vector<std::string>& args);

// --- the separate entry's own initramfs (gen_private_initramfs.cpp) ------------------------
// The default entry's image and the distribution's initramfs configuration stay as they were;
// each kernel gets a second image, /boot/periscope-vfio-initrd-<name>.img, with vfio-pci
// loaded before any GPU driver, built now and by a kernel hook for every later kernel.
struct PrivateImage {
  std::string kernel;  // "/boot/vmlinuz-6.1.0-18-amd64", "/boot/vmlinuz-linux"
  std::string name;    // what follows "vmlinuz-": the release, or Arch's package name
  std::string image;   // "/boot/periscope-vfio-initrd-6.1.0-18-amd64.img"
  std::string preset;  // mkinitcpio: the preset that builds this kernel's images (or empty)
};
[[nodiscard]] std::string private_image_path(const std::string& kernel_name);
// The kernels in /boot (Arch: from the presets), else the running one.
[[nodiscard]] Result<std::vector<PrivateImage>> private_images(InitramfsTool tool,
                                                               const HostDetection& host);
// The hook or configuration that builds the images, and the kernel hooks for later kernels.
[[nodiscard]] std::vector<PlannedFile> generate_private_initramfs(
    InitramfsTool tool, const GpuBinding& gpu, const std::vector<PrivateImage>& images,
    const HostDetection& host);
// mkinitcpio builds one image now (the other tools go through the kernel hook).
[[nodiscard]] PlannedCommand mkinitcpio_image_command(const PrivateImage& image);
// What rollback runs to remove every separate image and kernel copy in /boot.
[[nodiscard]] std::vector<std::string> private_images_undo();

// --- the kernel hook that keeps the separate images built (gen_kernel_hook.cpp) -----------
struct KernelHookChoices {
  InitramfsTool tool{InitramfsTool::kInitramfsTools};  // initramfs-tools or dracut
  bool kernel_install{false};  // an /etc/kernel/install.d plugin, else postinst.d + postrm.d
  // The entry boots fixed names (/boot/periscope-vfio-vmlinuz, -initrd.img): a copy of the
  // newest kernel and its image, kept current; else one image per kernel, named after it.
  bool tracked{false};
};
[[nodiscard]] std::vector<PlannedFile> generate_kernel_hooks(const KernelHookChoices& choices,
                                                             const GpuBinding& gpu);
// Apply runs the hook itself for an installed kernel (strict: a failure stops apply).
[[nodiscard]] PlannedCommand kernel_hook_command(const KernelHookChoices& choices,
                                                 const std::string& release);

// --- shared memory access (gen_shm_access.cpp) ---------------------------------------------
struct ShmChoices {
  ShmKind kind{ShmKind::kShmFile};
  std::string user;                  // owner of the shared memory file / device
  std::string group{"kvm"};          // the group QEMU runs in
  std::uint64_t size_mib{32};        // kvmfr static_size_mb (the shm file is sized by QEMU)
  bool apparmor{false};              // AppArmor is enabled: add the libvirt-qemu local rule
  bool libvirt_daemon_split{false};  // virtqemud (modular daemons) rather than libvirtd
};
[[nodiscard]] std::vector<PlannedFile> generate_shm_access(const ShmChoices& choices,
                                                           const HostDetection& host);
// The commands that make the written files take effect; `files` is what the plan writes (after
// unchanged files were dropped), so nothing is restarted for a file that stays as it is.
[[nodiscard]] std::vector<PlannedCommand> shm_access_commands(
    const ShmChoices& choices, const std::vector<PlannedFile>& files);

}  // namespace periscope::setup
