// The host software around the VM: QEMU, libvirt, OVMF, AppArmor/SELinux, the Looking Glass
// shared memory and the VMs already defined. The doctor runs no programs, so versions are
// not read; presence is.
#include <fmt/format.h>

#include "setup/doctor_checks.hpp"
#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

Check qemu(const MachineFacts& facts) {
  const std::string id = "virt.qemu";
  if (facts.host.qemu.empty()) {
    return warn(id, "no QEMU binary found (qemu-system-x86_64, qemu-kvm)",
                "install qemu-system-x86 (Debian/Ubuntu), qemu-desktop (Arch) or qemu-kvm "
                "(Fedora)");
  }
  return ok(id, join(facts.host.qemu, ", ") + " (version not read: the doctor runs no programs)");
}

Check libvirt(const MachineFacts& facts) {
  const std::string id = "virt.libvirt";
  if (facts.host.libvirt.empty()) {
    return warn(id, "no libvirt found (libvirtd, virtqemud, virsh)",
                "install libvirt-daemon-system and libvirt-clients (Debian/Ubuntu) or libvirt "
                "(Arch/Fedora); qemu:override needs libvirt 8.2 or later");
  }
  return ok(id, join(facts.host.libvirt, ", ") +
                    " (version not read; qemu:override needs libvirt 8.2 or later)");
}

Check ovmf(const MachineFacts& facts) {
  const std::string id = "virt.ovmf";
  if (facts.host.ovmf.empty()) {
    return warn(id, "no OVMF (UEFI for VMs) firmware found",
                "install ovmf (Debian/Ubuntu) or edk2-ovmf (Arch/Fedora)");
  }
  std::vector<std::string> shown = facts.host.ovmf;
  if (shown.size() > 4) {
    const std::size_t more = shown.size() - 4;
    shown.resize(4);
    shown.push_back(fmt::format("{} more", more));
  }
  return ok(id, "OVMF: " + join(shown, ", "));
}

Check security(const MachineFacts& facts) {
  const std::string id = "security.mac";
  const HostFacts& h = facts.host;
  const bool kvmfr = h.shm.kvmfr_device.has_value();
  if (h.apparmor) {
    if (kvmfr && h.apparmor_libvirt_local.find("/dev/kvmfr0") == std::string::npos) {
      return warn(id,
                  "AppArmor is on and /dev/kvmfr0 is not in the libvirt-qemu local "
                  "abstraction: QEMU will be denied the device",
                  "add \"/dev/kvmfr0 rw,\" to /etc/apparmor.d/local/abstractions/libvirt-qemu "
                  "and reload AppArmor");
    }
    return ok(id,
              "AppArmor is on (files QEMU reads from <qemu:commandline>, like an SSDT, need "
              "a rule in /etc/apparmor.d/local/abstractions/libvirt-qemu)");
  }
  if (h.selinux_enforcing.value_or(false)) {
    if (kvmfr || h.shm.lg_file) {
      return warn(id, "SELinux is enforcing: QEMU needs the shared memory labelled for it",
                  "semanage fcontext -a -t svirt_tmpfs_t /dev/kvmfr0 (or the shm file) and "
                  "restorecon it");
    }
    return ok(id, "SELinux is enforcing");
  }
  return ok(id, h.selinux_enforcing ? "SELinux is permissive; no AppArmor"
                                    : "no AppArmor or SELinux in force");
}

std::string owner_text(const HostFacts& h, const PathInfo& info) {
  const auto user = h.user_names.find(info.uid);
  const auto group = h.group_names.find(info.gid);
  return fmt::format(
      "{}:{} {:04o}", user != h.user_names.end() ? user->second : std::to_string(info.uid),
      group != h.group_names.end() ? group->second : std::to_string(info.gid), info.mode);
}

Check shared_memory(const MachineFacts& facts) {
  const std::string id = "shm.memory";
  const HostFacts& h = facts.host;
  if (h.shm.kvmfr_device) {
    const PathInfo& info = *h.shm.kvmfr_device;
    if (info.type != FileType::kCharDevice) {
      return failed(id,
                    "/dev/kvmfr0 is not a character device: QEMU made a plain file because "
                    "the kvmfr module was not loaded when the VM started",
                    "delete /dev/kvmfr0, load kvmfr (options kvmfr static_size_mb=N), start the "
                    "VM again");
    }
    const std::string size = h.shm.kvmfr_static_size_mb
                                 ? fmt::format("{} MiB", *h.shm.kvmfr_static_size_mb)
                                 : std::string("size unknown");
    if ((info.mode & 0060) != 0060) {
      return warn(id,
                  fmt::format("/dev/kvmfr0 ({}, {}) is not readable and writable by its "
                              "group",
                              size, owner_text(h, info)),
                  "udev rule: SUBSYSTEM==\"kvmfr\", GROUP=\"kvm\", MODE=\"0660\"");
    }
    return ok(id, fmt::format("/dev/kvmfr0: {}, {}", size, owner_text(h, info)));
  }
  if (h.shm.lg_file) {
    const PathInfo& info = *h.shm.lg_file;
    const std::string where =
        fmt::format("/dev/shm/looking-glass ({} MiB, {})", info.size / kMiB, owner_text(h, info));
    const std::uint64_t mib = info.size / kMiB;
    if (info.size != 0 && (info.size % kMiB != 0 || (mib & (mib - 1)) != 0)) {
      return warn(id, where + ": the size is not a power of two MiB (libvirt refuses it)",
                  "delete the file; libvirt recreates it at the <shmem> size");
    }
    if ((info.mode & 0007) != 0) {
      return warn(id, where + ": other users can read the guest's screen",
                  "tmpfiles.d: f /dev/shm/looking-glass 0660 <user> kvm -");
    }
    if ((info.mode & 0060) != 0060 && (info.mode & 0600) != 0600) {
      return warn(id, where + ": neither its owner nor its group can read and write it",
                  "tmpfiles.d: f /dev/shm/looking-glass 0660 <user> kvm -");
    }
    return ok(id, where);
  }
  return not_applicable(id,
                        "no /dev/shm/looking-glass or /dev/kvmfr0 yet (setup plan creates "
                        "one)");
}

Check vms(const MachineFacts& facts) {
  const std::string id = "vm.definitions";
  if (facts.host.vm_names.empty()) {
    return not_applicable(id, "no VM defined in /etc/libvirt/qemu");
  }
  return ok(id, "defined VMs: " + join(facts.host.vm_names, ", ") +
                    " (setup plan can patch one with --vm)");
}

}  // namespace

void add_host_checks(const MachineFacts& facts, std::vector<Check>& checks) {
  checks.push_back(qemu(facts));
  checks.push_back(libvirt(facts));
  checks.push_back(ovmf(facts));
  checks.push_back(security(facts));
  checks.push_back(shared_memory(facts));
  checks.push_back(vms(facts));
}

}  // namespace periscope::setup
