// The VM's definition as part of the plan: a file we own, `virsh define`, and its undo.
#include "setup/domain_definition.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

constexpr const char* kConnect = "qemu:///system";

bool safe_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && name.front() != '.' &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
         });
}

// Adds a file unless it already holds `content`.
bool add_file(PlanOutcome& outcome, const std::string& path, const std::string& content,
              const std::optional<std::string>& current, std::uint32_t mode, std::string why) {
  if (current && *current == content) {
    outcome.unchanged.push_back(path);
    return false;
  }
  outcome.originals[path] = current;
  outcome.plan.files.push_back({path, content, mode, std::move(why)});
  return true;
}

}  // namespace

std::string domain_file_path(const std::string& vm) {
  return fmt::format("{}/{}.xml", kDomainDir, vm);
}

std::string domain_original_path(const std::string& vm) {
  return fmt::format("{}/{}.before.xml", kDomainDir, vm);
}

Status add_domain_definition(const DomainDefinition& d, PlanOutcome& outcome) {
  if (!safe_name(d.vm)) {
    return fail(ErrorCode::kInvalidArgument,
                "--vm {}: a VM name is letters, digits, '-', '_' and '.' (at most 64)",
                printable(d.vm));
  }
  const std::string path = domain_file_path(d.vm);
  if (!d.virsh) {
    outcome.next_steps.push_back(fmt::format(
        "libvirt is not installed: install it, then define the VM with `virsh define` on the "
        "domain.xml that `setup plan --out DIR` writes"));
    return {};
  }
  // A new VM must not replace one libvirt already has, unless it is the one we defined.
  if (d.defined && !d.original && !d.current) {
    return fail(ErrorCode::kInvalidArgument,
                "libvirt already has a VM named '{0}': patch it with --existing-domain (`virsh "
                "dumpxml {0} > {0}.xml`), or name the new one with --vm",
                d.vm);
  }
  bool changed = false;
  std::vector<std::string> undo{"virsh", "--connect", kConnect, "undefine", "--nvram", d.vm};
  if (d.original) {
    const std::string before = domain_original_path(d.vm);
    // Only the first apply keeps the user's original; a later plan patches the same VM.
    changed |= add_file(outcome, before, *d.original, d.current_original, 0600,
                        "the VM's definition before the patch (rollback defines it again)");
    undo = {"virsh", "--connect", kConnect, "define", before};
  }
  changed |= add_file(outcome, path, d.xml, d.current, 0644,
                      d.original ? fmt::format("the VM '{}' with the GPU, patched", d.vm)
                                 : fmt::format("the VM '{}' with the GPU", d.vm));
  if (!changed) return {};
  PlannedCommand define;
  define.argv = {"virsh", "--connect", kConnect, "define", path};
  define.why = d.original ? fmt::format("register the patched definition of '{}'", d.vm)
                          : fmt::format("register the VM '{}' with libvirt", d.vm);
  define.undo = std::move(undo);
  outcome.plan.commands.push_back(std::move(define));
  outcome.next_steps.push_back(fmt::format(
      "start the VM with `virsh --connect {} start {}` (or virt-manager)", kConnect, d.vm));
  return {};
}

}  // namespace periscope::setup
