#pragma once
// `periscope setup plan`, host side: from the machine's facts and the user's choices to the
// files and commands that bind the GPU to vfio-pci at boot and give the viewer and QEMU the
// shared memory. It refuses what would leave the host without a display or give the VM
// devices the host needs, unless forced — and then says so loudly in the plan's warnings.
// The VM definition (libvirt domain) is made elsewhere and joined to this plan.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "setup/machine_facts.hpp"
#include "setup/setup_detect.hpp"
#include "setup/setup_generators.hpp"
#include "setup/setup_plan.hpp"

namespace periscope::setup {

enum class BootEntryMode {
  kSeparate,  // a new boot entry binds the GPU; the default entry's command line is untouched
  kDefault,   // the default entry binds the GPU on every boot
};

struct PlanOptions {
  std::string gpu;                      // "0000:01:00.0" or "01:00.0"; empty: the doctor's pick
  std::string resolution{"1920x1080"};  // the guest's largest mode, sizes the shared memory
  ShmKind shm{ShmKind::kShmFile};
  std::string vm{"win11"};  // the VM's name (used by the domain generator)
  BootEntryMode boot_entry{BootEntryMode::kSeparate};
  std::string user;   // who runs the viewer: owner of the shared memory
  bool force{false};  // plan what would otherwise be refused, with warnings
};

struct PlanOutcome {
  SetupPlan plan;
  std::optional<GpuBinding> gpu;
  // Why the plan was refused and how to force it; empty when a plan was made.
  std::string refusal;
  std::vector<std::string> summary;     // what was detected, one line each
  std::vector<std::string> unchanged;   // files already as the plan wants them
  std::vector<std::string> next_steps;  // what the user does after apply (reboot into...)
  // The current text of each planned file (nullopt: it does not exist yet), for the diffs.
  std::map<std::string, std::optional<std::string>> originals;

  [[nodiscard]] bool refused() const { return !refusal.empty(); }
};

// Fails on what the user must fix before any plan makes sense (an unknown --gpu, no GPU, a
// file the plan would replace but cannot read, a bootloader it does not know).
[[nodiscard]] Result<PlanOutcome> make_setup_plan(const MachineFacts& facts,
                                                  const HostDetection& host,
                                                  const PlanOptions& options);

// Reads the machine (facts and detection) and plans.
[[nodiscard]] Result<PlanOutcome> plan_setup(const MachineReader& reader,
                                             const PlanOptions& options);

}  // namespace periscope::setup
