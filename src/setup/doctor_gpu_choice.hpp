#pragma once
// Which GPU the doctor would pass through, and why not the others. It never picks the host's
// only GPU, the boot GPU (the host's console) or a GPU whose IOMMU group holds devices the
// host needs; each refusal comes with a loud explanation.
#include <optional>
#include <string>
#include <vector>

#include "setup/machine_facts.hpp"

namespace periscope::setup {

struct GpuAssessment {
  const PciDevice* gpu{nullptr};
  std::vector<const PciDevice*> functions;   // every function of its slot, the GPU included
  std::optional<int> group;                  // IOMMU group number
  std::vector<std::string> group_members;    // every address in that group
  std::vector<const PciDevice*> bridges;     // PCI bridges in the group (harmless)
  std::vector<const PciDevice*> intruders;   // other devices in the group: they'd go too
  std::vector<std::string> unknown_members;  // group members we could not read
  bool boot{false};                          // boot_vga = 1: the firmware's console GPU
  bool integrated{false};                    // Intel iGPU on the root bus

  [[nodiscard]] bool clean() const {
    return group.has_value() && intruders.empty() && unknown_members.empty();
  }
  [[nodiscard]] std::string describe() const;  // "0000:01:00.0 (NVIDIA 10de:2820, VGA controller)"
};

enum class Refusal { kNone, kNoGpu, kOnlyGpu, kBootGpu, kDirtyGroup };

struct GpuChoice {
  std::vector<GpuAssessment> gpus;    // every display device, in address order
  std::optional<std::size_t> pick;    // index into gpus
  std::optional<std::size_t> target;  // the GPU the per-GPU checks describe (pick or refused)
  Refusal refusal{Refusal::kNone};
  std::string refusal_text;  // loud, for the verdict

  [[nodiscard]] const GpuAssessment* target_gpu() const {
    return target ? &gpus[*target] : nullptr;
  }
  // The GPUs that stay with the host when the target goes to the VM.
  [[nodiscard]] std::vector<const GpuAssessment*> host_gpus() const;
};

[[nodiscard]] GpuChoice choose_gpu(const PciFacts& pci, const IommuFacts& iommu);

}  // namespace periscope::setup
