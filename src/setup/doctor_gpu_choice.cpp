#include "setup/doctor_gpu_choice.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

GpuAssessment assess(const PciDevice& gpu, const PciFacts& pci, const IommuFacts& iommu) {
  GpuAssessment a;
  a.gpu = &gpu;
  a.boot = gpu.boot_vga.value_or(false);
  // Intel's integrated GPU sits on the root bus (00:02.0); Arc cards sit behind a bridge.
  a.integrated = gpu.vendor == kVendorIntel && gpu.address.size() > 7 &&
                 gpu.address.substr(gpu.address.size() - 7, 3) == "00:";
  std::set<std::string> function_addresses;
  for (const PciDevice& device : pci.devices) {
    if (device.slot() == gpu.slot()) {
      a.functions.push_back(&device);
      function_addresses.insert(device.address);
    }
  }
  a.group = gpu.iommu_group;
  if (!a.group) return a;
  // The group's members as the group directory lists them, plus any device whose own link
  // names the group (either view alone could be cut short in a captured tree).
  std::set<std::string> members;
  if (const auto it = iommu.groups.find(*a.group); it != iommu.groups.end()) {
    members.insert(it->second.begin(), it->second.end());
  }
  for (const PciDevice& device : pci.devices) {
    if (device.iommu_group == a.group) members.insert(device.address);
  }
  for (const std::string& address : members) {
    a.group_members.push_back(address);
    if (function_addresses.count(address) != 0) continue;
    const PciDevice* device = pci.find(address);
    if (device == nullptr || !device->class_code) {
      a.unknown_members.push_back(address);
    } else if (device->is_bridge()) {
      a.bridges.push_back(device);
    } else {
      a.intruders.push_back(device);
    }
  }
  return a;
}

std::string list_intruders(const GpuAssessment& a) {
  std::vector<std::string> parts;
  for (const PciDevice* device : a.intruders) {
    parts.push_back(fmt::format("{} ({}, {})", device->address, pci_class_name(device->class_code),
                                device->driver.empty() ? "no driver" : device->driver));
  }
  for (const std::string& address : a.unknown_members) parts.push_back(address + " (unreadable)");
  return join(parts, ", ");
}

}  // namespace

std::string GpuAssessment::describe() const {
  return fmt::format("{} ({} {}, {})", gpu->address, pci_vendor_name(gpu->vendor), gpu->ids(),
                     pci_class_name(gpu->class_code));
}

std::vector<const GpuAssessment*> GpuChoice::host_gpus() const {
  std::vector<const GpuAssessment*> host;
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    if (!target || i != *target) host.push_back(&gpus[i]);
  }
  return host;
}

GpuChoice choose_gpu(const PciFacts& pci, const IommuFacts& iommu) {
  GpuChoice choice;
  for (const PciDevice& device : pci.devices) {
    if (device.is_display()) choice.gpus.push_back(assess(device, pci, iommu));
  }
  if (choice.gpus.empty()) {
    choice.refusal = Refusal::kNoGpu;
    choice.refusal_text = "no display device (PCI class 03xxxx) was found";
    return choice;
  }
  if (choice.gpus.size() == 1) {
    choice.target = 0;
    choice.refusal = Refusal::kOnlyGpu;
    choice.refusal_text = fmt::format(
        "REFUSED: {} is this machine's ONLY GPU. Passing it through leaves the host without a "
        "display while the VM runs, and a wrong vfio binding leaves it without one at boot; "
        "Periscope shows the guest on the host's screen, so the host needs a GPU of its own. "
        "Not picked (setup plan --gpu {} --force overrides, at your own risk)",
        choice.gpus[0].describe(), choice.gpus[0].gpu->address);
    return choice;
  }
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < choice.gpus.size(); ++i) {
    const GpuAssessment& a = choice.gpus[i];
    if (!a.boot && !a.integrated) candidates.push_back(i);
  }
  const bool groups_known = iommu.kernel_active();
  // Clean groups first, then GPUs that answer on the bus, then address order. One that fell
  // off the bus stays a candidate so that gpu.present can say so.
  std::stable_sort(candidates.begin(), candidates.end(), [&](std::size_t x, std::size_t y) {
    const GpuAssessment& a = choice.gpus[x];
    const GpuAssessment& b = choice.gpus[y];
    if (a.clean() != b.clean()) return a.clean();
    return !a.gpu->off_bus() && b.gpu->off_bus();
  });
  if (candidates.empty()) {
    // Every other GPU is the boot GPU or an iGPU: name the boot one.
    std::size_t boot = 0;
    for (std::size_t i = 0; i < choice.gpus.size(); ++i) {
      if (choice.gpus[i].boot && !choice.gpus[i].integrated) boot = i;
    }
    choice.target = boot;
    choice.refusal = Refusal::kBootGpu;
    choice.refusal_text = fmt::format(
        "REFUSED: the only GPU that could go to a VM is {}, the BOOT GPU (boot_vga=1: the "
        "firmware and the host console use it). Not picked: set the firmware's primary display "
        "to the other GPU and run the doctor again; passing the boot GPU needs "
        "initcall_blacklist=sysfb_init and the host loses that display",
        choice.gpus[boot].describe());
    return choice;
  }
  const std::size_t best = candidates.front();
  const GpuAssessment& a = choice.gpus[best];
  choice.target = best;
  if (!groups_known || a.clean()) {
    choice.pick = best;
    return choice;
  }
  choice.refusal = Refusal::kDirtyGroup;
  if (!a.group) {
    choice.refusal_text = fmt::format(
        "REFUSED: {} is in no IOMMU group although the IOMMU is on; it cannot be isolated",
        a.describe());
  } else {
    choice.refusal_text = fmt::format(
        "REFUSED: {} shares IOMMU group {} with {}: all of them would have to go to the VM "
        "together, taking them from the host. Not picked",
        a.describe(), *a.group, list_intruders(a));
  }
  for (const GpuAssessment& other : choice.gpus) {
    if (other.boot) {
      choice.refusal_text += fmt::format(
          "; the boot GPU {} is not picked either: it is the host's display", other.gpu->address);
    }
  }
  return choice;
}

}  // namespace periscope::setup
