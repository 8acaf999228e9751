// Reads every fact in one pass; each reader keeps its own failure to itself.
#include "setup/machine_facts.hpp"

namespace periscope::setup {

MachineFacts gather_machine_facts(const MachineReader& reader) {
  MachineFacts facts;
  facts.cpu = read_cpu_facts(reader);
  facts.topology = read_cpu_topology(reader);
  facts.iommu = read_iommu_facts(reader);
  facts.boot = read_boot_facts(reader);
  facts.pci = read_pci_facts(reader);
  facts.kernel = read_kernel_facts(reader);
  facts.initramfs = read_initramfs_facts(reader);
  facts.modprobe = read_modprobe_facts(reader, facts.boot);
  facts.host = read_host_facts(reader);
  return facts;
}

}  // namespace periscope::setup
