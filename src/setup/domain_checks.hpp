#pragma once
// What libvirt's schema (virt-xml-validate) lets through but the VM still gets wrong: a user
// alias libvirt drops, an override aimed at no device (silently not applied), an IVSHMEM size
// that is not a power of two, two devices on one guest PCI address, a GPU whose functions are
// scattered over several guest slots. Run on what we generate and on a user's own domain XML
// (setup-facts §5: "then run our own semantic checks").
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace periscope::setup {

struct DomainProblem {
  std::string check;    // "alias.prefix", "override.alias", "override.empty", "shmem.size",
                        // "kvmfr.size", "pci.clash", "gpu.slot", "gpu.multifunction",
                        // "hyperv.vendor_id", "qemu.namespace"
  std::string message;  // what is wrong, where, and what libvirt/QEMU/the driver would do
};

// Empty when the domain passes. Fails only when `xml` is not a <domain> document.
[[nodiscard]] Result<std::vector<DomainProblem>> check_domain_xml(std::string_view xml);

}  // namespace periscope::setup
