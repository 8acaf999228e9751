#include "setup/cpu_topology.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

constexpr int kMaxCpus = 65536;

std::optional<int> cpu_number(std::string_view name) {
  if (!starts_with(name, "cpu")) return std::nullopt;
  name.remove_prefix(3);
  if (name.empty() || name.size() > 5) return std::nullopt;
  for (const char c : name) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return parse_small_int(name);
}

}  // namespace

std::optional<std::vector<int>> parse_cpu_list(std::string_view text) {
  text = trim(text);
  std::vector<int> cpus;
  if (text.empty()) return cpus;
  for (const std::string& range : split_on(text, ',')) {
    const std::size_t dash = range.find('-');
    const auto first = parse_small_int(std::string_view(range).substr(0, dash));
    const auto last = dash == std::string::npos
                          ? first
                          : parse_small_int(std::string_view(range).substr(dash + 1));
    if (!first || !last || *first > *last || *last >= kMaxCpus) return std::nullopt;
    if (cpus.size() + static_cast<std::size_t>(*last - *first) >= kMaxCpus) return std::nullopt;
    for (int cpu = *first; cpu <= *last; ++cpu) cpus.push_back(cpu);
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

std::string format_cpu_list(const std::vector<int>& cpus) {
  std::string out;
  std::size_t i = 0;
  while (i < cpus.size()) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(cpus[i]);
    if (j > i) out += "-" + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

int CpuTopology::physical_cores() const {
  std::set<std::pair<int, int>> cores;
  for (const CpuThread& thread : threads) cores.emplace(thread.package, thread.core);
  return static_cast<int>(cores.size());
}

bool CpuTopology::smt() const {
  return std::any_of(threads.begin(), threads.end(),
                     [](const CpuThread& t) { return t.siblings.size() > 1; });
}

Result<CpuTopology> read_cpu_topology(const MachineReader& reader) {
  const std::string base = "/sys/devices/system/cpu";
  auto names = reader.list_dir(base);
  if (!names) return tl::unexpected(names.error());
  CpuTopology topology;
  for (const std::string& name : *names) {
    const auto number = cpu_number(name);
    if (!number) continue;  // cpufreq, cpuidle, online, ...
    const std::string dir = base + "/" + name + "/topology";
    auto core = reader.read_file(dir + "/core_id", kSmallFileBytes);
    auto package = reader.read_file(dir + "/physical_package_id", kSmallFileBytes);
    auto siblings = reader.read_file(dir + "/thread_siblings_list", kSmallFileBytes);
    // An offline CPU has no topology directory: it is not ours to pin, so leave it out.
    if (!core && !package && !siblings) continue;
    CpuThread thread;
    thread.cpu = *number;
    const auto core_id = core ? parse_small_int(*core) : std::nullopt;
    const auto package_id = package ? parse_small_int(*package) : std::nullopt;
    auto sibling_list = siblings ? parse_cpu_list(*siblings) : std::nullopt;
    if (!core_id || !package_id || !sibling_list) {
      topology.problems.push_back(name + ": unreadable topology");
      continue;
    }
    thread.core = *core_id;
    thread.package = *package_id;
    thread.siblings = std::move(*sibling_list);
    topology.threads.push_back(std::move(thread));
  }
  std::sort(topology.threads.begin(), topology.threads.end(),
            [](const CpuThread& a, const CpuThread& b) { return a.cpu < b.cpu; });
  if (topology.threads.empty()) {
    return fail(ErrorCode::kNotFound, "no CPU topology under {}", base);
  }
  // Hybrid Intel parts register two PMUs, one per core type, each listing its CPUs.
  auto performance = reader.read_file("/sys/devices/cpu_core/cpus", kSmallFileBytes);
  auto efficiency = reader.read_file("/sys/devices/cpu_atom/cpus", kSmallFileBytes);
  if (performance && efficiency) {
    auto p = parse_cpu_list(*performance);
    auto e = parse_cpu_list(*efficiency);
    if (p && e) {
      topology.performance_cpus = std::move(*p);
      topology.efficiency_cpus = std::move(*e);
    } else {
      topology.problems.push_back("cpu_core/cpu_atom lists unreadable");
    }
  }
  return topology;
}

}  // namespace periscope::setup
