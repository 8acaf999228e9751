// The planner: picks and checks the GPU, then asks each generator for its part, keeps only
// the files that change, and orders the commands that make them take effect.
#include "setup/setup_planner.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "setup/doctor_gpu_choice.hpp"
#include "setup/machine_boot_cmdline.hpp"
#include "setup/machine_text.hpp"
#include "setup/shm_size.hpp"

namespace periscope::setup {

namespace {

void add_unique(std::vector<std::string>& list, const std::string& item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

// The modules that would claim a function before vfio-pci if nothing ordered them.
std::vector<std::string> drivers_for(const PciDevice& device) {
  if (!device.class_code) return {};
  const std::uint32_t base_sub = *device.class_code >> 8;
  if (device.is_display()) {
    if (device.vendor == kVendorNvidia) return {"nvidia", "nouveau"};
    if (device.vendor == kVendorAmd) return {"amdgpu", "radeon"};
    if (device.vendor == kVendorIntel) return {"i915", "xe"};
    return {};
  }
  if (base_sub == 0x0403) return {"snd_hda_intel"};
  if (base_sub == 0x0c03) return {"xhci_pci"};
  if (base_sub == 0x0c80 && device.vendor == kVendorNvidia) return {"i2c_nvidia_gpu"};
  return {};
}

GpuBinding binding_of(const GpuAssessment& a) {
  GpuBinding b;
  b.gpu = a.gpu->address;
  b.description = a.describe();
  b.boot_vga = a.boot;
  for (const PciDevice* f : a.functions) {
    b.functions.push_back(f->address);
    add_unique(b.ids, f->ids());
    for (const std::string& driver : drivers_for(*f)) add_unique(b.host_drivers, driver);
  }
  return b;
}

const GpuAssessment* find_gpu(const GpuChoice& choice, std::string address) {
  if (std::count(address.begin(), address.end(), ':') == 1) address = "0000:" + address;
  for (const GpuAssessment& a : choice.gpus) {
    if (a.gpu->address == address) return &a;
  }
  return nullptr;
}

// Every reason this GPU should not go to a VM, loudest first.
std::vector<std::string> dangers(const GpuChoice& choice, const GpuAssessment& a,
                                 const PciFacts& pci, const IommuFacts& iommu,
                                 const GpuBinding& binding) {
  std::vector<std::string> reasons;
  if (choice.gpus.size() == 1) {
    reasons.push_back(fmt::format(
        "{} is this machine's ONLY GPU: bound to vfio-pci, the host has no display at all, and "
        "a mistake leaves it unusable until you boot another entry or a rescue system",
        a.describe()));
  }
  if (a.boot) {
    reasons.push_back(fmt::format(
        "{} is the BOOT GPU (boot_vga=1): the firmware and the host console use it. The plan "
        "adds initcall_blacklist=sysfb_init so the console lets go of it; set the firmware's "
        "primary display to the other GPU instead if you can",
        a.describe()));
  }
  if (iommu.kernel_active() && !a.clean()) {
    std::vector<std::string> others;
    for (const PciDevice* d : a.intruders) {
      others.push_back(fmt::format("{} ({}, {})", d->address, pci_class_name(d->class_code),
                                   d->driver.empty() ? "no driver" : d->driver));
    }
    for (const std::string& address : a.unknown_members)
      others.push_back(address + " (unreadable)");
    reasons.push_back(
        a.group
            ? fmt::format("{} shares IOMMU group {} with {}: the VM can only have the group "
                          "whole, and the plan binds only the GPU's own functions, so QEMU "
                          "will refuse the group (\"not viable\") until those leave the host too",
                          a.describe(), *a.group, join(others, ", "))
            : fmt::format("{} is in no IOMMU group although the IOMMU is on", a.describe()));
  }
  std::vector<std::string> twins;
  for (const PciDevice& d : pci.devices) {
    if (std::find(binding.functions.begin(), binding.functions.end(), d.address) !=
        binding.functions.end()) {
      continue;
    }
    if (std::find(binding.ids.begin(), binding.ids.end(), d.ids()) != binding.ids.end()) {
      twins.push_back(fmt::format("{} [{}]", d.address, d.ids()));
    }
  }
  if (!twins.empty()) {
    reasons.push_back(fmt::format(
        "vfio-pci binds by vendor:device, and {} {} the same ids: vfio-pci would take {} too",
        join(twins, ", "), twins.size() == 1 ? "has" : "have", twins.size() == 1 ? "it" : "them"));
  }
  return reasons;
}

std::vector<std::string> configured_args(const MachineFacts& facts, CmdlineSourceKind kind) {
  for (const ConfiguredCmdline& c : facts.boot.configured) {
    if (c.kind == kind) return c.args;
  }
  return {};
}

std::string shm_group(const HostFacts& host) {
  for (const char* group : {"kvm", "qemu", "libvirt-qemu"}) {
    for (const auto& [gid, name] : host.group_names) {
      if (name == group) return group;
    }
  }
  return {};
}

struct Planner {
  const MachineFacts& facts;
  const HostDetection& host;
  const PlanOptions& options;
  PlanOutcome out;
  std::vector<PlannedFile> files;
  bool rebuild_grub{false};
  std::string entry_kernel{};  // the kernel a copied loader entry boots (its image is needed)
  bool entry_tracked{false};   // the copied loader entry boots fixed names (newest kernel)
  struct ImageBuild {
    PlannedCommand command;
    std::string output;  // run when what builds it changed, or this is missing
  };
  std::vector<ImageBuild> image_builds{};

  void add(std::vector<PlannedFile> more) {
    for (PlannedFile& file : more) add(std::move(file));
  }
  void add(PlannedFile file) {
    for (PlannedFile& existing : files) {
      if (existing.path == file.path) {
        existing = std::move(file);
        return;
      }
    }
    files.push_back(std::move(file));
  }
  void warn(std::string text) { out.plan.warnings.push_back(std::move(text)); }

  Status plan_boot(const GpuBinding& gpu, bool ids_on_cmdline);
  Status plan_distro_initramfs(const GpuBinding& gpu, bool ids_on_cmdline);
  Status plan_private_images(const GpuBinding& gpu);
};

Status Planner::plan_boot(const GpuBinding& gpu, bool ids_on_cmdline) {
  const bool intel = facts.cpu && facts.cpu->intel();
  const bool separate = options.boot_entry == BootEntryMode::kSeparate;
  std::vector<std::string> wanted =
      vfio_cmdline_args({intel, ids_on_cmdline || separate, gpu.boot_vga, gpu.ids});
  // The separate entry leaves modprobe.d alone: KVM's option goes on its command line, which
  // modprobe reads for every module it loads (kvm.<option>=).
  if (separate && facts.kernel.ignore_msrs.value_or("N") != "Y") {
    wanted.push_back("kvm.ignore_msrs=1");
    wanted.push_back("kvm.report_ignored_msrs=0");
  }
  switch (host.bootloader) {
    case Bootloader::kGrub: {
      const std::vector<std::string> effective = configured_args(facts, CmdlineSourceKind::kGrub);
      if (separate) {
        const std::vector<std::string> extra = missing_args(effective, wanted);
        if (extra.empty()) {
          warn("the default GRUB entry already has every argument (" + join(wanted, " ") +
               "): it binds the GPU on every boot, so no separate entry is added");
          return {};
        }
        add(grub_separate_entry(extra));
        out.next_steps.push_back(
            "reboot and pick an entry ending in \"GPU for the VM (vfio-pci)\" in the GRUB menu; "
            "the default entry boots the host as before");
        if (host.grub_hidden_menu) {
          warn(
              "the GRUB menu is hidden (GRUB_TIMEOUT=0 or GRUB_TIMEOUT_STYLE=hidden): hold "
              "Shift or press Esc while the machine starts to see the new entries");
        }
        return {};
      }
      auto edited = edit_grub_default(*host.file("/etc/default/grub"), wanted, effective);
      if (!edited) return tl::unexpected(edited.error());
      // Configured but never booted (grub.cfg not rebuilt, or no reboot since): rebuild it.
      if (facts.boot.running && !missing_args(*facts.boot.running, wanted).empty()) {
        rebuild_grub = true;
      }
      add({"/etc/default/grub", *edited, 0644,
           "the default entry's command line: " + join(wanted, " ")});
      return {};
    }
    case Bootloader::kSystemdBoot:
    case Bootloader::kKernelCmdline:
    case Bootloader::kKernelstub: {
      if (separate) {
        auto entry = loader_separate_entry(
            host, wanted, host.initramfs && *host.initramfs != InitramfsTool::kMkinitcpio);
        if (!entry) {
          return fail(ErrorCode::kUnsupported, "{}; --boot-entry default edits the default entry",
                      entry.error().message);
        }
        add(std::move(entry->file));
        entry_kernel = entry->kernel_name;
        entry_tracked = entry->tracked;
        if (host.grub_bls) {
          out.next_steps.push_back(
              "reboot and pick the entry ending in \"GPU for the VM (vfio-pci)\" in the GRUB "
              "menu (or `grub2-reboot periscope-vfio` first: the next boot only)");
          warn(
              "GRUB sorts Boot Loader Specification entries by version and boots the saved "
              "one: check with `grub2-editenv list` that saved_entry still names your usual "
              "entry");
        } else {
          out.next_steps.push_back(fmt::format(
              "bootctl set-oneshot {} && reboot: the next boot only uses the new entry; the one "
              "after boots the default entry again",
              kLoaderEntryName));
        }
        if (!host.loader_default_set && !host.grub_bls) {
          warn(fmt::format(
              "{}/loader/loader.conf names no default entry: check with `bootctl list` that "
              "the default is still your usual entry (or set it with `bootctl set-default`)",
              host.esp));
        }
        return {};
      }
      if (host.bootloader == Bootloader::kKernelstub) {
        const std::vector<std::string> extra = missing_args(
            facts.boot.running ? *facts.boot.running : std::vector<std::string>{}, wanted);
        if (!extra.empty()) out.plan.commands.push_back(kernelstub_command(extra));
        return {};
      }
      for (const LoaderEntry& entry : host.loader_entries) {
        if (path_basename(entry.path) == kLoaderEntryName) continue;
        add({entry.path, edit_loader_entry(entry.text, wanted), 0644,
             "this entry's command line: " + join(wanted, " ")});
      }
      if (const std::string* cmdline = host.file("/etc/kernel/cmdline")) {
        add({"/etc/kernel/cmdline", edit_kernel_cmdline(*cmdline, wanted), 0644,
             "the command line new kernels and unified kernel images get"});
      } else if (host.bootloader == Bootloader::kSystemdBoot) {
        warn(
            "new kernels' entries copy the running command line (/proc/cmdline): boot once "
            "with the edited entries before a kernel update");
      }
      return {};
    }
    case Bootloader::kUnknown:
      break;
  }
  return fail(ErrorCode::kUnsupported,
              "no bootloader configuration found (/etc/default/grub, loader entries, "
              "/etc/kernel/cmdline, kernelstub): add {} to the kernel command line by hand",
              join(wanted, " "));
}

// The default entry binds the GPU: modprobe.d (ids, softdeps) and the distribution's own
// initramfs gain vfio-pci.
Status Planner::plan_distro_initramfs(const GpuBinding& gpu, bool ids_on_cmdline) {
  // modprobe.d
  const bool ignore_msrs = facts.kernel.ignore_msrs.value_or("N") != "Y";
  add(generate_modprobe(gpu, {!ids_on_cmdline, ignore_msrs}, host.files_in("/etc/modprobe.d")));

  // initramfs
  if (host.initramfs) {
    auto initramfs =
        generate_initramfs(*host.initramfs, host.kernel_at_least(6, 2).value_or(true), host);
    if (!initramfs) return tl::unexpected(initramfs.error());
    add(std::move(*initramfs));
    if (*host.initramfs == InitramfsTool::kMkinitcpio) {
      const std::string* conf = host.file("/etc/mkinitcpio.conf");
      bool modconf = false;
      for (const std::string& line : split_lines(conf != nullptr ? *conf : "")) {
        if (starts_with(trim(line), "HOOKS=") && line.find("modconf") != std::string::npos) {
          modconf = true;
        }
      }
      for (const InitramfsConfig& config : facts.initramfs.configs) {
        if (starts_with(config.path, "/etc/mkinitcpio.conf.d/")) {
          warn(fmt::format(
              "{} is read after /etc/mkinitcpio.conf: a MODULES=(…) there replaces the plan's "
              "list; check that it keeps vfio_pci vfio vfio_iommu_type1 first (or uses +=)",
              config.path));
        }
      }
      if (!modconf) {
        warn(
            "/etc/mkinitcpio.conf's HOOKS lack modconf: the image will not carry "
            "/etc/modprobe.d, so the softdeps and ids there do not apply at early boot");
      }
    }
  } else {
    warn(
        "no initramfs generator found (mkinitcpio, dracut, initramfs-tools): make sure "
        "vfio-pci loads before " +
        join(gpu.host_drivers, ", ") + " at boot");
  }

  return {};
}

// The separate entry's own image per kernel and what builds them, now and after updates.
Status Planner::plan_private_images(const GpuBinding& gpu) {
  if (!host.initramfs) {
    return fail(ErrorCode::kUnsupported,
                "no initramfs generator found (mkinitcpio, dracut, initramfs-tools) to build the "
                "separate entry's image; --boot-entry default binds the GPU on the default "
                "entry instead");
  }
  const InitramfsTool tool = *host.initramfs;
  std::vector<PrivateImage> images;
  if (entry_tracked) {
    // One image, for the newest kernel: the entry boots fixed names.
    images.push_back({"/boot/vmlinuz-" + entry_kernel, entry_kernel,
                      "/boot/" + std::string(kTrackedImageName), ""});
  } else {
    auto found = private_images(tool, host);
    if (!found) return tl::unexpected(found.error());
    images = std::move(*found);
    if (!entry_kernel.empty() &&
        std::none_of(images.begin(), images.end(),
                     [&](const PrivateImage& i) { return i.name == entry_kernel; })) {
      images.push_back(
          {"/boot/vmlinuz-" + entry_kernel, entry_kernel, private_image_path(entry_kernel), ""});
    }
  }
  add(generate_private_initramfs(tool, gpu, images, host));
  if (tool == InitramfsTool::kMkinitcpio) {
    for (const PrivateImage& image : images) {
      image_builds.push_back({mkinitcpio_image_command(image), image.image});
      if (image.preset.empty()) {
        warn(fmt::format(
            "no /etc/mkinitcpio.d preset names {}: after a kernel update its vfio-pci image is "
            "not rebuilt (run `periscope setup rollback` and apply again, or build it with "
            "mkinitcpio --config /etc/periscope/mkinitcpio-vfio.conf)",
            image.kernel));
      }
    }
    return {};
  }
  // initramfs-tools and dracut: a kernel hook builds the images, now and after updates.
  // Debian's kernels run /etc/kernel/postinst.d; kernel-install (Fedora) runs its plugins.
  const KernelHookChoices hooks{tool, tool == InitramfsTool::kDracut && host.kernel_install,
                                entry_tracked};
  add(generate_kernel_hooks(hooks, gpu));
  for (const PrivateImage& image : images) {
    image_builds.push_back({kernel_hook_command(hooks, image.name), image.image});
  }
  return {};
}

std::string kernel_line(const HostDetection& host) {
  const auto new_kernel = host.kernel_at_least(6, 2);
  const char* virqfd = !new_kernel   ? "release unknown: vfio_virqfd never added"
                       : *new_kernel ? "6.2 or later: no vfio_virqfd"
                                     : "before 6.2: vfio_virqfd kept if listed, never added";
  return fmt::format("kernel: {} ({}){}", host.kernel_release.empty() ? "?" : host.kernel_release,
                     virqfd, host.vfio_pci_builtin ? ", vfio-pci built in" : "");
}

}  // namespace

Result<PlanOutcome> make_setup_plan(const MachineFacts& facts, const HostDetection& host,
                                    const PlanOptions& options) {
  if (!facts.pci) return tl::unexpected(facts.pci.error());
  const GpuChoice choice = choose_gpu(*facts.pci, facts.iommu);
  const GpuAssessment* target = nullptr;
  if (!options.gpu.empty()) {
    target = find_gpu(choice, options.gpu);
    if (target == nullptr) {
      std::vector<std::string> known;
      for (const GpuAssessment& a : choice.gpus) known.push_back(a.gpu->address);
      return fail(ErrorCode::kInvalidArgument, "--gpu {}: no display device there (GPUs: {})",
                  printable(options.gpu), known.empty() ? "none" : join(known, ", "));
    }
  } else if (choice.pick) {
    target = &choice.gpus[*choice.pick];
  } else if (choice.target) {
    target = choice.target_gpu();
  } else {
    return fail(ErrorCode::kNotFound, "{}", choice.refusal_text);
  }

  Planner p{facts, host, options, {}, {}};
  const GpuBinding gpu = binding_of(*target);
  p.out.gpu = gpu;
  p.out.summary.push_back(fmt::format("distribution: {}", host.distro.pretty_name.empty()
                                                              ? host.distro.id
                                                              : host.distro.pretty_name));
  p.out.summary.push_back(fmt::format(
      "initramfs: {}", host.initramfs ? initramfs_name(*host.initramfs) : "none found"));
  p.out.summary.push_back(fmt::format("bootloader: {}{}", bootloader_name(host.bootloader),
                                      host.grub_bls ? " (GRUB reads them: blscfg)" : ""));
  p.out.summary.push_back(kernel_line(host));
  p.out.summary.push_back(fmt::format("GPU for the VM: {}; functions {}; ids {}", gpu.description,
                                      join(gpu.functions, " "), join(gpu.ids, ",")));

  const std::vector<std::string> reasons = dangers(choice, *target, *facts.pci, facts.iommu, gpu);
  if (!reasons.empty() && !options.force) {
    p.out.refusal = "REFUSED: " + join(reasons, ";\nREFUSED: ") +
                    fmt::format(
                        ".\nTo plan it anyway, at your own risk: periscope setup plan "
                        "--gpu {} --force",
                        gpu.gpu);
    return std::move(p.out);
  }
  for (const std::string& reason : reasons) p.warn("FORCED (--force): " + reason);
  if (!facts.iommu.kernel_active()) {
    p.warn(
        "the IOMMU is not active on the running kernel, so the GPU's IOMMU group is unknown: "
        "boot with the plan's command line, then run `periscope doctor` before starting a VM");
  }

  const bool separate = options.boot_entry == BootEntryMode::kSeparate;
  // One place for the ids: the separate entry's command line; else the default command line
  // when vfio-pci is built in (modprobe options cannot reach it) or already has them there;
  // else modprobe.d.
  bool default_cmdline_has_ids = false;
  for (const ConfiguredCmdline& c : facts.boot.configured) {
    if (!cmdline_values(c.args, "vfio_pci.ids").empty() &&
        path_basename(c.source) != kLoaderEntryName) {
      default_cmdline_has_ids = true;
    }
  }
  const bool ids_on_cmdline = separate || host.vfio_pci_builtin || default_cmdline_has_ids;
  // The ids already configured elsewhere bind on every boot, whatever the mode.
  if (separate) {
    std::vector<std::pair<std::string, std::string>> elsewhere;
    for (const VfioIdsSetting& s : facts.modprobe.vfio_ids) {
      if (starts_with(s.source, "/etc/modprobe.d/") && s.source != kModprobePath) {
        elsewhere.emplace_back(s.source, s.value);
      }
    }
    for (const ConfiguredCmdline& c : facts.boot.configured) {
      for (const std::string& value : cmdline_values(c.args, "vfio_pci.ids")) {
        if (path_basename(c.source) != kLoaderEntryName) elsewhere.emplace_back(c.source, value);
      }
    }
    for (const auto& [source, value] : elsewhere) {
      p.warn(
          fmt::format("{} already gives vfio-pci ids={}: the default entry binds them too, "
                      "not only the new one (--boot-entry default makes this plan the one "
                      "place they are set)",
                      source, value));
    }
  }

  for (const std::string& ignored : facts.initramfs.dracut_ignored) {
    p.warn(fmt::format(
        "{} does not end in .conf, so dracut ignores it{}", ignored,
        separate ? "" : fmt::format("; delete it (the plan's drop-in is {})", kDracutPath)));
  }
  if (!separate) {
    if (auto distro = p.plan_distro_initramfs(gpu, ids_on_cmdline); !distro) {
      return tl::unexpected(distro.error());
    }
  }

  // kernel command line and boot entry
  if (auto boot = p.plan_boot(gpu, ids_on_cmdline); !boot) return tl::unexpected(boot.error());
  // The separate entry's own images (only when there is such an entry).
  const bool entry_planned = std::any_of(p.files.begin(), p.files.end(), [](const PlannedFile& f) {
    return f.path == kGrubEntryPath || path_basename(f.path) == kLoaderEntryName;
  });
  if (separate && entry_planned) {
    if (auto images = p.plan_private_images(gpu); !images) {
      return tl::unexpected(images.error());
    }
  }

  // shared memory
  ShmChoices shm;
  shm.kind = options.shm;
  shm.user = options.user;
  if (shm.user.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "who runs the viewer? --user NAME (the shared memory's owner)");
  }
  shm.group = shm_group(facts.host);
  if (shm.group.empty()) shm.group = shm.user;
  auto size = shm_size_for(options.resolution, false);
  if (!size) return tl::unexpected(size.error());
  shm.size_mib = size->kvmfr_static_size_mb;
  shm.apparmor = facts.host.apparmor;
  shm.libvirt_daemon_split =
      std::any_of(facts.host.libvirt.begin(), facts.host.libvirt.end(),
                  [](const std::string& path) { return ends_with(path, "virtqemud"); });
  p.add(generate_shm_access(shm, host));
  if (options.shm == ShmKind::kKvmfr) {
    p.warn(fmt::format(
        "kvmfr is not part of the kernel: install Looking Glass's kvmfr module (DKMS) first; "
        "with Secure Boot on it must be signed. Reload it (modprobe -r kvmfr; modprobe kvmfr) "
        "or reboot for the {} MiB size",
        shm.size_mib));
  }

