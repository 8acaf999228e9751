// CPU virtualisation (VT-x / AMD-V) and the core layout setup plan will pin vCPUs from.
#include <fmt/format.h>

#include "setup/doctor_checks.hpp"
#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

Check virtualization(const MachineFacts& facts) {
  const std::string id = "cpu.virtualization";
  if (!facts.cpu)
    return warn(id, "cannot tell: " + facts.cpu.error().message,
                "look for vmx (Intel) or svm (AMD) in lscpu's flags");
  const CpuFacts& cpu = *facts.cpu;
  const std::string name = cpu.model_name.empty() ? cpu.vendor : cpu.model_name;
  if (!cpu.vmx && !cpu.svm) {
    return failed(id, fmt::format("{} shows neither vmx nor svm in /proc/cpuinfo", name),
                  cpu.amd()
                      ? "enable SVM (AMD-V) in the firmware setup"
                      : "enable VT-x (Intel Virtualization Technology) in the firmware setup");
  }
  const std::string flag = cpu.vmx ? "VT-x (vmx)" : "AMD-V (svm)";
  if (!cpu.kvm_device) {
    return warn(id, fmt::format("{} has {} but /dev/kvm is missing", name, flag),
                cpu.vmx ? "modprobe kvm_intel (and check dmesg for \"disabled by bios\")"
                        : "modprobe kvm_amd (and check dmesg for \"disabled by bios\")");
  }
  return ok(id, fmt::format("{}: {} on, /dev/kvm present", name, flag));
}

Check topology(const MachineFacts& facts) {
  const std::string id = "cpu.topology";
  if (!facts.topology) {
    return warn(id, "cannot read the CPU topology: " + facts.topology.error().message,
                "setup plan cannot pin vCPUs without it; pass the pinning by hand");
  }
  const CpuTopology& t = *facts.topology;
  std::string message = fmt::format("{} threads on {} cores{}", t.threads.size(),
                                    t.physical_cores(), t.smt() ? " (SMT)" : " (no SMT)");
  if (t.hybrid()) {
    message += fmt::format("; hybrid: performance cores on CPUs {}, efficiency cores on CPUs {}",
                           format_cpu_list(t.performance_cpus), format_cpu_list(t.efficiency_cpus));
  }
  if (!t.problems.empty()) {
    return warn(id, message + "; unreadable: " + join(t.problems, ", "),
                "check /sys/devices/system/cpu/cpu*/topology");
  }
  return ok(id, message);
}

}  // namespace

void add_cpu_checks(const MachineFacts& facts, std::vector<Check>& checks) {
  checks.push_back(virtualization(facts));
  checks.push_back(topology(facts));
}

}  // namespace periscope::setup
