// The IOMMU as firmware and kernel see it: the ACPI tables that describe it (DMAR on Intel,
// IVRS on AMD), the units the kernel registered, and the groups it formed.
#include <fmt/format.h>

#include "setup/machine_facts.hpp"
#include "setup/machine_text.hpp"

namespace periscope::setup {

IommuFacts read_iommu_facts(const MachineReader& reader) {
  IommuFacts facts;
  if (auto tables = reader.list_dir("/sys/firmware/acpi/tables")) {
    facts.acpi_tables_listed = true;
    for (const std::string& name : *tables) {
      // Firmware with several tables of a kind names them DMAR, DMAR1, ...
      if (starts_with(name, "DMAR")) facts.dmar = true;
      if (starts_with(name, "IVRS")) facts.ivrs = true;
    }
  }
  for (const std::string& unit : reader.list_or_empty("/sys/class/iommu")) {
    facts.units.push_back(printable(unit, 40));
  }
  const std::string groups = "/sys/kernel/iommu_groups";
  for (const std::string& name : reader.list_or_empty(groups)) {
    const auto number = parse_small_int(name);
    if (!number) {
      facts.problems.push_back(
          fmt::format("{}/{}: not a group number", groups, printable(name, 40)));
      continue;
    }
    std::vector<std::string>& members = facts.groups[*number];
    for (const std::string& device :
         reader.list_or_empty(fmt::format("{}/{}/devices", groups, name))) {
      if (is_pci_address(device)) {
        members.push_back(device);
      } else {
        facts.problems.push_back(
            fmt::format("group {}: odd member \"{}\"", *number, printable(device, 40)));
      }
    }
    if (auto type = reader.read_file(fmt::format("{}/{}/type", groups, name), kSmallFileBytes)) {
      facts.group_types[*number] = printable(trim(*type), 20);
    }
  }
  return facts;
}

}  // namespace periscope::setup
