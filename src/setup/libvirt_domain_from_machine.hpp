#pragma once
// A DomainSpec from what the doctor read (MachineFacts) and what the user chose on the
// `setup plan` command line: every function of the chosen GPU's slot with its ids, the vCPU
// pinning from the real core layout, the fake battery on laptops with an NVIDIA GPU.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/dimensions.hpp"
#include "common/result.hpp"
#include "setup/libvirt_domain.hpp"
#include "setup/machine_facts.hpp"

namespace periscope::setup {

struct DomainChoices {
  std::string vm_name{"win11"};
  std::uint64_t memory_mib{8192};
  Dimensions resolution{1920, 1080};  // sizes the shared memory (B7 rule)
  bool hdr{false};
  ShmKind shm_kind{ShmKind::kShmFile};
  std::string rom_file;  // "" = the GPU's ROM BAR
  // nullopt: only on a laptop (SMBIOS chassis or a battery) with an NVIDIA GPU, whose driver
  // fails with Code 43 when the machine has no battery.
  std::optional<bool> fake_battery;
  std::string battery_ssdt{"/var/lib/libvirt/qemu/ssdt-battery.aml"};
  std::string qmp_socket;  // "" = /run/periscope/<vm>.qmp
  bool secure_boot{false};
  std::optional<int> max_guest_cores;
  std::string evdev_keyboard;
  std::string evdev_mouse;
  std::optional<VirtiofsShare> virtiofs;
  std::string disk_image;
  std::vector<std::string> cdroms;
};

// Fails when the GPU is not among the machine's PCI devices, a function's ids are unreadable,
// the CPU topology could not be read, or no core is left for the guest.
[[nodiscard]] Result<DomainSpec> domain_spec_from_machine(const MachineFacts& facts,
                                                          const std::string& gpu_address,
                                                          const DomainChoices& choices);

}  // namespace periscope::setup
