// The GPUs: what is there, which one would go to the VM, and whether its IOMMU group, its
// functions, drivers, reset and power state allow it.
#include <fmt/format.h>

#include "setup/doctor_checks.hpp"
#include "setup/doctor_laptop_topology.hpp"
#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

std::string driver_of(const PciDevice& device) {
  return device.driver.empty() ? "no driver" : device.driver;
}

Check pci_read(const MachineFacts& facts) {
  const std::string id = "pci.read";
  if (!facts.pci) {
    return failed(id, "cannot list the PCI devices: " + facts.pci.error().message,
                  "run the doctor on the machine itself (or capture /sys/bus/pci)");
  }
  std::vector<std::string> problems;
  for (const PciDevice& device : facts.pci->devices) {
    for (const std::string& problem : device.problems) {
      problems.push_back(device.address + " " + printable(problem, 120));
    }
  }
  for (const std::string& name : facts.pci->skipped) problems.push_back("odd entry " + name);
  if (problems.size() > 8) {
    const std::size_t more = problems.size() - 8;
    problems.resize(8);
    problems.push_back(fmt::format("and {} more", more));
  }
  if (!problems.empty()) {
    return warn(id,
                fmt::format("{} PCI devices, some attributes unreadable: {}",
                            facts.pci->devices.size(), join(problems, "; ")),
                "the checks below treat those attributes as unknown");
  }
  return ok(id, fmt::format("{} PCI devices read", facts.pci->devices.size()));
}

Check gpu_list(const MachineFacts& facts, const GpuChoice& choice) {
  const std::string id = "gpu.list";
  if (!facts.pci) return not_applicable(id, "no PCI devices");
  if (choice.gpus.empty()) {
    return failed(id, "no display device (class 03xxxx) found", "check the firmware's GPU setup");
  }
  std::vector<std::string> parts;
  for (const GpuAssessment& a : choice.gpus) {
    std::string part = a.describe() + ", " + driver_of(*a.gpu);
    if (a.boot) part += ", boot GPU";
    if (a.integrated) part += ", integrated";
    parts.push_back(part);
  }
  return ok(id, fmt::format("{} GPU(s): {}", choice.gpus.size(), join(parts, "; ")));
}

Check host_keeps(const GpuChoice& choice) {
  const std::string id = "gpu.host_keeps";
  const GpuAssessment* target = choice.target_gpu();
  if (target == nullptr) return not_applicable(id, "no GPU to pass through");
  const auto host = choice.host_gpus();
  if (host.empty()) {
    return failed(
        id, fmt::format("{} is the ONLY GPU: the host would have no display", target->describe()),
        "add a second GPU (or use the iGPU: enable it in the firmware setup)");
  }
  std::vector<std::string> kept;
  for (const GpuAssessment* a : host) kept.push_back(a->gpu->address);
  return ok(id, fmt::format("the host keeps {}", join(kept, ", ")));
}

Check boot_vga(const MachineFacts& facts, const GpuChoice& choice) {
  const std::string id = "gpu.boot_vga";
  const GpuAssessment* target = choice.target_gpu();
  if (target == nullptr) return not_applicable(id, "no GPU to pass through");
  if (target->boot) {
    return failed(id,
                  fmt::format("{} is the BOOT GPU: the firmware and the host console draw on it",
                              target->gpu->address),
                  "make the other GPU primary in the firmware setup; otherwise " +
                      how_to_add_kernel_args(facts.boot, "initcall_blacklist=sysfb_init") +
                      " (video=efifb:off no longer suffices since 5.15)");
  }
  if (!target->gpu->boot_vga && target->gpu->class_code &&
      (*target->gpu->class_code >> 8) == 0x0300) {
    return warn(id, fmt::format("{} has no readable boot_vga attribute", target->gpu->address),
                "check which GPU shows the firmware's boot screen");
  }
  return ok(id, fmt::format("{} is not the boot GPU", target->gpu->address));
}

Check present(const GpuChoice& choice) {
  const std::string id = "gpu.present";
  const GpuAssessment* target = choice.target_gpu();
  if (target == nullptr) return not_applicable(id, "no GPU to pass through");
  if (target->gpu->off_bus()) {
    return failed(id,
                  fmt::format("{} reads vendor ffff: it fell off the bus (a failed reset?)",
                              target->gpu->address),
                  "reboot the host; for AMD GPUs with the reset bug, install vendor-reset");
  }
  return ok(id, fmt::format("{} answers on the bus", target->gpu->address));
}

