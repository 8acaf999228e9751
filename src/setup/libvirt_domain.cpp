#include "setup/libvirt_domain.hpp"

#include <algorithm>
#include <set>
#include <string_view>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "setup/libvirt_domain_address.hpp"
#include "setup/libvirt_domain_xml.hpp"

namespace periscope::setup {

namespace domain_xml {

namespace {
constexpr std::uint64_t kMiB = 1024 * 1024;
}  // namespace

bool power_of_two(std::uint64_t value) {
  return value != 0 && (value & (value - 1)) == 0;
}

// A child element with attributes given as name/value pairs.
pugi::xml_node add(pugi::xml_node parent, const char* name,
                   std::initializer_list<std::pair<const char*, std::string>> attributes) {
  pugi::xml_node node = parent.append_child(name);
  for (const auto& [key, value] : attributes) node.append_attribute(key).set_value(value.c_str());
  return node;
}

pugi::xml_node add_text(
    pugi::xml_node parent, const char* name, const std::string& text,
    std::initializer_list<std::pair<const char*, std::string>> attributes = {}) {
  pugi::xml_node node = add(parent, name, attributes);
  node.text().set(text.c_str());
  return node;
}

std::string hex(unsigned value, int digits) {
  return fmt::format("{:#0{}x}", value, digits + 2);
}

void add_pci_address(pugi::xml_node parent, const PciAddress& address, bool with_type,
                     bool multifunction) {
  pugi::xml_node node = parent.append_child("address");
  if (with_type) node.append_attribute("type").set_value("pci");
  node.append_attribute("domain").set_value(hex(address.domain, 4).c_str());
  node.append_attribute("bus").set_value(hex(address.bus, 2).c_str());
  node.append_attribute("slot").set_value(hex(address.slot, 2).c_str());
  node.append_attribute("function").set_value(hex(address.function, 1).c_str());
  if (multifunction) node.append_attribute("multifunction").set_value("on");
}

std::string on(bool value) {
  return value ? "yes" : "no";
}

void add_cpu_tuning(pugi::xml_node domain, const CpuPinning& cpus) {
  add_text(domain, "vcpu", std::to_string(cpus.vcpus()), {{"placement", "static"}});
  add_text(domain, "iothreads", "1");
  pugi::xml_node tune = add(domain, "cputune");
  for (int vcpu = 0; vcpu < cpus.vcpus(); ++vcpu) {
    add(tune, "vcpupin",
        {{"vcpu", std::to_string(vcpu)},
         {"cpuset", std::to_string(cpus.vcpu_host_cpus[static_cast<std::size_t>(vcpu)])}});
  }
  if (!cpus.host_cpus.empty()) {
    const std::string host = format_cpu_list(cpus.host_cpus);
    add(tune, "emulatorpin", {{"cpuset", host}});
    add(tune, "iothreadpin", {{"iothread", "1"}, {"cpuset", host}});
  }
}

void add_os(pugi::xml_node domain, bool secure_boot) {
  // firmware='efi' lets libvirt pick the OVMF build from /usr/share/qemu/firmware/*.json; the
  // two features decide which one (without them Debian 12 picks OVMF_CODE_4M.ms.fd with SMM).
  pugi::xml_node os = add(domain, "os", {{"firmware", "efi"}});
  add_text(os, "type", "hvm", {{"arch", "x86_64"}, {"machine", "q35"}});
  pugi::xml_node firmware = add(os, "firmware");
  add(firmware, "feature", {{"enabled", on(secure_boot)}, {"name", "enrolled-keys"}});
  add(firmware, "feature", {{"enabled", on(secure_boot)}, {"name", "secure-boot"}});
}

void add_hyperv(pugi::xml_node features, const DomainSpec& spec) {
  pugi::xml_node hyperv = add(features, "hyperv", {{"mode", "custom"}});
  for (const char* name : {"relaxed", "vapic"}) add(hyperv, name, {{"state", "on"}});
  add(hyperv, "spinlocks", {{"state", "on"}, {"retries", "8191"}});
  for (const char* name : {"vpindex", "synic", "stimer", "reset"}) {
    add(hyperv, name, {{"state", "on"}});
  }
  add(hyperv, "vendor_id", {{"state", "on"}, {"value", spec.hyperv_vendor_id}});
}

void add_features(pugi::xml_node domain, const DomainSpec& spec) {
  pugi::xml_node features = add(domain, "features");
  add(features, "acpi");
  add(features, "apic");
  add_hyperv(features, spec);
  add(add(features, "kvm"), "hidden", {{"state", "on"}});
  add(features, "vmport", {{"state", "off"}});
  if (spec.secure_boot) add(features, "smm", {{"state", "on"}});
  add(features, "ioapic", {{"driver", "kvm"}});
}

void add_cpu(pugi::xml_node domain, const DomainSpec& spec) {
  pugi::xml_node cpu =
      add(domain, "cpu", {{"mode", "host-passthrough"}, {"check", "none"}, {"migratable", "on"}});
  add_cpu_topology(cpu, spec);
}

void add_cpu_topology(pugi::xml_node cpu, const DomainSpec& spec) {
  add(cpu, "topology",
      {{"sockets", "1"},
       {"dies", "1"},
       {"cores", std::to_string(spec.cpus.cores)},
       {"threads", std::to_string(spec.cpus.threads)}});
  if (spec.amd_host && spec.cpus.threads > 1) {
    add(cpu, "feature", {{"policy", "require"}, {"name", "topoext"}});
  }
}

void add_clock(pugi::xml_node domain) {
  pugi::xml_node clock = add(domain, "clock", {{"offset", "localtime"}});
  add(clock, "timer", {{"name", "rtc"}, {"tickpolicy", "catchup"}});
  add(clock, "timer", {{"name", "pit"}, {"tickpolicy", "delay"}});
  add(clock, "timer", {{"name", "hpet"}, {"present", "no"}});
  add(clock, "timer", {{"name", "hypervclock"}, {"present", "yes"}});
}

void add_storage(pugi::xml_node devices, const DomainSpec& spec) {
  int boot = 1;
  if (!spec.disk_image.empty()) {
    pugi::xml_node disk = add(devices, "disk", {{"type", "file"}, {"device", "disk"}});
    add(disk, "driver",
        {{"name", "qemu"},
         {"type", "qcow2"},
         {"cache", "none"},
         {"io", "native"},
         {"discard", "unmap"},
         {"iothread", "1"}});
    add(disk, "source", {{"file", spec.disk_image}});
    add(disk, "target", {{"dev", "vda"}, {"bus", "virtio"}});
    add(disk, "boot", {{"order", std::to_string(boot++)}});
  }
  char letter = 'a';
  for (const std::string& iso : spec.cdroms) {
    pugi::xml_node cdrom = add(devices, "disk", {{"type", "file"}, {"device", "cdrom"}});
    add(cdrom, "driver", {{"name", "qemu"}, {"type", "raw"}});
    add(cdrom, "source", {{"file", iso}});
    add(cdrom, "target", {{"dev", std::string("sd") + letter++}, {"bus", "sata"}});
    add(cdrom, "readonly");
    add(cdrom, "boot", {{"order", std::to_string(boot++)}});
  }
}

void add_gpu(pugi::xml_node devices, const DomainSpec& spec, unsigned guest_bus) {
  // Our own root port, index guest_bus, so every function lands on its bus at slot 0 the
  // way the host has them: drivers expect the HDMI audio next to the GPU.
  add(devices, "controller",
      {{"type", "pci"}, {"index", std::to_string(guest_bus)}, {"model", "pcie-root-port"}});
  for (const GpuFunction& function : spec.gpu_functions) {
    const PciAddress host = *parse_pci_address(function.address);
    pugi::xml_node hostdev =
        add(devices, "hostdev", {{"mode", "subsystem"}, {"type", "pci"}, {"managed", "yes"}});
    add(hostdev, "driver", {{"name", "vfio"}});
    add_pci_address(add(hostdev, "source"), host, false, false);
    if (host.function == 0 && !spec.rom_file.empty()) {
      add(hostdev, "rom", {{"file", spec.rom_file}});
    }
    add(hostdev, "alias", {{"name", gpu_alias(host.function)}});
    const bool several = spec.gpu_functions.size() > 1;
    add_pci_address(hostdev, PciAddress{0, guest_bus, 0, host.function}, true,
                    several && host.function == 0);
  }
}

void add_evdev_inputs(pugi::xml_node devices, const DomainSpec& spec) {
  if (!spec.evdev_keyboard.empty()) {
    // grab='all' takes the keyboard from the host while the guest has it; both Ctrl keys
    // together hand it back.
    add(add(devices, "input", {{"type", "evdev"}}), "source",
        {{"dev", spec.evdev_keyboard},
         {"grab", "all"},
         {"grabToggle", "ctrl-ctrl"},
         {"repeat", "on"}});
  }
  if (!spec.evdev_mouse.empty()) {
    add(add(devices, "input", {{"type", "evdev"}}), "source", {{"dev", spec.evdev_mouse}});
  }
}

void add_shmem_and_balloon(pugi::xml_node devices, const DomainSpec& spec) {
  if (spec.shm.kind == ShmKind::kShmFile) {
    pugi::xml_node shmem = add(devices, "shmem", {{"name", "looking-glass"}});
    add(shmem, "model", {{"type", "ivshmem-plain"}});
    add_text(shmem, "size", std::to_string(spec.shm.size_mib), {{"unit", "M"}});
  }
  add(devices, "memballoon", {{"model", "none"}});
}

void add_devices(pugi::xml_node domain, const DomainSpec& spec) {
  pugi::xml_node devices = add(domain, "devices");
  add_storage(devices, spec);
  if (!spec.network.empty()) {
    pugi::xml_node interface = add(devices, "interface", {{"type", "network"}});
    add(interface, "source", {{"network", spec.network}});
    add(interface, "model", {{"type", "virtio"}});
  }
  if (spec.usb_tablet) add(devices, "input", {{"type", "tablet"}, {"bus", "usb"}});
  // A local SPICE console and a plain VGA for installing Windows before the GPU driver and
  // the Looking Glass host are in; afterwards the guest shows itself through the GPU.
  add(add(devices, "graphics", {{"type", "spice"}, {"autoport", "yes"}}), "listen",
      {{"type", "address"}, {"address", "127.0.0.1"}});
  add(add(devices, "video"), "model", {{"type", "vga"}});
  if (spec.virtiofs) {
    pugi::xml_node fs =
        add(devices, "filesystem", {{"type", "mount"}, {"accessmode", "passthrough"}});
    add(fs, "driver", {{"type", "virtiofs"}});
    add(fs, "source", {{"dir", spec.virtiofs->host_dir}});
    add(fs, "target", {{"dir", spec.virtiofs->tag}});
  }
  add_gpu(devices, spec, kGpuGuestBus);
  add_evdev_inputs(devices, spec);
  add_shmem_and_balloon(devices, spec);
}

void add_arg_pair(pugi::xml_node commandline, const std::string& option, const std::string& value) {
  add(commandline, "qemu:arg", {{"value", option}});
  add(commandline, "qemu:arg", {{"value", value}});
}

bool wants_qemu_args(const DomainSpec& spec) {
  return !spec.battery_ssdt.empty() || !spec.qmp_socket.empty() || spec.shm.kind == ShmKind::kKvmfr;
}

void add_qemu_commandline(pugi::xml_node domain, const DomainSpec& spec) {
  if (wants_qemu_args(spec)) add_qemu_args(add(domain, "qemu:commandline"), spec);
}

void add_qemu_args(pugi::xml_node commandline, const DomainSpec& spec) {
  const bool kvmfr = spec.shm.kind == ShmKind::kKvmfr;
  if (!spec.battery_ssdt.empty())
    add_arg_pair(commandline, "-acpitable", "file=" + spec.battery_ssdt);
  if (!spec.qmp_socket.empty()) {
    add_arg_pair(commandline, "-qmp", "unix:" + spec.qmp_socket + ",server=on,wait=off");
  }
  if (kvmfr) {
    // JSON, because libvirt >= 7.9 hands QEMU >= 6.2 its own devices as JSON and QEMU then
    // wants every -device in that form (setup-facts §6); the object's size must equal kvmfr's
    // static_size_mb x 1 MiB to the byte.
    add_arg_pair(
        commandline, "-device",
        fmt::format(R"({{"driver":"ivshmem-plain","id":"shmem0","memdev":"{}"}})", kKvmfrMemdev));
    add_arg_pair(commandline, "-object",
                 fmt::format(R"({{"qom-type":"memory-backend-file","id":"{}","mem-path":"{}",)"
                             R"("size":{},"share":true}})",
                             kKvmfrMemdev, spec.shm.kvmfr_device, spec.shm.size_mib * kMiB));
  }
}

std::vector<const GpuFunction*> functions_with_subsystem_ids(const DomainSpec& spec) {
  std::vector<const GpuFunction*> with_ids;
  for (const GpuFunction& function : spec.gpu_functions) {
    if (function.subsystem_vendor.value_or(0) != 0 && function.subsystem_device.value_or(0) != 0) {
      with_ids.push_back(&function);
    }
  }
  return with_ids;
}

void add_qemu_override(pugi::xml_node domain, const DomainSpec& spec) {
  // Only functions whose subsystem ids are known and non-zero: an override block with nothing
  // in it crashed libvirtd 8.4 (libvirt#321).
  if (functions_with_subsystem_ids(spec).empty()) return;
  add_override_devices(add(domain, "qemu:override"), spec);
}

void add_override_devices(pugi::xml_node override_node, const DomainSpec& spec) {
  for (const GpuFunction* function : functions_with_subsystem_ids(spec)) {
    const PciAddress host = *parse_pci_address(function->address);
    pugi::xml_node frontend = add(
        add(override_node, "qemu:device", {{"alias", gpu_alias(host.function)}}), "qemu:frontend");
    add(frontend, "qemu:property",
        {{"name", "x-pci-sub-vendor-id"},
         {"type", "unsigned"},
         {"value", std::to_string(*function->subsystem_vendor)}});
    add(frontend, "qemu:property",
        {{"name", "x-pci-sub-device-id"},
         {"type", "unsigned"},
         {"value", std::to_string(*function->subsystem_device)}});
  }
}

// Our own writer, in libvirt's style: two-space indent, single-quoted attributes, "<a/>" for
// empty elements (pugixml writes "<a />"), every special character escaped in values.
void write_escaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
}

void write_element(std::string& out, pugi::xml_node node, int depth) {
  out.append(static_cast<std::size_t>(depth) * 2, ' ');
  out += '<';
  out += node.name();
  for (pugi::xml_attribute attribute : node.attributes()) {
    out += ' ';
    out += attribute.name();
    out += "='";
    write_escaped(out, attribute.value());
    out += '\'';
  }
  const pugi::xml_node first = node.first_child();
  if (!first) {
    out += "/>\n";
  } else if (first.type() == pugi::node_pcdata) {
    out += '>';
    write_escaped(out, first.value());
    out += fmt::format("</{}>\n", node.name());
  } else {
    out += ">\n";
    for (pugi::xml_node child : node.children()) {
      if (child.type() == pugi::node_element) {
        write_element(out, child, depth + 1);
        continue;
      }
      // A user's domain (patch mode) may carry comments or stray text: keep them.
      out.append(static_cast<std::size_t>(depth + 1) * 2, ' ');
      if (child.type() == pugi::node_comment) {
        out += fmt::format("<!--{}-->\n", child.value());
      } else {
        write_escaped(out, child.value());
        out += '\n';
      }
    }
    out.append(static_cast<std::size_t>(depth) * 2, ' ');
    out += fmt::format("</{}>\n", node.name());
  }
}

std::string write_document(pugi::xml_node root) {
  std::string out;
  write_element(out, root, 0);
  return out;
}

}  // namespace domain_xml

