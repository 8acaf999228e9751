#include "setup/libvirt_domain_from_machine.hpp"

#include "setup/doctor_laptop_topology.hpp"
#include "setup/libvirt_domain_address.hpp"
#include "setup/shm_size.hpp"

namespace periscope::setup {

Result<DomainSpec> domain_spec_from_machine(const MachineFacts& facts,
                                            const std::string& gpu_address,
                                            const DomainChoices& choices) {
  if (!facts.pci)
    return fail(ErrorCode::kNotFound, "PCI devices unreadable: {}", facts.pci.error().message);
  if (!facts.topology) {
    return fail(ErrorCode::kNotFound, "CPU topology unreadable: {}",
                facts.topology.error().message);
  }
  const auto gpu = parse_pci_address(gpu_address);
  if (!gpu || facts.pci->find(gpu_address) == nullptr) {
    return fail(ErrorCode::kNotFound, "no PCI device {} on this machine", gpu_address);
  }

  DomainSpec spec;
  spec.name = choices.vm_name;
  spec.memory_mib = choices.memory_mib;
  bool nvidia = false;
  for (const PciDevice& device : facts.pci->devices) {
    const auto address = parse_pci_address(device.address);
    if (!address || !address->same_slot(*gpu)) continue;
    if (!device.vendor || !device.device) {
      return fail(ErrorCode::kInvalidArgument, "{}: vendor/device ids unreadable", device.address);
    }
    if (address->function == 0 && *device.vendor == kVendorNvidia) nvidia = true;
    spec.gpu_functions.push_back(GpuFunction{device.address, *device.vendor, *device.device,
                                             device.subsystem_vendor, device.subsystem_device});
  }
  spec.rom_file = choices.rom_file;

  const ShmSize size = shm_size_for(choices.resolution, choices.hdr);
  spec.shm.kind = choices.shm_kind;
  spec.shm.size_mib = size.region_mib;

  const bool battery = choices.fake_battery.value_or(is_laptop(facts.host) && nvidia);
  if (battery) spec.battery_ssdt = choices.battery_ssdt;
  spec.qmp_socket = choices.qmp_socket.empty() ? "/run/periscope/" + choices.vm_name + ".qmp"
                                               : choices.qmp_socket;
  spec.secure_boot = choices.secure_boot;
  spec.amd_host = facts.cpu && facts.cpu->amd();

  auto pinning = plan_cpu_pinning(*facts.topology, choices.max_guest_cores);
  if (!pinning) return tl::unexpected(pinning.error());
  spec.cpus = std::move(*pinning);

  spec.evdev_keyboard = choices.evdev_keyboard;
  spec.evdev_mouse = choices.evdev_mouse;
  spec.virtiofs = choices.virtiofs;
  spec.disk_image = choices.disk_image;
  spec.cdroms = choices.cdroms;
  if (auto status = validate_domain_spec(spec); !status) return tl::unexpected(status.error());
  return spec;
}

}  // namespace periscope::setup
