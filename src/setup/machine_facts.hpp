#pragma once
// What the doctor learns about a machine, before judging any of it. A fact that could not be
// read holds the reason instead (Result<T>), so a check can say "n/a: <why>" rather than
// guess. Every string here came from the machine: show it through printable().
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "setup/cpu_topology.hpp"
#include "setup/machine_reader.hpp"
#include "setup/pci_device.hpp"

namespace periscope::setup {

struct CpuFacts {
  std::string vendor;  // vendor_id of the first processor: "GenuineIntel", "AuthenticAMD"
  std::string model_name;
  bool vmx{false};  // Intel VT-x
  bool svm{false};  // AMD-V
  bool kvm_device{false};
  bool kvm_vendor_module{false};  // /sys/module/kvm_intel or kvm_amd

  [[nodiscard]] bool intel() const { return vendor == "GenuineIntel"; }
  [[nodiscard]] bool amd() const { return vendor == "AuthenticAMD"; }
};

struct IommuFacts {
  bool acpi_tables_listed{false};                  // /sys/firmware/acpi/tables could be listed
  bool dmar{false};                                // Intel VT-d table
  bool ivrs{false};                                // AMD-Vi table
  std::vector<std::string> units;                  // /sys/class/iommu: dmar0, ivhd0...
  std::map<int, std::vector<std::string>> groups;  // group number → PCI addresses in it
  std::map<int, std::string> group_types;          // "DMA", "DMA-FQ", "identity"
  std::vector<std::string> problems;               // unreadable or odd entries
  [[nodiscard]] bool kernel_active() const { return !units.empty() || !groups.empty(); }
};

enum class CmdlineSourceKind { kGrub, kKernelCmdline, kLoaderEntry };

// A kernel command line as a bootloader's configuration will produce it.
struct ConfiguredCmdline {
  CmdlineSourceKind kind{CmdlineSourceKind::kGrub};
  std::string source;             // "/etc/default/grub", "/boot/loader/entries/arch.conf"
  std::vector<std::string> args;  // tokens; shell variables we cannot expand are left out
};

struct BootFacts {
  Result<std::vector<std::string>> running{std::vector<std::string>{}};  // /proc/cmdline
  std::vector<ConfiguredCmdline> configured;
  std::vector<std::string> problems;
};

struct KernelFacts {
  Result<std::string> release{std::string{}};  // /proc/sys/kernel/osrelease
  std::optional<int> major;
  std::optional<int> minor;
  bool proc_modules_read{false};
  std::map<std::string, bool> modules;  // a fixed list of names → loaded (or built in)
  bool dev_vfio{false};                 // /dev/vfio/vfio
  // vfio-pci built into the kernel (/lib/modules/<release>/modules.builtin): then only the
  // command line's vfio-pci.ids can configure it, and no initramfs needs to load it.
  std::optional<bool> vfio_pci_builtin;
  std::optional<std::string> ignore_msrs;          // "Y"/"N"; absent without kvm
  std::optional<std::string> report_ignored_msrs;  // "Y"/"N"
  [[nodiscard]] bool module(const std::string& name) const {
    const auto it = modules.find(name);
    return it != modules.end() && it->second;
  }
  // True when the release is at least major.minor; nullopt when unknown.
  [[nodiscard]] std::optional<bool> at_least(int want_major, int want_minor) const;
};

enum class InitramfsTool { kMkinitcpio, kDracut, kInitramfsTools };

struct InitramfsConfig {
  InitramfsTool tool{InitramfsTool::kMkinitcpio};
  std::string path;
  std::vector<std::string> modules;  // modules/drivers it puts into the image
};

struct InitramfsFacts {
  std::vector<InitramfsTool> tools;
  std::vector<InitramfsConfig> configs;
  std::vector<std::string> dracut_ignored;  // /etc/dracut.conf.d files without ".conf"
  // `setup apply`'s separate boot entry: what builds its own image (a hook, a configuration)
  // and the images in /boot (/boot/periscope-vfio-*).
  std::vector<std::string> separate_builders;
  std::vector<std::string> separate_images;
  std::vector<std::string> problems;
};

// `ids=` given to vfio-pci, in one place (a modprobe.d file or the kernel command line).
struct VfioIdsSetting {
  std::string source;
  std::string value;  // the raw text after "ids="
};

struct ModprobeFacts {
  std::vector<VfioIdsSetting> vfio_ids;
  std::vector<std::string> softdeps;       // "softdep nvidia pre: vfio-pci" lines
  std::vector<std::string> ignored_files;  // files kmod skips (no ".conf") that mention vfio
};

struct ShmFacts {
  std::optional<PathInfo> lg_file;       // /dev/shm/looking-glass
  std::optional<PathInfo> kvmfr_device;  // /dev/kvmfr0
  std::optional<int> kvmfr_static_size_mb;
};

struct HostFacts {
  std::vector<std::string> qemu;     // QEMU binaries found
  std::vector<std::string> libvirt;  // libvirt daemons/clients found
  std::vector<std::string> ovmf;     // OVMF/edk2 firmware code files found
  bool apparmor{false};
  std::string apparmor_libvirt_local;     // /etc/apparmor.d/local/abstractions/libvirt-qemu
  std::optional<bool> selinux_enforcing;  // nullopt: no selinuxfs
  ShmFacts shm;
  std::map<std::uint32_t, std::string> group_names;  // /etc/group
  std::map<std::uint32_t, std::string> user_names;   // /etc/passwd
  std::vector<std::string> vm_names;                 // /etc/libvirt/qemu/*.xml
  std::optional<int> chassis_type;                   // SMBIOS, /sys/class/dmi/id/chassis_type
  std::string product_name;
  bool battery{false};  // /sys/class/power_supply/BAT*
};

struct MachineFacts {
  Result<CpuFacts> cpu{CpuFacts{}};
  Result<CpuTopology> topology{CpuTopology{}};
  IommuFacts iommu;
  BootFacts boot;
  Result<PciFacts> pci{PciFacts{}};
  KernelFacts kernel;
  InitramfsFacts initramfs;
  ModprobeFacts modprobe;
  HostFacts host;
};

// Reads everything the checks need. Never fails as a whole: each fact carries its own error.
[[nodiscard]] MachineFacts gather_machine_facts(const MachineReader& reader);

// The parts, for tests and for reuse (setup plan reads the same facts).
[[nodiscard]] Result<CpuFacts> read_cpu_facts(const MachineReader& reader);
[[nodiscard]] IommuFacts read_iommu_facts(const MachineReader& reader);
[[nodiscard]] BootFacts read_boot_facts(const MachineReader& reader);
[[nodiscard]] KernelFacts read_kernel_facts(const MachineReader& reader);
[[nodiscard]] InitramfsFacts read_initramfs_facts(const MachineReader& reader);
[[nodiscard]] ModprobeFacts read_modprobe_facts(const MachineReader& reader, const BootFacts& boot);
[[nodiscard]] HostFacts read_host_facts(const MachineReader& reader);

}  // namespace periscope::setup
