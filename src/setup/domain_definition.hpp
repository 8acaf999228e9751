#pragma once
// `setup apply` defines the VM through libvirt. The XML is kept as a planned file
// (/etc/periscope/domains/<vm>.xml: backed up, written atomically and restored by rollback like
// every other file), and `virsh define` registers it, undone on rollback by `virsh undefine`
// — or, when a user's existing domain was patched, by defining their original again (kept
// beside it as <vm>.before.xml).
#include <optional>
#include <string>

#include "common/result.hpp"
#include "setup/setup_planner.hpp"

namespace periscope::setup {

inline constexpr const char* kDomainDir = "/etc/periscope/domains";

struct DomainDefinition {
  std::string vm;                       // the domain's name
  std::string xml;                      // what to define
  std::optional<std::string> original;  // --existing-domain: the user's domain as given
  // What the files hold now (nullopt: absent).
  std::optional<std::string> current;
  std::optional<std::string> current_original;
  bool virsh{false};    // libvirt's client is installed
  bool defined{false};  // libvirt already has a VM of this name (/etc/libvirt/qemu/<vm>.xml)
};

[[nodiscard]] std::string domain_file_path(const std::string& vm);
[[nodiscard]] std::string domain_original_path(const std::string& vm);

// Adds the files and the `virsh define` (with its undo) to the plan, only when something
// changes. Fails for a name that cannot be a file name, or a new VM whose name libvirt already
// has (that VM is someone else's: --existing-domain patches it, --vm picks another name).
[[nodiscard]] Status add_domain_definition(const DomainDefinition& definition,
                                           PlanOutcome& outcome);

}  // namespace periscope::setup
