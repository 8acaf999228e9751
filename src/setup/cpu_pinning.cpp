#include "setup/cpu_pinning.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace periscope::setup {

namespace {

// One physical core: its logical CPUs in ascending order.
using Core = std::vector<int>;

// Cores in the order of their first CPU, so vCPU numbering follows the host's.
std::vector<Core> cores_of(const CpuTopology& topology) {
  std::map<std::pair<int, int>, Core> by_id;
  for (const CpuThread& thread : topology.threads) {
    by_id[{thread.package, thread.core}].push_back(thread.cpu);
  }
  std::vector<Core> cores;
  for (auto& [id, cpus] : by_id) {
    std::sort(cpus.begin(), cpus.end());
    cores.push_back(std::move(cpus));
  }
  std::sort(cores.begin(), cores.end(),
            [](const Core& a, const Core& b) { return a.front() < b.front(); });
  return cores;
}

bool all_in(const Core& core, const std::set<int>& cpus) {
  return std::all_of(core.begin(), core.end(), [&](int cpu) { return cpus.count(cpu) > 0; });
}

void append(std::vector<int>& to, const Core& core) {
  to.insert(to.end(), core.begin(), core.end());
}

}  // namespace

Result<CpuPinning> plan_cpu_pinning(const CpuTopology& topology,
                                    std::optional<int> max_guest_cores) {
  if (max_guest_cores && *max_guest_cores < 1) {
    return fail(ErrorCode::kInvalidArgument, "the guest needs at least one core");
  }
  const std::vector<Core> cores = cores_of(topology);
  std::vector<Core> guest;
  std::vector<int> host;
  CpuPinning pinning;

  const std::set<int> performance(topology.performance_cpus.begin(),
                                  topology.performance_cpus.end());
  const bool split_by_kind = topology.hybrid() && !performance.empty();
  for (const Core& core : cores) {
    const bool to_guest =
        split_by_kind ? all_in(core, performance) : core.front() != cores.front().front();
    if (to_guest) {
      guest.push_back(core);
    } else {
      append(host, core);
    }
  }
  // A hybrid part whose every core is a performance core has no efficiency core to give the
  // host: fall back to keeping the first core.
  if (split_by_kind && host.empty() && !guest.empty()) {
    append(host, guest.front());
    guest.erase(guest.begin());
  }
  if (guest.empty()) {
    return fail(ErrorCode::kUnsupported,
                "{} core(s): none left for the guest once the host keeps its own", cores.size());
  }
  // The guest is told every core has the same number of threads; a core that differs would
  // put two vCPUs the guest thinks are siblings on two host cores, so it stays with the host.
  pinning.threads = static_cast<int>(guest.front().size());
  std::vector<Core> uniform;
  for (const Core& core : guest) {
    if (static_cast<int>(core.size()) == pinning.threads) {
      uniform.push_back(core);
    } else {
      append(host, core);
    }
  }
  if (max_guest_cores && static_cast<int>(uniform.size()) > *max_guest_cores) {
    uniform.resize(static_cast<std::size_t>(*max_guest_cores));
  }
  pinning.cores = static_cast<int>(uniform.size());
  for (const Core& core : uniform) append(pinning.vcpu_host_cpus, core);
  std::sort(host.begin(), host.end());
  pinning.host_cpus = std::move(host);
  std::vector<int> guest_cpus = pinning.vcpu_host_cpus;
  std::sort(guest_cpus.begin(), guest_cpus.end());
  pinning.reason =
      split_by_kind
          ? fmt::format("performance cores {} to the guest, efficiency cores {} to QEMU's threads",
                        format_cpu_list(guest_cpus), format_cpu_list(pinning.host_cpus))
          : fmt::format(
                "cores on CPUs {} to the guest, CPUs {} kept for the host and QEMU's threads",
                format_cpu_list(guest_cpus), format_cpu_list(pinning.host_cpus));
  return pinning;
}

}  // namespace periscope::setup