Check iommu_group(const MachineFacts& facts, const GpuChoice& choice) {
  const std::string id = "gpu.iommu_group";
  const GpuAssessment* target = choice.target_gpu();
  if (target == nullptr) return not_applicable(id, "no GPU to pass through");
  if (!facts.iommu.kernel_active()) {
    return not_applicable(id, "no IOMMU groups until the IOMMU is on (see iommu.kernel)");
  }
  if (!target->group) {
    return failed(id, fmt::format("{} is in no IOMMU group", target->gpu->address),
                  "check dmesg for \"Adding to iommu group\"; the IOMMU may not cover this slot");
  }
  std::vector<std::string> functions;
  for (const PciDevice* f : target->functions) functions.push_back(f->address);
  if (!target->clean()) {
    std::vector<std::string> others;
    for (const PciDevice* d : target->intruders) {
      others.push_back(fmt::format("{} ({} {}, {})", d->address, pci_vendor_name(d->vendor),
                                   pci_class_name(d->class_code), driver_of(*d)));
    }
    for (const std::string& address : target->unknown_members) {
      others.push_back(address + " (unreadable)");
    }
    return failed(id,
                  fmt::format("IOMMU group {} of {} also holds {}: they can only go to the VM "
                              "together",
                              *target->group, target->gpu->address, join(others, ", ")),
                  "desktop: move the GPU to a slot wired to the CPU (its own group); or a kernel "
                  "with the ACS override patch (pcie_acs_override=downstream,multifunction, "
                  "insecure: isolation is only pretended); laptops usually have no fix");
  }
  std::string message = fmt::format("IOMMU group {} holds only {}'s functions ({})", *target->group,
                                    target->gpu->address, join(functions, ", "));
  if (!target->bridges.empty()) {
    std::vector<std::string> bridges;
    for (const PciDevice* b : target->bridges) bridges.push_back(b->address);
    message += fmt::format(
        " and PCI bridge(s) {} (those stay with the host; never bind them "
        "to vfio-pci)",
        join(bridges, ", "));
  }
  return ok(id, message);
}

Check functions(const GpuChoice& choice) {
  const std::string id = "gpu.functions";
  const GpuAssessment* target = choice.target_gpu();
  if (target == nullptr) return not_applicable(id, "no GPU to pass through");
  std::vector<std::string> parts;
  for (const PciDevice* f : target->functions) {
    parts.push_back(fmt::format("{} {} [{}]", f->address, pci_class_name(f->class_code), f->ids()));
  }
  return ok(id, fmt::format("{} function(s): {}; pass them all, on one guest slot "
                            "(multifunction='on')",
                            target->functions.size(), join(parts, ", ")));
}

// Every device in the group must leave its host driver before the VM starts, or vfio reports
// the group "not viable".
Check group_viable(const MachineFacts& facts, const GpuChoice& choice) {
  const std::string id = "gpu.group_viable";
  const GpuAssessment* target = choice.target_gpu();
  if (target == nullptr || !target->group) return not_applicable(id, "no IOMMU group to check");
  if (!facts.pci) return not_applicable(id, "no PCI devices");
  std::vector<std::string> held;
  for (const std::string& address : target->group_members) {
    const PciDevice* d = facts.pci->find(address);
    if (d == nullptr || d->is_bridge() || d->driver.empty() || d->driver == "vfio-pci" ||
        d->driver == "pci-stub") {
      continue;
    }
    held.push_back(address + " (" + d->driver + ")");
  }
  if (held.empty()) {
    return ok(id, fmt::format("no host driver holds a device of group {}", *target->group));
  }
  return warn(id,
              fmt::format("group {}: held by host drivers: {}", *target->group, join(held, ", ")),
              "bind them to vfio-pci at boot (setup plan does: ids= and softdeps), or let libvirt "
              "detach them (managed='yes') if their drivers let go");
}

Check driver(const GpuChoice& choice) {
  const std::string id = "gpu.driver";
  const GpuAssessment* target = choice.target_gpu();
  if (target == nullptr) return not_applicable(id, "no GPU to pass through");
  const PciDevice& gpu = *target->gpu;
  if (gpu.driver == "vfio-pci") return ok(id, fmt::format("{} is bound to vfio-pci", gpu.address));
  if (gpu.driver.empty()) {
    return ok(id, fmt::format("{} has no driver: vfio-pci can take it", gpu.address));
  }
  return warn(id, fmt::format("{} is bound to {}, a host driver", gpu.address, gpu.driver),
              "setup plan binds it to vfio-pci at boot (vfio-pci ids, softdep " + gpu.driver +
                  " pre: vfio-pci, vfio in the initramfs)");
}

// vfio-pci.ids binds every device with those ids: a twin elsewhere would go too.
Check ids_unique(const MachineFacts& facts, const GpuChoice& choice) {
  const std::string id = "gpu.ids_unique";
  const GpuAssessment* target = choice.target_gpu();
  if (target == nullptr || !facts.pci) return not_applicable(id, "no GPU to pass through");
  std::vector<std::string> twins;
  for (const PciDevice* f : target->functions) {
    if (!f->vendor || !f->device) continue;
    for (const PciDevice& other : facts.pci->devices) {
      if (other.slot() != f->slot() && other.vendor == f->vendor && other.device == f->device) {
        twins.push_back(fmt::format("{} shares {} with {}", other.address, f->ids(), f->address));
      }
    }
  }
  if (twins.empty()) return ok(id, "no other device has the same vendor:device ids");
  return warn(id, join(twins, "; "),
              "bind by address (driver_override, or driverctl set-override <address> vfio-pci), "
              "not with vfio-pci.ids");
}