namespace {

using namespace domain_xml;

bool absolute(const std::string& path) {
  return !path.empty() && path.front() == '/';
}

// "" (not wanted) or an absolute path. Paths that go into QEMU's own option syntax
// (-acpitable file=..., -qmp unix:..., kvmfr's JSON) must not contain ',' or quotes.
Status check_path(const char* what, const std::string& path, bool on_commandline) {
  if (path.empty()) return {};
  if (!absolute(path) || path.find('\n') != std::string::npos) {
    return fail(ErrorCode::kInvalidArgument, "{} must be an absolute path, not '{}'", what, path);
  }
  if (on_commandline && path.find_first_of(",\"\\") != std::string::npos) {
    return fail(ErrorCode::kInvalidArgument, "{} path must not contain ',', '\"' or '\\': {}", what,
                path);
  }
  return {};
}

}  // namespace

std::string gpu_alias(unsigned function) {
  return fmt::format("ua-gpu{}", function);
}

Status validate_domain_spec(const DomainSpec& spec) {
  if (spec.name.empty() || spec.name.find_first_of("/\n") != std::string::npos) {
    return fail(ErrorCode::kInvalidArgument, "the VM name must be non-empty, without '/'");
  }
  if (spec.memory_mib < 1024) {
    return fail(ErrorCode::kInvalidArgument, "{} MiB of memory is too little for Windows",
                spec.memory_mib);
  }
  if (spec.gpu_functions.empty()) {
    return fail(ErrorCode::kInvalidArgument, "no GPU functions to pass through");
  }
  std::set<unsigned> functions;
  std::optional<PciAddress> first;
  for (const GpuFunction& function : spec.gpu_functions) {
    const auto address = parse_pci_address(function.address);
    if (!address) {
      return fail(ErrorCode::kInvalidArgument, "'{}' is not a PCI address", function.address);
    }
    if (first && !first->same_slot(*address)) {
      return fail(ErrorCode::kInvalidArgument,
                  "{} and {} are different devices: pass one GPU's functions", first->text(),
                  address->text());
    }
    if (!functions.insert(address->function).second) {
      return fail(ErrorCode::kInvalidArgument, "{} listed twice", function.address);
    }
    if (!first) first = address;
  }
  if (functions.count(0) == 0) {
    return fail(ErrorCode::kInvalidArgument,
                "function 0 of {} is missing: a guest slot needs function 0 to exist",
                first->text());
  }
  if (!power_of_two(spec.shm.size_mib)) {
    return fail(ErrorCode::kInvalidArgument,
                "shared memory of {} MiB: libvirt and IVSHMEM need a power of two",
                spec.shm.size_mib);
  }
  if (spec.hyperv_vendor_id.empty() || spec.hyperv_vendor_id.size() > 12) {
    return fail(ErrorCode::kInvalidArgument, "Hyper-V vendor id '{}' must be 1 to 12 characters",
                spec.hyperv_vendor_id);
  }
  if (spec.cpus.vcpus() == 0 || spec.cpus.cores * spec.cpus.threads != spec.cpus.vcpus()) {
    return fail(ErrorCode::kInvalidArgument, "{} vCPUs do not make {} cores x {} threads",
                spec.cpus.vcpus(), spec.cpus.cores, spec.cpus.threads);
  }
  struct PathField {
    const char* what;
    const std::string* path;
    bool on_commandline;
  };
  const PathField paths[] = {{"ROM file", &spec.rom_file, false},
                             {"battery SSDT", &spec.battery_ssdt, true},
                             {"QMP socket", &spec.qmp_socket, true},
                             {"kvmfr device", &spec.shm.kvmfr_device, true},
                             {"evdev keyboard", &spec.evdev_keyboard, false},
                             {"evdev mouse", &spec.evdev_mouse, false},
                             {"disk image", &spec.disk_image, false}};
  for (const PathField& field : paths) {
    if (auto status = check_path(field.what, *field.path, field.on_commandline); !status) {
      return status;
    }
  }
  for (const std::string& iso : spec.cdroms) {
    if (auto status = check_path("ISO", iso, false); !status || iso.empty()) {
      return fail(ErrorCode::kInvalidArgument, "ISO must be an absolute path, not '{}'", iso);
    }
  }
  if (spec.shm.kind == ShmKind::kKvmfr && spec.shm.kvmfr_device.empty()) {
    return fail(ErrorCode::kInvalidArgument, "kvmfr needs its device path (/dev/kvmfr0)");
  }
  if (spec.cdroms.size() > 6) return fail(ErrorCode::kInvalidArgument, "at most 6 ISOs");
  if (spec.virtiofs && (!absolute(spec.virtiofs->host_dir) || spec.virtiofs->tag.empty())) {
    return fail(ErrorCode::kInvalidArgument, "a virtiofs share needs an absolute folder and a tag");
  }
  return {};
}

