#include "setup/libvirt_domain_patch.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "setup/libvirt_domain_address.hpp"
#include "setup/libvirt_domain_xml.hpp"
#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

using namespace domain_xml;

bool is(pugi::xml_node node, const char* attribute, std::string_view value) {
  return std::string_view(node.attribute(attribute).value()) == value;
}

// The child named `name`, made (before `before`, when given) if there is none.
pugi::xml_node child_or_new(pugi::xml_node parent, const char* name,
                            pugi::xml_node before = pugi::xml_node()) {
  pugi::xml_node child = parent.child(name);
  if (child) return child;
  return before ? parent.insert_child_before(name, before) : parent.append_child(name);
}

void remove_children(pugi::xml_node parent, const char* name) {
  while (pugi::xml_node child = parent.child(name)) parent.remove_child(child);
}

std::optional<PciAddress> address_of(pugi::xml_node node) {
  PciAddress address;
  const std::pair<const char*, unsigned*> fields[] = {{"domain", &address.domain},
                                                      {"bus", &address.bus},
                                                      {"slot", &address.slot},
                                                      {"function", &address.function}};
  for (const auto& [name, field] : fields) {
    if (const pugi::xml_attribute attribute = node.attribute(name)) {
      const auto value = parse_xml_number(attribute.value());
      if (!value) return std::nullopt;
      *field = *value;
    }
  }
  return address;
}

void patch_cpus(pugi::xml_node domain, pugi::xml_node devices, const DomainSpec& spec) {
  pugi::xml_node vcpu = child_or_new(domain, "vcpu", devices);
  vcpu.text().set(std::to_string(spec.cpus.vcpus()).c_str());
  if (!vcpu.attribute("placement")) vcpu.append_attribute("placement").set_value("static");
  vcpu.remove_attribute("current");  // a lower current count would leave pinned vCPUs off
  pugi::xml_node iothreads = child_or_new(domain, "iothreads", devices);
  if (iothreads.text().as_int() < 1) iothreads.text().set("1");
  pugi::xml_node tune = child_or_new(domain, "cputune", devices);
  for (const char* name : {"vcpupin", "emulatorpin", "iothreadpin"}) remove_children(tune, name);
  // Build the pins in a scratch document, then copy them in front of the user's other tuning.
  pugi::xml_document scratch;
  pugi::xml_node scratch_domain = scratch.append_child("domain");
  add_cpu_tuning(scratch_domain, spec.cpus);
  // In front of the user's other tuning, after any comment that heads the block.
  const pugi::xml_node first =
      tune.find_child([](pugi::xml_node n) { return n.type() == pugi::node_element; });
  for (pugi::xml_node pin : scratch_domain.child("cputune").children()) {
    if (first) {
      tune.insert_copy_before(pin, first);
    } else {
      tune.append_copy(pin);
    }
  }

  pugi::xml_node cpu = child_or_new(domain, "cpu", devices);
  if (!is(cpu, "mode", "host-passthrough")) {
    cpu.remove_attribute("mode");
    cpu.prepend_attribute("mode").set_value("host-passthrough");
    remove_children(cpu, "model");
    remove_children(cpu, "vendor");
  }
  remove_children(cpu, "topology");
  for (pugi::xml_node feature = cpu.child("feature"); feature;) {
    const pugi::xml_node next = feature.next_sibling("feature");
    if (is(feature, "name", "topoext")) cpu.remove_child(feature);
    feature = next;
  }
  add_cpu_topology(cpu, spec);
}

void patch_features(pugi::xml_node domain, pugi::xml_node devices, const DomainSpec& spec) {
  pugi::xml_node features = child_or_new(domain, "features", devices);
  for (const char* name : {"acpi", "apic"}) child_or_new(features, name);
  // Our enlightenments replace the same-named ones; the user's others stay.
  pugi::xml_document scratch;
  pugi::xml_node ours = scratch.append_child("features");
  add_hyperv(ours, spec);
  pugi::xml_node hyperv = child_or_new(features, "hyperv");
  if (!hyperv.attribute("mode")) hyperv.append_attribute("mode").set_value("custom");
  for (pugi::xml_node enlightenment : ours.child("hyperv").children()) {
    remove_children(hyperv, enlightenment.name());
    hyperv.append_copy(enlightenment);
  }
  pugi::xml_node kvm = child_or_new(features, "kvm");
  remove_children(kvm, "hidden");
  add(kvm, "hidden", {{"state", "on"}});
  remove_children(features, "ioapic");
  add(features, "ioapic", {{"driver", "kvm"}});
}