Check subsystem(const GpuChoice& choice) {
  const std::string id = "gpu.subsystem";
  const GpuAssessment* target = choice.target_gpu();
  if (target == nullptr) return not_applicable(id, "no GPU to pass through");
  const PciDevice& gpu = *target->gpu;
  if (!gpu.subsystem_vendor || !gpu.subsystem_device) {
    return warn(id, fmt::format("{}'s subsystem ids are unreadable", gpu.address),
                "read them with lspci -nnv -s " + gpu.address);
  }
  return ok(id, fmt::format("subsystem {:04x}:{:04x} (for qemu:override x-pci-sub-vendor-id={} "
                            "x-pci-sub-device-id={}; SUBSYS_00000000 in the guest means its "
                            "VBIOS did not load)",
                            *gpu.subsystem_vendor, *gpu.subsystem_device, *gpu.subsystem_vendor,
                            *gpu.subsystem_device));
}

Check reset(const MachineFacts& facts, const GpuChoice& choice) {
  const std::string id = "gpu.reset";
  const GpuAssessment* target = choice.target_gpu();
  if (target == nullptr) return not_applicable(id, "no GPU to pass through");
  const PciDevice& gpu = *target->gpu;
  if (!gpu.reset_methods) {
    const std::optional<bool> has_attribute = facts.kernel.at_least(5, 15);
    if (has_attribute && !*has_attribute) {
      return not_applicable(id, "kernels before 5.15 do not show reset_method");
    }
    return warn(
        id, fmt::format("{} has no reset_method: the kernel knows no way to reset it", gpu.address),
        gpu.vendor == kVendorAmd
            ? "AMD Polaris/Vega/Navi 1x: vendor-reset, with a udev rule writing "
              "device_specific to reset_method"
            : "the GPU may come back dirty after a VM stops; a host reboot cleans it");
  }
  if (gpu.reset_methods->empty()) {
    return warn(id, fmt::format("{}'s reset_method is empty", gpu.address),
                "the GPU may come back dirty after a VM stops");
  }
  return ok(id, fmt::format("{} resets by {}", gpu.address, join(*gpu.reset_methods, ", ")));
}

Check power_state(const GpuChoice& choice) {
  const std::string id = "gpu.power_state";
  const GpuAssessment* target = choice.target_gpu();
  if (target == nullptr) return not_applicable(id, "no GPU to pass through");
  const PciDevice& gpu = *target->gpu;
  if (gpu.power_state.empty()) return not_applicable(id, "this kernel does not show power_state");
  if (gpu.power_state == "D0") return ok(id, fmt::format("{} is powered (D0)", gpu.address));
  return warn(id,
              fmt::format("{} is in {}: its ROM and config space read as ones while asleep",
                          gpu.address, gpu.power_state),
              fmt::format("wake it before dumping the ROM: echo on > "
                          "/sys/bus/pci/devices/{}/power/control (vfio-pci keeps an idle dGPU "
                          "in D3hot, which is normal)",
                          gpu.address));
}

Check laptop(const MachineFacts& facts, const GpuChoice& choice) {
  const std::string id = "laptop.topology";
  const LaptopTopology t = guess_laptop_topology(facts.host, choice);
  switch (t.kind) {
    case LaptopKind::kNotLaptop:
      return not_applicable(id, t.guess);
    case LaptopKind::kLikelyMuxed:
      return ok(id, t.guess + ". " + t.meaning);
    case LaptopKind::kPossiblyMuxed:
    case LaptopKind::kUnknown:
      return warn(id, t.guess + ". " + t.meaning,
                  "check which ports the dGPU drives: boot with its host driver and look at "
                  "/sys/class/drm/card*-*, or the manual's \"MUX switch\"/\"dGPU-only\" mode");
    case LaptopKind::kLikelyMuxless:
      return warn(id, t.guess + ". " + t.meaning,
                  "use a virtual display driver in the guest, <rom file> with the VBIOS from "
                  "the system BIOS, and the battery SSDT (periscope acpi battery)");
  }
  return not_applicable(id, t.guess);
}

}  // namespace

void add_gpu_checks(const MachineFacts& facts, const GpuChoice& choice,
                    std::vector<Check>& checks) {
  checks.push_back(pci_read(facts));
  checks.push_back(gpu_list(facts, choice));
  checks.push_back(host_keeps(choice));
  checks.push_back(boot_vga(facts, choice));
  checks.push_back(present(choice));
  checks.push_back(iommu_group(facts, choice));
  checks.push_back(functions(choice));
  checks.push_back(group_viable(facts, choice));
  checks.push_back(driver(choice));
  checks.push_back(ids_unique(facts, choice));
  checks.push_back(subsystem(choice));
  checks.push_back(reset(facts, choice));
  checks.push_back(power_state(choice));
  checks.push_back(laptop(facts, choice));
}

}  // namespace periscope::setup
