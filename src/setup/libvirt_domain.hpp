#pragma once
// The libvirt domain for a GPU-passthrough VM, as one pure function of what we know: the GPU's
// functions, the shared memory for Looking Glass, the fake battery, the viewer's QMP socket and
// the host's CPU layout. Every element and why it is there: docs/libvirt-domain.md.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "setup/cpu_pinning.hpp"
#include "setup/shm_kind.hpp"

namespace periscope::setup {

// One function of the passed-through GPU (VGA, HDMI audio, USB-C xHCI, UCSI...).
struct GpuFunction {
  std::string address;  // host address, "0000:01:00.0"
  std::uint16_t vendor{0};
  std::uint16_t device{0};
  // From sysfs; when known (and not zero) QEMU is told to show them to the guest: a laptop GPU
  // whose VBIOS QEMU did not load otherwise reads SUBSYS_00000000 and the driver refuses it.
  std::optional<std::uint16_t> subsystem_vendor;
  std::optional<std::uint16_t> subsystem_device;
};

struct SharedMemory {
  ShmKind kind{ShmKind::kShmFile};
  std::uint64_t size_mib{32};               // a power of two (shm_size_for().region_mib)
  std::string kvmfr_device{"/dev/kvmfr0"};  // kKvmfr only
};

struct VirtiofsShare {
  std::string host_dir;  // absolute
  std::string tag;       // what the guest mounts
};

struct DomainSpec {
  std::string name;
  std::uint64_t memory_mib{8192};
  std::vector<GpuFunction> gpu_functions;  // every function of one host slot, function 0 included
  std::string rom_file;                    // "" = the GPU's own ROM BAR
  SharedMemory shm;
  std::string battery_ssdt;  // "" = none; else the fake-battery AML's path (-acpitable)
  std::string qmp_socket;    // "" = none; else the viewer's QMP unix socket
  bool secure_boot{false};
  std::string hyperv_vendor_id{"GenuineIntel"};  // at most 12 characters
  bool amd_host{false};                          // AMD CPUs need topoext for SMT in the guest
  CpuPinning cpus;
  std::string evdev_keyboard;  // "" = none; /dev/input/by-id/...-event-kbd
  std::string evdev_mouse;     // "" = none; /dev/input/by-id/...-event-mouse
  std::optional<VirtiofsShare> virtiofs;
  std::string disk_image;  // "" = no disk; a qcow2 on virtio with the I/O thread
  std::vector<std::string>
      cdroms;  // ISO files (installer, virtio-win drivers), boot order after the disk
  std::string network{"default"};  // libvirt network; "" = none
  bool usb_tablet{true};           // absolute pointer for `periscope view --qmp` (see docs)
};

// The guest PCI bus the GPU's functions go to: one pcie-root-port of our own, so they share
// one slot as they do on the host.
inline constexpr unsigned kGpuGuestBus = 1;

// The complete <domain> document. Fails on a spec that cannot make a working VM (no GPU
// function 0, functions of two host slots, a size that is not a power of two, an empty name,
// no vCPUs, a vendor id over 12 characters, relative paths).
[[nodiscard]] Result<std::string> generate_domain_xml(const DomainSpec& spec);

// The same checks on their own, for callers that build a spec by hand.
[[nodiscard]] Status validate_domain_spec(const DomainSpec& spec);

// "ua-gpu0" for function 0: libvirt only keeps user aliases that start with "ua-", and
// qemu:override finds the device by it.
[[nodiscard]] std::string gpu_alias(unsigned function);

}  // namespace periscope::setup
