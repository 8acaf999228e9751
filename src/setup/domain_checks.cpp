#include "setup/domain_checks.hpp"

#include <charconv>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "setup/libvirt_domain_address.hpp"
#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

constexpr std::string_view kQemuNamespace = "http://libvirt.org/schemas/domain/qemu/1.0";

bool power_of_two(std::uint64_t value) {
  return value != 0 && (value & (value - 1)) == 0;
}

struct Checker {
  std::vector<DomainProblem> problems;
  void add(const char* check, std::string message) {
    problems.push_back({check, std::move(message)});
  }
};

// libvirt's scaled integers: no unit means bytes; "K"/"KiB" are 1024, "KB" is 1000.
std::optional<std::uint64_t> scaled_bytes(std::string_view number, std::string_view unit) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || error != std::errc{} || end != number.data() + number.size()) {
    return std::nullopt;
  }
  static const std::map<std::string, std::uint64_t, std::less<>> kUnits = {
      {"", 1},
      {"b", 1},
      {"bytes", 1},
      {"k", 1024},
      {"KiB", 1024},
      {"KB", 1000},
      {"M", 1024ULL * 1024},
      {"MiB", 1024ULL * 1024},
      {"MB", 1000ULL * 1000},
      {"G", 1024ULL * 1024 * 1024},
      {"GiB", 1024ULL * 1024 * 1024},
      {"GB", 1000ULL * 1000 * 1000},
  };
  std::string key(unit);
  if (key == "K") key = "k";
  const auto it = kUnits.find(key);
  if (it == kUnits.end()) return std::nullopt;
  if (value > std::numeric_limits<std::uint64_t>::max() / it->second) return std::nullopt;
  return value * it->second;
}

// An <address type='pci' .../>; missing attributes are 0 as in libvirt.
std::optional<PciAddress> xml_pci_address(pugi::xml_node node) {
  PciAddress address;
  const std::pair<const char*, unsigned*> fields[] = {{"domain", &address.domain},
                                                      {"bus", &address.bus},
                                                      {"slot", &address.slot},
                                                      {"function", &address.function}};
  for (const auto& [name, field] : fields) {
    const pugi::xml_attribute attribute = node.attribute(name);
    if (!attribute) continue;
    const auto value = parse_xml_number(attribute.value());
    if (!value) return std::nullopt;
    *field = *value;
  }
  return address;
}

// "0000:01:00": the part of an address all functions of one device share.
std::string slot_text(const PciAddress& address) {
  return fmt::format("{:04x}:{:02x}:{:02x}", address.domain, address.bus, address.slot);
}

std::string describe(pugi::xml_node device) {
  std::string text = std::string("<") + device.name();
  if (const auto type = device.attribute("type")) text += fmt::format(" type='{}'", type.value());
  if (const auto alias = device.child("alias").attribute("name")) {
    text += fmt::format(" alias '{}'", alias.value());
  }
  return text + ">";
}

void check_aliases(Checker& checker, pugi::xml_node devices, std::set<std::string>& aliases) {
  for (pugi::xml_node device : devices.children()) {
    const pugi::xml_attribute name = device.child("alias").attribute("name");
    if (!name) continue;
    const std::string alias = name.value();
    if (!starts_with(alias, "ua-")) {
      checker.add("alias.prefix",
                  fmt::format("{}: libvirt only keeps user aliases that start with 'ua-'; '{}' "
                              "is dropped, and an override aimed at it is never applied",
                              describe(device), alias));
    }
    if (!aliases.insert(alias).second) {
      checker.add("alias.prefix", fmt::format("alias '{}' is used twice", alias));
    }
  }
}

void check_pci_clash(Checker& checker, pugi::xml_node devices) {
  std::map<PciAddress, std::string> used;
  for (pugi::xml_node device : devices.children()) {
    const pugi::xml_node node = device.child("address");
    if (!node || std::string_view(node.attribute("type").value()) != "pci") continue;
    const auto address = xml_pci_address(node);
    if (!address) {
      checker.add("pci.clash", fmt::format("{}: unreadable guest PCI address", describe(device)));
      continue;
    }
    const auto [it, fresh] = used.emplace(*address, describe(device));
    if (!fresh) {
      checker.add("pci.clash", fmt::format("{} and {} both sit at guest PCI address {}: libvirt "
                                           "refuses to start it (double use of PCI address)",
                                           it->second, describe(device), address->text()));
    }
  }
}

