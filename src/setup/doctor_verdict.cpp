// The overall answer. A GPU is named unless the doctor refuses to pick one; it "can pass
// through" only when nothing in the hardware or the kernel's IOMMU stands in the way. What
// setup plan will fix (drivers, initramfs, shared memory) does not make the answer "no".
#include <fmt/format.h>

#include "setup/doctor.hpp"
#include "setup/doctor_laptop_topology.hpp"
#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

// Checks whose failure means the machine cannot pass the GPU through as it stands.
constexpr const char* kBlocking[] = {"cpu.virtualization", "iommu.firmware", "iommu.kernel",
                                     "pci.read",           "gpu.present",    "gpu.iommu_group"};

bool is_blocking(const std::string& id) {
  for (const char* blocking : kBlocking) {
    if (id == blocking) return true;
  }
  return false;
}

std::string laptop_note(const MachineFacts& facts, const GpuChoice& choice) {
  const LaptopTopology t = guess_laptop_topology(facts.host, choice);
  if (t.kind == LaptopKind::kNotLaptop) return "";
  return " Laptop topology: " + t.guess +
         " (a guess from class codes and connectors, not the schematics; see laptop.topology).";
}

}  // namespace

Verdict make_verdict(const MachineFacts& facts, const GpuChoice& choice,
                     const std::vector<Check>& checks) {
  Verdict verdict;
  std::vector<std::string> blockers;
  std::vector<std::string> other_failures;
  for (const Check& check : checks) {
    if (check.status != CheckStatus::kFail) continue;
    if (is_blocking(check.id)) {
      blockers.push_back(check.id + ": " + check.message +
                         (check.fix.empty() ? "" : " (fix: " + check.fix + ")"));
    } else {
      other_failures.push_back(check.id);
    }
  }
  if (!choice.pick) {
    verdict.reason = choice.refusal_text + "." + laptop_note(facts, choice);
    return verdict;
  }
  const GpuAssessment& gpu = choice.gpus[*choice.pick];
  verdict.gpu = gpu.gpu->address;
  std::vector<std::string> host;
  for (const GpuAssessment* other : choice.host_gpus()) host.push_back(other->gpu->address);
  if (!blockers.empty()) {
    verdict.reason = fmt::format("Not yet: {} is the GPU to pass through, but {}.", gpu.describe(),
                                 join(blockers, "; "));
  } else {
    verdict.can_passthrough = true;
    verdict.reason = fmt::format(
        "Yes: pass {} through; IOMMU group {} holds only its {} function(s){}, and the host "
        "keeps {}.",
        gpu.describe(), gpu.group.value_or(-1), gpu.functions.size(),
        gpu.bridges.empty() ? "" : " and PCI bridges", join(host, ", "));
  }
  if (!other_failures.empty()) {
    verdict.reason += " Fix first: " + join(other_failures, ", ") + ".";
  }
  verdict.reason += laptop_note(facts, choice);
  return verdict;
}

}  // namespace periscope::setup
