// The IOMMU in firmware and kernel, and the kernel command line that turns it on.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "setup/doctor_checks.hpp"
#include "setup/machine_boot_cmdline.hpp"
#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

std::set<std::string> normalised(const std::vector<std::string>& args) {
  std::set<std::string> out;
  for (const std::string& arg : args) out.insert(normalise_cmdline_arg(arg));
  return out;
}

// The configured arguments missing from the running command line.
std::vector<std::string> missing_args(const ConfiguredCmdline& source,
                                      const std::set<std::string>& running) {
  std::vector<std::string> missing;
  for (const std::string& arg : source.args) {
    if (running.count(normalise_cmdline_arg(arg)) == 0) missing.push_back(printable(arg, 80));
  }
  return missing;
}

// The configured source closest to what booted: fewest arguments missing, first on a tie.
const ConfiguredCmdline* closest_source(const BootFacts& boot) {
  if (boot.configured.empty()) return nullptr;
  if (!boot.running) return &boot.configured.front();
  const std::set<std::string> running = normalised(*boot.running);
  const ConfiguredCmdline* best = nullptr;
  std::size_t best_missing = 0;
  for (const ConfiguredCmdline& source : boot.configured) {
    const std::size_t missing = missing_args(source, running).size();
    if (best == nullptr || missing < best_missing) {
      best = &source;
      best_missing = missing;
    }
  }
  return best;
}

std::string regenerate_hint(const ConfiguredCmdline& source) {
  switch (source.kind) {
    case CmdlineSourceKind::kGrub:
      return "regenerate grub.cfg (update-grub on Debian/Ubuntu, grub-mkconfig -o "
             "/boot/grub/grub.cfg on Arch, grub2-mkconfig -o /boot/grub2/grub.cfg on Fedora)";
    case CmdlineSourceKind::kKernelCmdline:
      return "rebuild the UKI or boot entries (mkinitcpio -P, kernel-install, or dracut --uefi)";
    case CmdlineSourceKind::kLoaderEntry:
      return "nothing to regenerate for a systemd-boot entry";
  }
  return "";
}

// The configured source that already asks for name=value, if any.
const ConfiguredCmdline* configured_with(const BootFacts& boot, std::string_view name,
                                         std::string_view value) {
  for (const ConfiguredCmdline& source : boot.configured) {
    for (const std::string& v : cmdline_values(source.args, name)) {
      if (v == value) return &source;
    }
  }
  return nullptr;
}

bool running_has(const MachineFacts& facts, std::string_view name, std::string_view value) {
  if (!facts.boot.running) return false;
  for (const std::string& v : cmdline_values(*facts.boot.running, name)) {
    for (const std::string& part : split_on(v, ',')) {
      if (part == value) return true;
    }
  }
  return false;
}

Check firmware(const MachineFacts& facts) {
  const std::string id = "iommu.firmware";
  const IommuFacts& iommu = facts.iommu;
  if (iommu.dmar) return ok(id, "the firmware describes an Intel VT-d IOMMU (ACPI DMAR table)");
  if (iommu.ivrs) return ok(id, "the firmware describes an AMD-Vi IOMMU (ACPI IVRS table)");
  if (!iommu.acpi_tables_listed) {
    if (iommu.kernel_active()) {
      return ok(id,
                "the ACPI tables are not readable here (root only), but the kernel found an "
                "IOMMU, so the firmware has one");
    }
    return not_applicable(id, "cannot list /sys/firmware/acpi/tables (run as root to check)");
  }
  const bool amd = facts.cpu && facts.cpu->amd();
  return failed(id, "the firmware describes no IOMMU (no ACPI DMAR or IVRS table)",
                amd ? "enable \"IOMMU\" / AMD-Vi (and SVM) in the firmware setup; update the BIOS "
                      "if there is no such option"
                    : "enable VT-d in the firmware setup; update the BIOS if there is no such "
                      "option");
}

Check kernel(const MachineFacts& facts) {
  const std::string id = "iommu.kernel";
  const IommuFacts& iommu = facts.iommu;
  const bool intel = facts.cpu && facts.cpu->intel();
  if (iommu.kernel_active()) {
    std::string message =
        fmt::format("the kernel's IOMMU is on: {} unit(s) ({}), {} groups", iommu.units.size(),
                    join(iommu.units, ", "), iommu.groups.size());
    if (intel && !running_has(facts, "intel_iommu", "on")) {
      message += " (without intel_iommu=on: this kernel turns it on by default)";
    }
    return ok(id, message);
  }
  const std::string message =
      "no IOMMU is active: /sys/class/iommu and /sys/kernel/iommu_groups are empty";
  if (intel) {
    if (running_has(facts, "intel_iommu", "on")) {
      return failed(id, message + " although intel_iommu=on was given",
                    "enable VT-d in the firmware setup (the kernel found nothing to turn on)");
    }
    if (const ConfiguredCmdline* source = configured_with(facts.boot, "intel_iommu", "on")) {
      return failed(id,
                    message + fmt::format("; {} asks for intel_iommu=on, but this boot did "
                                          "not get it",
                                          source->source),
                    regenerate_hint(*source) + ", then reboot");
    }
    return failed(id, message, how_to_add_kernel_args(facts.boot, "intel_iommu=on iommu=pt"));
  }
  if (running_has(facts, "amd_iommu", "off") || running_has(facts, "iommu", "off")) {
    return failed(id, message + "; the command line turns it off",
                  "remove amd_iommu=off / iommu=off from the kernel command line");
  }
  return failed(id, message,
                "enable \"IOMMU\" / AMD-Vi in the firmware setup (the kernel turns it on by "
                "default when the firmware describes one)");
}