Result<std::string> generate_domain_xml(const DomainSpec& raw_spec) {
  if (auto status = validate_domain_spec(raw_spec); !status) return tl::unexpected(status.error());
  DomainSpec spec = raw_spec;
  // Function 0 first: it carries multifunction='on' and the ROM, and reads best on top.
  std::sort(spec.gpu_functions.begin(), spec.gpu_functions.end(),
            [](const GpuFunction& a, const GpuFunction& b) { return a.address < b.address; });

  pugi::xml_document document;
  pugi::xml_node domain =
      add(document, "domain", {{"type", "kvm"}, {"xmlns:qemu", kQemuNamespace}});
  add_text(domain, "name", spec.name);
  add_text(domain, "memory", std::to_string(spec.memory_mib), {{"unit", "MiB"}});
  add_text(domain, "currentMemory", std::to_string(spec.memory_mib), {{"unit", "MiB"}});
  if (spec.virtiofs) {
    // virtiofsd maps guest memory, so it must be shared memory.
    pugi::xml_node backing = add(domain, "memoryBacking");
    add(backing, "source", {{"type", "memfd"}});
    add(backing, "access", {{"mode", "shared"}});
  }
  add_cpu_tuning(domain, spec.cpus);
  add_os(domain, spec.secure_boot);
  add_features(domain, spec);
  add_cpu(domain, spec);
  add_clock(domain);
  add_text(domain, "on_poweroff", "destroy");
  add_text(domain, "on_reboot", "restart");
  add_text(domain, "on_crash", "destroy");
  add_devices(domain, spec);
  add_qemu_commandline(domain, spec);
  add_qemu_override(domain, spec);

  return write_document(domain);
}

}  // namespace periscope::setup