struct GpuFunctionPlace {
  PciAddress host;
  std::optional<PciAddress> guest;  // nullopt: libvirt picks (its own root port per function)
  bool multifunction{false};
};

void check_gpu_slots(Checker& checker, pugi::xml_node devices) {
  std::map<std::string, std::vector<GpuFunctionPlace>> by_host_slot;
  for (pugi::xml_node hostdev : devices.children("hostdev")) {
    if (std::string_view(hostdev.attribute("type").value()) != "pci") continue;
    const auto host = xml_pci_address(hostdev.child("source").child("address"));
    if (!host) continue;
    GpuFunctionPlace place{*host, std::nullopt, false};
    const pugi::xml_node guest = hostdev.child("address");
    if (guest && std::string_view(guest.attribute("type").value()) == "pci") {
      place.guest = xml_pci_address(guest);
      place.multifunction = std::string_view(guest.attribute("multifunction").value()) == "on";
    }
    const std::string slot = slot_text(*host);
    by_host_slot[slot].push_back(place);
  }
  for (const auto& [slot, places] : by_host_slot) {
    if (places.size() < 2) continue;
    std::optional<PciAddress> first;
    bool scattered = false;
    for (const GpuFunctionPlace& place : places) {
      if (!place.guest) {
        checker.add("gpu.slot", fmt::format("host function {} has no guest PCI address: libvirt "
                                            "puts it behind a root port of its own, apart from "
                                            "the other functions of {}",
                                            place.host.text(), slot));
        scattered = true;
        continue;
      }
      if (first && !first->same_slot(*place.guest)) scattered = true;
      if (!first) first = place.guest;
    }
    if (scattered) {
      checker.add("gpu.slot", fmt::format("the functions of {} are on different guest slots: "
                                          "put them on one slot, as on the host",
                                          slot));
      continue;
    }
    const GpuFunctionPlace* zero = nullptr;
    for (const GpuFunctionPlace& place : places) {
      if (place.guest && place.guest->function == 0) zero = &place;
    }
    if (zero == nullptr) {
      checker.add("gpu.slot", fmt::format("no function of {} is guest function 0: the guest "
                                          "does not look at the slot's other functions",
                                          slot));
    } else if (!zero->multifunction) {
      checker.add("gpu.multifunction",
                  fmt::format("guest function 0 of {} (host {}) lacks multifunction='on': the "
                              "guest sees only that one function",
                              slot_text(*first), zero->host.text()));
    }
  }
}

void check_shmem(Checker& checker, pugi::xml_node devices) {
  for (pugi::xml_node shmem : devices.children("shmem")) {
    const pugi::xml_node size = shmem.child("size");
    if (!size) continue;  // libvirt's default (4 MiB) is a power of two
    const auto bytes = scaled_bytes(trim(size.text().get()), size.attribute("unit").value());
    if (!bytes || !power_of_two(*bytes)) {
      checker.add("shmem.size",
                  fmt::format("<shmem name='{}'> size '{}{}' is not a power of two: libvirt "
                              "refuses it (\"shmem size must be a power of two\")",
                              shmem.attribute("name").value(), trim(size.text().get()),
                              size.attribute("unit").value()));
    }
  }
}

// The namespace prefix bound to libvirt's QEMU namespace ("qemu" by convention).
std::optional<std::string> qemu_prefix(pugi::xml_node domain) {
  for (pugi::xml_attribute attribute : domain.attributes()) {
    const std::string_view name = attribute.name();
    if (starts_with(name, "xmlns:") && attribute.value() == kQemuNamespace) {
      return std::string(name.substr(6));
    }
  }
  return std::nullopt;
}

