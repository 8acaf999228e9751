// The kernel side of binding: the kernel release, the vfio modules, vfio-pci's ids, the
// initramfs configuration that loads vfio early, and KVM's MSR handling.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "setup/doctor_checks.hpp"
#include "setup/machine_text.hpp"
#include "setup/machine_vfio_ids.hpp"
#include "setup/setup_detect.hpp"
#include "setup/setup_generators.hpp"

namespace periscope::setup {

namespace {

// The command the plan itself would run, as one line for a fix text.
std::string rebuild_command(InitramfsTool tool) {
  return fmt::format("{}", fmt::join(initramfs_command(tool).argv, " "));
}

bool has_module(const InitramfsConfig& config, std::string_view name) {
  for (const std::string& module : config.modules) {
    std::string normal = module;
    for (char& c : normal) {
      if (c == '-') c = '_';
    }
    if (normal == name) return true;
  }
  return false;
}

Check kernel_version(const MachineFacts& facts) {
  const std::string id = "kernel.version";
  if (!facts.kernel.release) {
    return warn(id, "cannot read the kernel release: " + facts.kernel.release.error().message,
                "rules that depend on the version (vfio_virqfd) are skipped");
  }
  if (!facts.kernel.major) {
    return warn(id, fmt::format("unrecognised kernel release \"{}\"", *facts.kernel.release),
                "rules that depend on the version (vfio_virqfd) are skipped");
  }
  return ok(id, fmt::format("Linux {}", *facts.kernel.release));
}

Check vfio_modules(const MachineFacts& facts) {
  const std::string id = "vfio.modules";
  const KernelFacts& k = facts.kernel;
  if (!k.proc_modules_read && !k.module("vfio")) {
    return not_applicable(id, "cannot read /proc/modules");
  }
  if (k.module("vfio_pci") && k.module("vfio_iommu_type1")) {
    return ok(id, fmt::format("vfio, vfio_pci and vfio_iommu_type1 are loaded{}",
                              k.dev_vfio ? ", /dev/vfio/vfio exists" : ""));
  }
  return warn(id, "vfio_pci is not loaded yet",
              "setup plan loads it from the initramfs; modprobe vfio-pci tries it now");
}

Check vfio_ids(const MachineFacts& facts, const GpuChoice& choice) {
  const std::string id = "vfio.ids";
  const ModprobeFacts& m = facts.modprobe;
  std::vector<std::string> findings;
  for (const std::string& file : m.ignored_files) {
    findings.push_back(file + " mentions vfio but modprobe only reads *.conf files");
  }
  if (m.vfio_ids.empty()) {
    if (findings.empty())
      return not_applicable(id, "vfio-pci is given no ids (setup plan adds them)");
    return warn(id, join(findings, "; "), "rename the file to end in .conf");
  }
  std::vector<std::string> sources;
  std::vector<VfioIdEntry> entries;
  for (const VfioIdsSetting& setting : m.vfio_ids) {
    sources.push_back(setting.source);
    for (VfioIdEntry& entry : parse_vfio_ids(setting.value)) {
      if (!entry.well_formed) {
        findings.push_back(
            entry.vendor ? fmt::format("{}: \"{}\" is malformed; the kernel reads {:04x}:{:04x} "
                                       "and silently drops the rest",
                                       setting.source, entry.text, *entry.vendor, *entry.device)
                         : fmt::format("{}: \"{}\" is malformed; the kernel rejects it",
                                       setting.source, entry.text));
      }
      entries.push_back(std::move(entry));
    }
  }
  if (sources.size() > 1) {
    findings.push_back("ids are set in more than one place (" + join(sources, ", ") +
                       "): keep one source of truth");
  }
  const auto bound_by_ids = [&](const PciDevice& d) {
    for (const VfioIdEntry& e : entries) {
      if (e.vendor && e.vendor == d.vendor && e.device == d.device) return true;
    }
    return false;
  };
  if (facts.pci) {
    for (const VfioIdEntry& e : entries) {
      if (!e.vendor) continue;
      bool matched = false;
      for (const PciDevice& d : facts.pci->devices) {
        if (d.vendor != e.vendor || d.device != e.device) continue;
        matched = true;
        if (d.is_bridge()) {
          findings.push_back(
              fmt::format("{:04x}:{:04x} is the PCI bridge {}: vfio-pci never "
                          "takes bridges; remove it",
                          *e.vendor, *e.device, d.address));
        }
      }
      if (!matched) {
        findings.push_back(fmt::format("no device has the id {:04x}:{:04x}", *e.vendor, *e.device));
      }
    }
    if (const GpuAssessment* target = choice.target_gpu()) {
      for (const PciDevice* f : target->functions) {
        if (!bound_by_ids(*f)) {
          findings.push_back(fmt::format("{} [{}] is not in the ids: it stays with {}", f->address,
                                         f->ids(), f->driver.empty() ? "no driver" : f->driver));
        }
      }
    }
  }
  if (findings.empty()) {
    return ok(id,
              fmt::format("vfio-pci ids from {} cover the GPU's functions", join(sources, ", ")));
  }
  return warn(id, join(findings, "; "),
              "list each function of the GPU once, as vendor:device separated by commas, in one "
              "place (setup plan writes /etc/modprobe.d/vfio.conf)");
}

Check initramfs_tool(const MachineFacts& facts) {
  const std::string id = "initramfs.tool";
  const InitramfsFacts& i = facts.initramfs;
  if (i.tools.empty()) {
    return not_applicable(id, "no mkinitcpio, dracut or initramfs-tools configuration found");
  }
  std::vector<std::string> names;
  for (const InitramfsTool tool : i.tools) names.push_back(initramfs_name(tool));
  if (!i.problems.empty()) {
    return warn(id, fmt::format("{}; unreadable: {}", join(names, ", "), join(i.problems, "; ")),
                "check the files' permissions");
  }
  if (names.size() > 1) {
    return warn(id, "more than one initramfs generator is configured: " + join(names, ", "),
                "make sure the one that builds your boot image gets the vfio modules");
  }
  return ok(id, names.front());
}

Check initramfs_vfio(const MachineFacts& facts) {
  const std::string id = "initramfs.vfio";
  const InitramfsFacts& i = facts.initramfs;
  if (facts.kernel.vfio_pci_builtin.value_or(false)) {
    return ok(id,
              "vfio-pci is built into this kernel: no initramfs needs to load it "
              "(vfio-pci.ids on the kernel command line binds at boot)");
  }
  if (i.tools.empty()) return not_applicable(id, "no initramfs generator found");
  for (const InitramfsConfig& config : i.configs) {
    if (has_module(config, "vfio_pci")) {
      return ok(id, fmt::format("{} puts vfio_pci in the initramfs", config.path));
    }
  }
  // `setup apply`'s separate entry: its own image carries vfio-pci, the default one none.
  if (!i.separate_builders.empty()) {
    if (!i.separate_images.empty()) {
      return ok(id, fmt::format("the vfio-pci boot entry has its own image ({}), built with "
                                "vfio-pci by {}; the default entry's image has none, by design",
                                join(i.separate_images, ", "), join(i.separate_builders, ", ")));
    }
    return warn(id,
                fmt::format("{} should build the vfio-pci boot entry's own image, but /boot has "
                            "none: that entry is left out of the boot menu",
                            join(i.separate_builders, ", ")),
                "run `periscope setup rollback`, then `periscope setup apply` (it builds the image "
                "and says why if that fails)");
  }
  return warn(
      id,
      "no initramfs configuration lists vfio_pci: a host driver may take the GPU "
      "before vfio-pci loads",
      fmt::format("`periscope setup apply` gives the GPU a boot entry with its own image; "
                  "or add vfio_pci vfio vfio_iommu_type1 to the {} configuration and run {}",
                  initramfs_name(i.tools.front()), rebuild_command(i.tools.front())));
}

// vfio_virqfd was folded into vfio in 6.2; listing it makes mkinitcpio and dracut fail, and
// a failed rebuild is how guides' readers ended up unable to boot.
Check initramfs_virqfd(const MachineFacts& facts) {
  const std::string id = "initramfs.vfio_virqfd";
  const InitramfsFacts& i = facts.initramfs;
  if (i.tools.empty()) return not_applicable(id, "no initramfs generator found");
  std::vector<const InitramfsConfig*> listing;
  for (const InitramfsConfig& config : i.configs) {
    if (has_module(config, "vfio_virqfd")) listing.push_back(&config);
  }
  if (listing.empty()) return ok(id, "no configuration lists vfio_virqfd");
  std::vector<std::string> paths;
  for (const InitramfsConfig* config : listing) paths.push_back(config->path);
  const std::optional<bool> merged = facts.kernel.at_least(6, 2);
  const std::string fix = fmt::format("remove vfio_virqfd from {} and run {}", join(paths, ", "),
                                      rebuild_command(listing.front()->tool));
  if (!merged) {
    return warn(id,
                join(paths, ", ") +
                    " list vfio_virqfd and the kernel version is unknown: "
                    "the module no longer exists from 6.2 on",
                fix);
  }
  if (*merged) {
    return failed(id,
                  fmt::format("{} list(s) vfio_virqfd, which kernel {} no longer has (merged into "
                              "vfio in 6.2): the next initramfs rebuild fails",
                              join(paths, ", "), *facts.kernel.release),
                  fix);
  }
  return ok(id, fmt::format("{} list(s) vfio_virqfd, which kernel {} still has (remove it when "
                            "moving to 6.2 or later)",
                            join(paths, ", "), *facts.kernel.release));
}

Check dracut_suffix(const MachineFacts& facts) {
  const std::string id = "initramfs.dracut_suffix";
  const InitramfsFacts& i = facts.initramfs;
  bool dracut = false;
  for (const InitramfsTool tool : i.tools) dracut = dracut || tool == InitramfsTool::kDracut;
  if (!dracut) return not_applicable(id, "dracut is not used");
  if (i.dracut_ignored.empty()) return ok(id, "every /etc/dracut.conf.d file ends in .conf");
  return warn(
      id,
      fmt::format("dracut ignores {} (only *.conf files are read)", join(i.dracut_ignored, ", ")),
      "rename to end in .conf, then dracut -f --regenerate-all");
}

Check kvm_msrs(const MachineFacts& facts) {
  const std::string id = "kvm.msrs";
  const KernelFacts& k = facts.kernel;
  if (!k.ignore_msrs) return not_applicable(id, "the kvm module is not loaded");
  const std::string fix =
      "options kvm ignore_msrs=1 report_ignored_msrs=0 in /etc/modprobe.d/kvm.conf (or "
      "kvm.ignore_msrs=1 on the kernel command line)";
  if (*k.ignore_msrs != "Y") {
    return warn(id,
                "kvm.ignore_msrs is off: Windows tools and games that read unemulated MSRs "
                "crash the guest",
                fix);
  }
  if (k.report_ignored_msrs && *k.report_ignored_msrs == "Y") {
    return ok(id,
              "kvm.ignore_msrs is on (report_ignored_msrs=Y fills the kernel log; set it "
              "to 0)");
  }
  return ok(id, "kvm.ignore_msrs is on");
}

}  // namespace

void add_vfio_checks(const MachineFacts& facts, const GpuChoice& choice,
                     std::vector<Check>& checks) {
  checks.push_back(kernel_version(facts));
  checks.push_back(vfio_modules(facts));
  checks.push_back(vfio_ids(facts, choice));
  checks.push_back(initramfs_tool(facts));
  checks.push_back(initramfs_vfio(facts));
  checks.push_back(initramfs_virqfd(facts));
  checks.push_back(dracut_suffix(facts));
  checks.push_back(kvm_msrs(facts));
}

}  // namespace periscope::setup
