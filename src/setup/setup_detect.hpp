#pragma once
// What `setup plan` must know about the host beyond the doctor's facts: the distribution, the
// initramfs generator, the bootloader, and the current text of every file a generator edits
// or replaces. Read through a MachineReader, so it works on a captured tree (--root).
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "setup/machine_facts.hpp"
#include "setup/machine_reader.hpp"

namespace periscope::setup {

struct Distro {
  std::string id;                    // /etc/os-release ID: "debian", "arch", "fedora"
  std::vector<std::string> id_like;  // ID_LIKE: "ubuntu debian"
  std::string pretty_name;
  // True when the distribution is `name` or derives from it.
  [[nodiscard]] bool like(std::string_view name) const;
};

// How the kernel command line is configured, most specific first.
enum class Bootloader {
  kUnknown,
  kKernelstub,     // Pop!_OS: /etc/kernelstub/configuration, changed only through kernelstub
  kSystemdBoot,    // Boot Loader Specification entries (systemd-boot, or GRUB's blscfg)
  kKernelCmdline,  // /etc/kernel/cmdline, embedded into a UKI by mkinitcpio/dracut/ukify
  kGrub,           // /etc/default/grub, turned into grub.cfg by grub-mkconfig
};

struct LoaderEntry {
  std::string path;  // "/boot/loader/entries/arch.conf"
  std::string text;
};

struct HostDetection {
  Distro distro;
  std::optional<InitramfsTool> initramfs;  // the generator the machine uses; nullopt: none found
  Bootloader bootloader{Bootloader::kUnknown};
  bool grub_bls{false};          // GRUB_ENABLE_BLSCFG=true: GRUB's menu is the BLS entries
  bool grub_hidden_menu{false};  // GRUB_TIMEOUT=0 or GRUB_TIMEOUT_STYLE=hidden
  std::string grub_cfg;          // "/boot/grub/grub.cfg" or "/boot/grub2/grub.cfg"
  std::string esp;               // the folder holding loader/: "/boot", "/efi", "/boot/efi"
  std::vector<LoaderEntry> loader_entries;  // sorted by path
  bool loader_default_set{false};           // loader.conf names a default entry
  // /boot/vmlinuz-*, /boot/initramfs-*, /boot/initrd.img-*, /boot/periscope-vfio-initrd-*
  std::vector<std::string> boot_images;
  std::string kernel_release;
  std::optional<int> kernel_major;
  std::optional<int> kernel_minor;
  bool vfio_pci_builtin{false};
  bool kernel_install{false};  // /usr/lib/kernel/install.d: kernel-install runs the plugins

  // The current text of the files the generators read or replace (absent: no such file).
  std::map<std::string, std::string> files;
  // Files that exist but could not be read whole: a plan must not replace what it cannot see.
  std::set<std::string> unreadable;
  std::vector<std::string> problems;

  [[nodiscard]] const std::string* file(const std::string& path) const;
  // The files under `dir` (one level) that were read, as path → text.
  [[nodiscard]] std::map<std::string, std::string> files_in(const std::string& dir) const;
  // vfio_virqfd was folded into vfio in 6.2; nullopt when the release is unknown.
  [[nodiscard]] std::optional<bool> kernel_at_least(int major, int minor) const;
};

[[nodiscard]] std::string bootloader_name(Bootloader bootloader);
[[nodiscard]] std::string initramfs_name(InitramfsTool tool);

// Fixed paths the generators write (so detection reads their current content too).
inline constexpr const char* kModprobePath = "/etc/modprobe.d/periscope-vfio.conf";
inline constexpr const char* kDracutPath = "/etc/dracut.conf.d/10-periscope-vfio.conf";
inline constexpr const char* kGrubEntryPath = "/etc/grub.d/11_periscope-vfio";
inline constexpr const char* kLoaderEntryName = "periscope-vfio.conf";
// The separate entry's own images: /boot/periscope-vfio-initrd-<kernel name>.img.
inline constexpr const char* kPrivateImagePrefix = "periscope-vfio-initrd-";
// A copied loader entry with a versioned kernel boots fixed names the kernel hook keeps current.
inline constexpr const char* kTrackedKernelName = "periscope-vfio-vmlinuz";
inline constexpr const char* kTrackedImageName = "periscope-vfio-initrd.img";
inline constexpr const char* kTrackedReleaseName = "periscope-vfio-release";
inline constexpr const char* kDebianHookPath = "/etc/initramfs-tools/hooks/periscope-vfio";
inline constexpr const char* kPostinstPath = "/etc/kernel/postinst.d/periscope-vfio";
inline constexpr const char* kPostrmPath = "/etc/kernel/postrm.d/periscope-vfio";
inline constexpr const char* kKernelInstallPath = "/etc/kernel/install.d/90-periscope-vfio.install";
inline constexpr const char* kMkinitcpioConfPath = "/etc/periscope/mkinitcpio-vfio.conf";
inline constexpr const char* kTmpfilesPath = "/etc/tmpfiles.d/10-looking-glass.conf";
inline constexpr const char* kKvmfrModprobePath = "/etc/modprobe.d/kvmfr.conf";
inline constexpr const char* kKvmfrModulesLoadPath = "/etc/modules-load.d/kvmfr.conf";
inline constexpr const char* kKvmfrUdevPath = "/etc/udev/rules.d/70-kvmfr.rules";
inline constexpr const char* kQemuConfPath = "/etc/libvirt/qemu.conf";
inline constexpr const char* kAppArmorLocalPath = "/etc/apparmor.d/local/abstractions/libvirt-qemu";

[[nodiscard]] HostDetection detect_host(const MachineReader& reader, const MachineFacts& facts);

}  // namespace periscope::setup