void check_qemu(Checker& checker, pugi::xml_node domain, const std::set<std::string>& aliases) {
  const auto prefix = qemu_prefix(domain);
  if (!prefix) {
    for (pugi::xml_node child : domain.children()) {
      if (starts_with(child.name(), "qemu:")) {
        checker.add("qemu.namespace",
                    fmt::format("<{}> without xmlns:qemu='{}' on <domain>: libvirt rejects it",
                                child.name(), kQemuNamespace));
        return;
      }
    }
    return;
  }
  const std::string p = *prefix + ":";
  // pugixml's named ranges keep the name's pointer: the strings must outlive the loops.
  const std::string commandline_name = p + "commandline";
  const std::string arg_name = p + "arg";
  const std::string override_name = p + "override";
  const std::string device_name = p + "device";
  const std::string frontend_name = p + "frontend";
  for (pugi::xml_node commandline : domain.children(commandline_name.c_str())) {
    for (pugi::xml_node arg : commandline.children(arg_name.c_str())) {
      const std::string_view value = arg.attribute("value").value();
      if (value.empty() || value.front() != '{') continue;
      const auto json = nlohmann::json::parse(value, nullptr, false);
      if (json.is_discarded() || !json.is_object()) continue;
      if (json.value("qom-type", "") != "memory-backend-file") continue;
      const auto size = json.find("size");
      if (size != json.end() && size->is_number_unsigned() &&
          !power_of_two(size->get<std::uint64_t>())) {
        checker.add("kvmfr.size", fmt::format("memory-backend-file '{}' size {} is not a power "
                                              "of two: IVSHMEM needs one (and kvmfr's "
                                              "static_size_mb x 1048576)",
                                              json.value("id", ""), size->get<std::uint64_t>()));
      }
    }
  }
  for (pugi::xml_node override_node : domain.children(override_name.c_str())) {
    for (pugi::xml_node device : override_node.children(device_name.c_str())) {
      const std::string alias = device.attribute("alias").value();
      if (aliases.count(alias) == 0) {
        checker.add("override.alias",
                    fmt::format("qemu:override names alias '{}', which no device has: libvirt "
                                "silently applies nothing",
                                alias));
      }
      bool properties = false;
      for (pugi::xml_node frontend : device.children(frontend_name.c_str())) {
        if (frontend.child((p + "property").c_str())) properties = true;
      }
      if (!properties) {
        checker.add("override.empty",
                    fmt::format("qemu:override for '{}' sets nothing: an empty override block "
                                "crashed libvirtd 8.4 (libvirt#321)",
                                alias));
      }
    }
  }
}

void check_vendor_id(Checker& checker, pugi::xml_node domain) {
  const pugi::xml_node vendor = domain.child("features").child("hyperv").child("vendor_id");
  if (!vendor) return;
  const std::string_view value = vendor.attribute("value").value();
  if (std::string_view(vendor.attribute("state").value()) == "on" &&
      (value.empty() || value.size() > 12)) {
    checker.add("hyperv.vendor_id",
                fmt::format("Hyper-V vendor_id '{}' must be 1 to 12 characters", value));
  }
}

}  // namespace

Result<std::vector<DomainProblem>> check_domain_xml(std::string_view xml) {
  pugi::xml_document document;
  const pugi::xml_parse_result parsed = document.load_buffer(xml.data(), xml.size());
  if (!parsed) {
    return fail(ErrorCode::kInvalidArgument, "not XML: {} at byte {}", parsed.description(),
                parsed.offset);
  }
  const pugi::xml_node domain = document.document_element();
  if (std::string_view(domain.name()) != "domain") {
    return fail(ErrorCode::kInvalidArgument, "the root element is <{}>, not <domain>",
                domain.name());
  }
  Checker checker;
  const pugi::xml_node devices = domain.child("devices");
  std::set<std::string> aliases;
  check_aliases(checker, devices, aliases);
  check_pci_clash(checker, devices);
  check_gpu_slots(checker, devices);
  check_shmem(checker, devices);
  check_qemu(checker, domain, aliases);
  check_vendor_id(checker, domain);
  return std::move(checker.problems);
}

}  // namespace periscope::setup