Check mode(const MachineFacts& facts) {
  const std::string id = "iommu.mode";
  if (!facts.iommu.kernel_active()) return not_applicable(id, "no IOMMU is active");
  if (running_has(facts, "iommu", "pt")) {
    return ok(id, "iommu=pt: host devices bypass translation (passthrough domain)");
  }
  return ok(id,
            "iommu=pt is not set: host devices use translated DMA (works; iommu=pt, "
            "which most guides add, can spare host I/O the cost)");
}

Check configured(const MachineFacts& facts) {
  const std::string id = "cmdline.configured";
  if (!facts.boot.running) {
    return not_applicable(id, "cannot read /proc/cmdline: " + facts.boot.running.error().message);
  }
  if (facts.boot.configured.empty()) {
    return not_applicable(id,
                          "no bootloader configuration found (GRUB /etc/default/grub, "
                          "systemd-boot entries, /etc/kernel/cmdline)");
  }
  const std::set<std::string> running = normalised(*facts.boot.running);
  const ConfiguredCmdline* best = closest_source(facts.boot);
  const std::vector<std::string> missing = missing_args(*best, running);
  if (missing.empty()) {
    return ok(
        id, fmt::format("the running command line has every argument {} configures", best->source));
  }
  return warn(id,
              fmt::format("{} configures {} but the running kernel was not booted with it",
                          best->source, join(missing, " ")),
              regenerate_hint(*best) + ", then reboot");
}

// Arguments guides get wrong: values the kernel does not know, and unsafe workarounds.
Check odd_args(const MachineFacts& facts) {
  const std::string id = "cmdline.args";
  if (!facts.boot.running) return not_applicable(id, "cannot read /proc/cmdline");
  static const std::set<std::string> kIommuValues = {
      "off",  "force", "noforce", "biomerge", "panic",    "nopanic", "merge",    "nomerge",
      "soft", "pt",    "nopt",    "nodac",    "allowdac", "usedac",  "forcesac", "calgary"};
  std::vector<std::string> findings;
  std::vector<std::string> fixes;
  for (const std::string& value : cmdline_values(*facts.boot.running, "iommu")) {
    for (const std::string& part : split_on(value, ',')) {
      if (kIommuValues.count(part) != 0) continue;
      findings.push_back(fmt::format("iommu={} has the value \"{}\", which the kernel ignores",
                                     printable(value, 60), printable(part, 40)));
      fixes.push_back(facts.cpu && facts.cpu->amd()
                          ? "write separate arguments: iommu=pt"
                          : "write separate arguments: intel_iommu=on iommu=pt");
    }
  }
  for (const std::string& value : cmdline_values(*facts.boot.running, "amd_iommu")) {
    if (value == "on") {
      findings.push_back(
          "amd_iommu=on is not a documented value (harmless: AMD-Vi is on by "
          "default)");
    }
  }
  for (const std::string& value :
       cmdline_values(*facts.boot.running, "vfio_iommu_type1.allow_unsafe_interrupts")) {
    if (value == "1" || value == "Y" || value == "y") {
      findings.push_back(
          "vfio_iommu_type1.allow_unsafe_interrupts=1 lets a device forge "
          "interrupts when interrupt remapping is missing");
      fixes.push_back("drop it unless vfio refuses to start without it");
    }
  }
  if (!cmdline_values(*facts.boot.running, "pcie_acs_override").empty()) {
    findings.push_back(
        "pcie_acs_override splits IOMMU groups by pretending isolation exists: "
        "devices in the same real group can still reach each other");
    fixes.push_back("prefer a slot with its own group");
  }
  if (findings.empty()) return ok(id, "nothing odd on the running kernel command line");
  std::sort(fixes.begin(), fixes.end());
  fixes.erase(std::unique(fixes.begin(), fixes.end()), fixes.end());
  return warn(id, join(findings, "; "), join(fixes, "; "));
}

}  // namespace

std::string how_to_add_kernel_args(const BootFacts& boot, std::string_view args) {
  const ConfiguredCmdline* source = closest_source(boot);
  if (source == nullptr) {
    return fmt::format("add {} to the bootloader's kernel command line, then reboot", args);
  }
  switch (source->kind) {
    case CmdlineSourceKind::kGrub:
      return fmt::format(
          "add {} to GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, {}, then "
          "reboot",
          args, regenerate_hint(*source));
    case CmdlineSourceKind::kKernelCmdline:
      return fmt::format("add {} to /etc/kernel/cmdline, {}, then reboot", args,
                         regenerate_hint(*source));
    case CmdlineSourceKind::kLoaderEntry:
      return fmt::format("add {} to the options line of {}, then reboot", args, source->source);
  }
  return "";
}

void add_iommu_checks(const MachineFacts& facts, std::vector<Check>& checks) {
  checks.push_back(firmware(facts));
  checks.push_back(kernel(facts));
  checks.push_back(mode(facts));
  checks.push_back(configured(facts));
  checks.push_back(odd_args(facts));
}

}  // namespace periscope::setup
