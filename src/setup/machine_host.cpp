// The host software and setup around the GPU: QEMU, libvirt, OVMF, the security modules, the
// Looking Glass shared memory, existing VMs, and whether this is a laptop.
#include "setup/machine_facts.hpp"
#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

std::vector<std::string> existing(const MachineReader& reader,
                                  std::initializer_list<const char*> paths) {
  std::vector<std::string> found;
  for (const char* path : paths) {
    if (reader.exists(path)) found.emplace_back(path);
  }
  return found;
}

// OVMF code images under the places distributions install them (Debian /usr/share/OVMF,
// Arch /usr/share/edk2/x64, Fedora /usr/share/edk2/ovmf, QEMU's own /usr/share/qemu).
std::vector<std::string> ovmf_files(const MachineReader& reader) {
  std::vector<std::string> found;
  for (const char* dir : {"/usr/share/OVMF", "/usr/share/edk2/x64", "/usr/share/edk2/ovmf",
                          "/usr/share/edk2-ovmf/x64", "/usr/share/qemu"}) {
    for (const std::string& name : reader.list_or_empty(dir)) {
      const bool code =
          name.find("CODE") != std::string::npos || name.find("x86_64-code") != std::string::npos;
      if (code && name.find(".fd") != std::string::npos) {
        found.push_back(std::string(dir) + "/" + printable(name, 80));
      }
    }
  }
  return found;
}

// /etc/group and /etc/passwd: "name:x:id:..." lines, for showing owners by name.
std::map<std::uint32_t, std::string> id_names(const MachineReader& reader, const char* path) {
  std::map<std::uint32_t, std::string> names;
  auto text = reader.read_file(path, kTextFileBytes);
  if (!text) return names;
  for (const std::string& line : split_lines(*text)) {
    const std::vector<std::string> fields = split_on(line, ':');
    if (fields.size() < 3) continue;
    if (auto id = parse_small_int(fields[2])) {
      names.emplace(static_cast<std::uint32_t>(*id), printable(fields[0], 32));
    }
  }
  return names;
}

std::optional<PathInfo> stat_if_present(const MachineReader& reader, const std::string& path) {
  auto info = reader.stat(path);
  if (!info) return std::nullopt;
  return *info;
}

void read_shm(const MachineReader& reader, ShmFacts& shm) {
  shm.lg_file = stat_if_present(reader, "/dev/shm/looking-glass");
  shm.kvmfr_device = stat_if_present(reader, "/dev/kvmfr0");
  // static_size_mb is an array parameter ("64" or "64,128"): the first is kvmfr0's.
  if (auto text =
          reader.read_file("/sys/module/kvmfr/parameters/static_size_mb", kSmallFileBytes)) {
    const std::vector<std::string> sizes = split_on(trim(*text), ',');
    if (!sizes.empty()) shm.kvmfr_static_size_mb = parse_small_int(sizes[0]);
  }
}

void read_chassis(const MachineReader& reader, HostFacts& host) {
  if (auto text = reader.read_file("/sys/class/dmi/id/chassis_type", kSmallFileBytes)) {
    host.chassis_type = parse_small_int(*text);
  }
  if (auto text = reader.read_file("/sys/class/dmi/id/product_name", kSmallFileBytes)) {
    host.product_name = printable(trim(*text), 80);
  }
  for (const std::string& name : reader.list_or_empty("/sys/class/power_supply")) {
    auto type = reader.read_file("/sys/class/power_supply/" + name + "/type", kSmallFileBytes);
    if (starts_with(name, "BAT") || (type && trim(*type) == "Battery")) host.battery = true;
  }
}

}  // namespace

HostFacts read_host_facts(const MachineReader& reader) {
  HostFacts host;
  host.qemu = existing(
      reader, {"/usr/bin/qemu-system-x86_64", "/usr/libexec/qemu-kvm", "/usr/bin/qemu-kvm"});
  host.libvirt = existing(reader, {"/usr/sbin/libvirtd", "/usr/sbin/virtqemud", "/usr/bin/virsh"});
  host.ovmf = ovmf_files(reader);
  auto apparmor_enabled =
      reader.read_file("/sys/module/apparmor/parameters/enabled", kSmallFileBytes);
  host.apparmor = reader.is_dir("/sys/kernel/security/apparmor") ||
                  (apparmor_enabled && trim(*apparmor_enabled) == "Y");
  if (auto text =
          reader.read_file("/etc/apparmor.d/local/abstractions/libvirt-qemu", kTextFileBytes)) {
    host.apparmor_libvirt_local = std::move(*text);
  }
  if (auto text = reader.read_file("/sys/fs/selinux/enforce", kSmallFileBytes)) {
    host.selinux_enforcing = trim(*text) == "1";
  }
  read_shm(reader, host.shm);
  host.group_names = id_names(reader, "/etc/group");
  host.user_names = id_names(reader, "/etc/passwd");
  for (const std::string& name : reader.list_or_empty("/etc/libvirt/qemu")) {
    if (ends_with(name, ".xml") && name.size() > 4) {
      host.vm_names.push_back(printable(name.substr(0, name.size() - 4), 80));
    }
  }
  read_chassis(reader, host);
  return host;
}

}  // namespace periscope::setup
