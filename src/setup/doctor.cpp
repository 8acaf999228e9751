#include "setup/doctor.hpp"

#include "setup/doctor_checks.hpp"

namespace periscope::setup {

DoctorReport diagnose(const MachineFacts& facts) {
  static const PciFacts kNoDevices;
  const GpuChoice choice = choose_gpu(facts.pci ? *facts.pci : kNoDevices, facts.iommu);
  DoctorReport report;
  add_cpu_checks(facts, report.checks);
  add_iommu_checks(facts, report.checks);
  add_gpu_checks(facts, choice, report.checks);
  add_vfio_checks(facts, choice, report.checks);
  add_host_checks(facts, report.checks);
  report.verdict = make_verdict(facts, choice, report.checks);
  return report;
}

DoctorReport run_doctor(const MachineReader& reader) {
  return diagnose(gather_machine_facts(reader));
}

}  // namespace periscope::setup