struct Removed {
  std::optional<unsigned> bus;  // the guest bus the GPU's function 0 sat on
  std::string rom_file;         // the <rom file> the user gave function 0
};

// Removes what we replace, remembering where the GPU was and its ROM.
Removed remove_our_devices(pugi::xml_node devices, const DomainSpec& spec) {
  const PciAddress gpu = *parse_pci_address(spec.gpu_functions.front().address);
  Removed removed;
  std::optional<unsigned>& old_bus = removed.bus;
  for (pugi::xml_node device = devices.first_child(); device;) {
    const pugi::xml_node next = device.next_sibling();
    const std::string_view name = device.name();
    bool ours = false;
    if (name == "hostdev" && is(device, "type", "pci")) {
      const auto host = address_of(device.child("source").child("address"));
      if (host && host->same_slot(gpu)) {
        ours = true;
        if (host->function == 0) removed.rom_file = device.child("rom").attribute("file").value();
        const pugi::xml_node guest = device.child("address");
        const auto guest_address = address_of(guest);
        if (guest && is(guest, "type", "pci") && guest_address &&
            (!old_bus || host->function == 0)) {
          old_bus = guest_address->bus;
        }
      }
    } else if (name == "shmem") {
      ours = is(device, "name", "looking-glass");
    } else if (name == "memballoon") {
      ours = true;
    } else if (name == "input" && is(device, "type", "evdev")) {
      const std::string_view dev = device.child("source").attribute("dev").value();
      ours = (!spec.evdev_keyboard.empty() && dev == spec.evdev_keyboard) ||
             (!spec.evdev_mouse.empty() && dev == spec.evdev_mouse);
    }
    if (ours) devices.remove_child(device);
    device = next;
  }
  return removed;
}

// The root port for the GPU: the old one when nothing else uses its bus, else a fresh index
// past every controller and every bus an address names.
unsigned gpu_bus(pugi::xml_node devices, std::optional<unsigned> old_bus, bool& reuse) {
  unsigned highest = 0;
  bool old_in_use = false;
  bool old_is_root_port = false;
  for (pugi::xml_node device : devices.children()) {
    if (std::string_view(device.name()) == "controller" && is(device, "type", "pci")) {
      const auto index = parse_xml_number(device.attribute("index").value());
      if (index) {
        highest = std::max(highest, *index);
        if (old_bus && *index == *old_bus && is(device, "model", "pcie-root-port")) {
          old_is_root_port = true;
        }
      }
    }
    const pugi::xml_node address = device.child("address");
    if (address && is(address, "type", "pci")) {
      const auto parsed = address_of(address);
      if (parsed) {
        highest = std::max(highest, parsed->bus);
        if (old_bus && parsed->bus == *old_bus) old_in_use = true;
      }
    }
  }
  reuse = old_bus && old_is_root_port && !old_in_use;
  return reuse ? *old_bus : highest + 1;
}

void patch_devices(pugi::xml_node devices, const DomainSpec& spec) {
  const Removed removed = remove_our_devices(devices, spec);
  bool reuse = false;
  const unsigned bus = gpu_bus(devices, removed.bus, reuse);
  // A ROM the user already gave the GPU stays unless the spec names another.
  DomainSpec with_rom = spec;
  if (with_rom.rom_file.empty()) with_rom.rom_file = removed.rom_file;
  pugi::xml_document scratch;
  pugi::xml_node ours = scratch.append_child("devices");
  add_gpu(ours, with_rom, bus);
  for (pugi::xml_node device : ours.children()) {
    if (reuse && std::string_view(device.name()) == "controller") continue;
    devices.append_copy(device);
  }
  add_evdev_inputs(devices, spec);
  add_shmem_and_balloon(devices, spec);
}

