#include "setup/doctor_laptop_topology.hpp"

#include <fmt/format.h>

#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

constexpr const char* kCaveat =
    "This is a guess from PCI class codes and DRM connectors, not from the schematics (the class "
    "code does not decide it; the board wiring does).";

constexpr const char* kMuxedMeaning =
    "MUXed: a port wired to the dGPU (or a dummy plug on it) gives the guest a real display, "
    "and Looking Glass can capture it.";

constexpr const char* kMuxlessMeaning =
    "MUXless: the guest has no physical output; plan on Looking Glass with a virtual display "
    "driver in the guest, the VBIOS taken from the system BIOS (<rom file>), and the fake "
    "battery SSDT against NVIDIA's Code 43.";

// The iGPU (or other GPU) that drives the panel: a host GPU with boot_vga = 1.
const GpuAssessment* panel_gpu(const GpuChoice& choice) {
  for (const GpuAssessment* gpu : choice.host_gpus()) {
    if (gpu->boot) return gpu;
  }
  return nullptr;
}

}  // namespace

bool is_laptop(const HostFacts& host) {
  if (host.chassis_type) {
    switch (*host.chassis_type) {
      case 8:
      case 9:
      case 10:
      case 14:
      case 31:
      case 32:
        return true;
      default:
        return false;
    }
  }
  return host.battery;
}

LaptopTopology guess_laptop_topology(const HostFacts& host, const GpuChoice& choice) {
  LaptopTopology t;
  const GpuAssessment* dgpu = choice.target_gpu();
  if (!is_laptop(host)) {
    t.guess = "not a laptop (SMBIOS chassis type and no battery)";
    return t;
  }
  if (dgpu == nullptr || choice.gpus.size() < 2) {
    t.kind = LaptopKind::kUnknown;
    t.guess = "a laptop without a second GPU: no hybrid-graphics topology to guess";
    return t;
  }
  const PciDevice& gpu = *dgpu->gpu;
  const GpuAssessment* panel = panel_gpu(choice);
  const std::string panel_text =
      panel != nullptr ? fmt::format("the {} GPU {} drives the panel (boot_vga=1)",
                                     pci_vendor_name(panel->gpu->vendor), panel->gpu->address)
                       : std::string("no other GPU is marked boot_vga");
  if (gpu.drm && !gpu.connectors.empty()) {
    t.kind = LaptopKind::kLikelyMuxed;
    t.guess = fmt::format("likely MUXed: {}'s driver lists its own outputs ({})", gpu.address,
                          join(gpu.connectors, ", "));
    t.meaning = std::string(kMuxedMeaning) + " " + kCaveat;
  } else if (gpu.drm) {
    t.kind = LaptopKind::kLikelyMuxless;
    t.guess = fmt::format("likely MUXless: {}'s driver lists no outputs, and {}", gpu.address,
                          panel_text);
    t.meaning = std::string(kMuxlessMeaning) + " " + kCaveat;
  } else if (gpu.class_code && (*gpu.class_code >> 8) == 0x0302) {
    t.kind = LaptopKind::kLikelyMuxless;
    t.guess = fmt::format(
        "likely MUXless: {} is a 3D controller (a GPU without display "
        "outputs), and {}",
        gpu.address, panel_text);
    t.meaning = std::string(kMuxlessMeaning) + " " + kCaveat;
  } else if (gpu.class_code && (*gpu.class_code >> 8) == 0x0300 && panel != nullptr) {
    t.kind = LaptopKind::kPossiblyMuxed;
    t.guess = fmt::format(
        "possibly MUXed: {} is a VGA controller while {}; with the host "
        "driver bound, its DRM connectors would tell more",
        gpu.address, panel_text);
    t.meaning = std::string(kMuxedMeaning) + " If no port turns out to be wired to it, it is " +
                kMuxlessMeaning + " " + kCaveat;
  } else {
    t.kind = LaptopKind::kUnknown;
    t.guess = fmt::format("unknown: {} ({}) and {}", gpu.address, pci_class_name(gpu.class_code),
                          panel_text);
    t.meaning = std::string(kMuxedMeaning) + " " + kMuxlessMeaning + " " + kCaveat;
  }
  return t;
}

}  // namespace periscope::setup
