#pragma once
// Which host CPUs run the guest's vCPUs and which are left for QEMU's own threads (emulator,
// I/O). A vCPU that shares a core with QEMU's busy threads, or whose two hyperthreads land on
// two different host cores, stutters; so the guest gets whole cores, SMT siblings as pairs of
// consecutive vCPUs (what `<topology cores=N threads=2>` tells the guest), and the host keeps
// cores of its own (guide 004 does this by hand on an i9-13900HX).
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "setup/cpu_topology.hpp"

namespace periscope::setup {

struct CpuPinning {
  int cores{0};                     // guest topology: one socket, one die
  int threads{1};                   // threads per guest core
  std::vector<int> vcpu_host_cpus;  // vCPU i runs on host CPU vcpu_host_cpus[i]
  std::vector<int> host_cpus;       // emulatorpin and iothreadpin
  std::string reason;               // one line for the plan: how the split was made

  [[nodiscard]] int vcpus() const { return static_cast<int>(vcpu_host_cpus.size()); }
};

// Hybrid parts (cpu_core/cpu_atom lists present): the performance cores to the guest, the
// efficiency cores to the host. Otherwise: the core that holds CPU 0 (and its siblings) stays
// with the host, every other core goes to the guest. `max_guest_cores` keeps only the first N
// guest cores (in host CPU order). Fails when no core is left for the guest.
[[nodiscard]] Result<CpuPinning> plan_cpu_pinning(const CpuTopology& topology,
                                                  std::optional<int> max_guest_cores = {});

}  // namespace periscope::setup