// An argument pair of ours: the same SSDT, the same QMP socket, or kvmfr's looking-glass
// device/object (whatever its size or path, so a new size replaces the old).
bool our_pair(std::string_view option, std::string_view value, const DomainSpec& spec) {
  if (option == "-acpitable") {
    return !spec.battery_ssdt.empty() && value == "file=" + spec.battery_ssdt;
  }
  if (option == "-qmp") {
    return !spec.qmp_socket.empty() && starts_with(value, "unix:" + spec.qmp_socket + ",");
  }
  if (option == "-device" || option == "-object") {
    const std::string json_id = fmt::format(R"("memdev":"{}")", kKvmfrMemdev);
    const std::string json_object = fmt::format(R"("id":"{}")", kKvmfrMemdev);
    const std::string legacy = fmt::format("memdev={}", kKvmfrMemdev);
    const std::string legacy_object = fmt::format("id={}", kKvmfrMemdev);
    const auto has = [&](const std::string& part) { return value.find(part) != std::string::npos; };
    return option == "-device" ? (has(json_id) || has(legacy))
                               : (has(json_object) || has(legacy_object));
  }
  return false;
}

void patch_qemu(pugi::xml_node domain, const DomainSpec& spec) {
  for (pugi::xml_node commandline : domain.children("qemu:commandline")) {
    for (pugi::xml_node arg = commandline.child("qemu:arg"); arg;) {
      const pugi::xml_node value = arg.next_sibling("qemu:arg");
      if (value &&
          our_pair(arg.attribute("value").value(), value.attribute("value").value(), spec)) {
        const pugi::xml_node next = value.next_sibling("qemu:arg");
        commandline.remove_child(arg);
        commandline.remove_child(value);
        arg = next;
      } else {
        arg = value;
      }
    }
  }
  if (wants_qemu_args(spec)) add_qemu_args(child_or_new(domain, "qemu:commandline"), spec);

  std::set<std::string> aliases;
  for (unsigned function = 0; function < 8; ++function) aliases.insert(gpu_alias(function));
  for (pugi::xml_node override_node : domain.children("qemu:override")) {
    for (pugi::xml_node device = override_node.child("qemu:device"); device;) {
      const pugi::xml_node next = device.next_sibling("qemu:device");
      if (aliases.count(device.attribute("alias").value()) > 0) override_node.remove_child(device);
      device = next;
    }
  }
  if (!functions_with_subsystem_ids(spec).empty()) {
    add_override_devices(child_or_new(domain, "qemu:override"), spec);
  }
  // Nothing of ours or theirs left: an empty block is worse than none (libvirt#321).
  for (const char* name : {"qemu:commandline", "qemu:override"}) {
    for (pugi::xml_node node = domain.child(name); node;) {
      const pugi::xml_node next = node.next_sibling(name);
      if (!node.find_child([](pugi::xml_node n) { return n.type() == pugi::node_element; })) {
        domain.remove_child(node);
      }
      node = next;
    }
  }
}

}  // namespace

Result<std::string> patch_domain_xml(std::string_view existing, const DomainSpec& spec) {
  if (auto status = validate_domain_spec(spec); !status) return tl::unexpected(status.error());
  pugi::xml_document document;
  const pugi::xml_parse_result parsed = document.load_buffer(
      existing.data(), existing.size(), pugi::parse_default | pugi::parse_comments);
  if (!parsed) {
    return fail(ErrorCode::kInvalidArgument, "the existing domain is not XML: {} at byte {}",
                parsed.description(), parsed.offset);
  }
  pugi::xml_node domain = document.document_element();
  if (std::string_view(domain.name()) != "domain") {
    return fail(ErrorCode::kInvalidArgument, "the root element is <{}>, not <domain>",
                domain.name());
  }
  for (pugi::xml_attribute attribute : domain.attributes()) {
    const std::string_view name = attribute.name();
    const bool qemu_uri = std::string_view(attribute.value()) == kQemuNamespace;
    if (starts_with(name, "xmlns:") && qemu_uri && name != "xmlns:qemu") {
      return fail(ErrorCode::kUnsupported,
                  "the domain binds libvirt's QEMU namespace to '{}': rename it to xmlns:qemu",
                  name);
    }
    if (name == "xmlns:qemu" && !qemu_uri) {
      return fail(ErrorCode::kUnsupported, "xmlns:qemu is bound to '{}', not {}", attribute.value(),
                  kQemuNamespace);
    }
  }
  if (!domain.attribute("xmlns:qemu")) {
    domain.append_attribute("xmlns:qemu").set_value(kQemuNamespace);
  }
  pugi::xml_node devices = child_or_new(domain, "devices");
  patch_cpus(domain, devices, spec);
  patch_features(domain, devices, spec);
  patch_devices(devices, spec);
  patch_qemu(domain, spec);
  return write_document(domain);
}

}  // namespace periscope::setup