  // Keep what changes; refuse to replace what could not be read.
  std::vector<PlannedFile> changed;
  for (PlannedFile& file : p.files) {
    if (host.unreadable.count(file.path) != 0) {
      return fail(ErrorCode::kIo,
                  "{} exists but could not be read whole: the plan will not "
                  "replace a file it cannot see",
                  file.path);
    }
    const std::string* current = host.file(file.path);
    if (current != nullptr && *current == file.content) {
      p.out.unchanged.push_back(file.path);
      continue;
    }
    p.out.originals[file.path] =
        current != nullptr ? std::optional<std::string>(*current) : std::nullopt;
    changed.push_back(std::move(file));
  }

  // Commands, after every file: the initramfs carries modprobe.d and the UKI's command line.
  std::vector<PlannedCommand> commands;
  const auto touched = [&](auto predicate) {
    return std::any_of(changed.begin(), changed.end(),
                       [&](const PlannedFile& f) { return predicate(f.path); });
  };
  const bool initramfs_inputs = touched([](const std::string& path) {
    return starts_with(path, "/etc/modprobe.d/") || starts_with(path, "/etc/dracut.conf.d/") ||
           path == "/etc/mkinitcpio.conf" || path == "/etc/initramfs-tools/modules" ||
           path == "/etc/kernel/cmdline";
  });
  if (!separate && host.initramfs && initramfs_inputs) {
    commands.push_back(initramfs_command(*host.initramfs));
  }
  // The separate images, before the boot menu is rebuilt (the GRUB script lists only kernels
  // that have one): when what builds them changed, or one is missing.
  const bool image_inputs = touched([](const std::string& path) {
    return path == kDebianHookPath || path == kPostinstPath || path == kKernelInstallPath ||
           path == kMkinitcpioConfPath || starts_with(path, "/etc/mkinitcpio.d/");
  });
  for (Planner::ImageBuild& build : p.image_builds) {
    const bool present = std::find(host.boot_images.begin(), host.boot_images.end(),
                                   build.output) != host.boot_images.end();
    if (image_inputs || !present) commands.push_back(std::move(build.command));
  }
  if (p.rebuild_grub || touched([](const std::string& path) {
        return path == "/etc/default/grub" || path == kGrubEntryPath;
      })) {
    commands.push_back(grub_command(host));
  }
  for (PlannedCommand& c : p.out.plan.commands) commands.push_back(std::move(c));
  for (PlannedCommand& c : shm_access_commands(shm, changed)) commands.push_back(std::move(c));
  p.out.plan.commands = std::move(commands);
  p.out.plan.files = std::move(changed);
  if (options.boot_entry == BootEntryMode::kDefault) {
    p.out.next_steps.push_back("reboot: the default entry binds the GPU from now on");
  }
  p.out.next_steps.push_back(
      "after the reboot, `periscope doctor` checks that vfio-pci has the "
      "GPU's functions and the IOMMU is on");
  return std::move(p.out);
}

Result<PlanOutcome> plan_setup(const MachineReader& reader, const PlanOptions& options) {
  const MachineFacts facts = gather_machine_facts(reader);
  const HostDetection host = detect_host(reader, facts);
  return make_setup_plan(facts, host, options);
}

}  // namespace periscope::setup
