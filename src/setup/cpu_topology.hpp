#pragma once
// The host's logical CPUs: which share a core (SMT siblings) and, on hybrid Intel parts
// (Alder Lake and later, like guide 004's i9-13900HX), which are performance and which are
// efficiency cores. setup plan pins vCPUs from this, so it must be the machine's real layout.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "setup/machine_reader.hpp"

namespace periscope::setup {

struct CpuThread {
  int cpu{0};
  int package{0};
  int core{0};
  std::vector<int> siblings;  // thread_siblings_list, this CPU included
};

struct CpuTopology {
  std::vector<CpuThread> threads;     // sorted by cpu number
  std::vector<int> performance_cpus;  // /sys/devices/cpu_core/cpus; empty when not hybrid
  std::vector<int> efficiency_cpus;   // /sys/devices/cpu_atom/cpus
  std::vector<std::string> problems;  // CPUs whose topology could not be read

  [[nodiscard]] bool hybrid() const { return !efficiency_cpus.empty(); }
  [[nodiscard]] int physical_cores() const;  // distinct (package, core) pairs
  [[nodiscard]] bool smt() const;            // some core runs more than one thread
};

// "0-3,8,10-11" → {0,1,2,3,8,10,11}. Refuses anything else (and lists over 65536 CPUs).
[[nodiscard]] std::optional<std::vector<int>> parse_cpu_list(std::string_view text);
// {0,1,2,3,8} → "0-3,8".
[[nodiscard]] std::string format_cpu_list(const std::vector<int>& cpus);

[[nodiscard]] Result<CpuTopology> read_cpu_topology(const MachineReader& reader);

}  // namespace periscope::setup
