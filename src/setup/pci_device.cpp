#include "setup/pci_device.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

const std::string kDevices = "/sys/bus/pci/devices";

bool is_missing(const Error& error) {
  return error.errno_value == ENOENT;
}

// Reads one hex attribute; a missing or garbled one is noted in `problems`.
std::optional<std::uint32_t> read_hex(const MachineReader& reader, const std::string& dir,
                                      const char* name, int digits, PciDevice& device) {
  auto text = reader.read_file(dir + "/" + name, kSmallFileBytes);
  if (!text) {
    device.problems.push_back(fmt::format("{}: {}", name, text.error().message));
    return std::nullopt;
  }
  auto value = parse_hex(*text, digits);
  if (!value)
    device.problems.push_back(fmt::format("{}: unreadable \"{}\"", name, printable(*text, 40)));
  return value;
}

std::optional<std::uint16_t> read_id(const MachineReader& reader, const std::string& dir,
                                     const char* name, PciDevice& device) {
  auto value = read_hex(reader, dir, name, 4, device);
  if (!value) return std::nullopt;
  return static_cast<std::uint16_t>(*value);
}

// The name at the end of a sysfs link (driver, iommu_group); "" when there is no link.
std::string link_name(const MachineReader& reader, const std::string& dir, const char* name,
                      PciDevice& device) {
  auto target = reader.read_link(dir + "/" + name);
  if (!target) {
    if (!is_missing(target.error())) {
      device.problems.push_back(fmt::format("{}: {}", name, target.error().message));
    }
    return {};
  }
  return path_basename(*target);
}

void read_boot_vga(const MachineReader& reader, const std::string& dir, PciDevice& device) {
  auto text = reader.read_file(dir + "/boot_vga", kSmallFileBytes);
  if (!text) return;  // only VGA-class devices have it
  const std::string_view value = trim(*text);
  if (value == "1" || value == "0") {
    device.boot_vga = value == "1";
  } else {
    device.problems.push_back(fmt::format("boot_vga: unreadable \"{}\"", printable(*text, 40)));
  }
}

void read_reset_and_power(const MachineReader& reader, const std::string& dir, PciDevice& device) {
  // Absent before 5.15, and absent on devices the kernel knows no way to reset.
  if (auto text = reader.read_file(dir + "/reset_method", kSmallFileBytes)) {
    std::vector<std::string> methods;
    for (const std::string& word : split_whitespace(*text)) {
      if (is_kernel_name(word)) methods.push_back(word);
    }
    device.reset_methods = std::move(methods);
  }
  if (auto text = reader.read_file(dir + "/power_state", kSmallFileBytes)) {
    const std::string_view state = trim(*text);
    if (state == "D0" || state == "D1" || state == "D2" || state == "D3hot" || state == "D3cold" ||
        state == "unknown" || state == "error") {
      device.power_state = std::string(state);
    } else {
      device.problems.push_back(
          fmt::format("power_state: unreadable \"{}\"", printable(state, 40)));
    }
  }
}

// While a DRM driver (nvidia-drm, amdgpu, i915, nouveau) holds the device, its connectors
// show under drm/cardN/cardN-<connector>: the strongest hint of which GPU has outputs.
void read_drm(const MachineReader& reader, const std::string& dir, PciDevice& device) {
  for (const std::string& card : reader.list_or_empty(dir + "/drm")) {
    if (!starts_with(card, "card")) continue;
    device.drm = true;
    const std::string prefix = card + "-";
    for (const std::string& entry : reader.list_or_empty(dir + "/drm/" + card)) {
      if (starts_with(entry, prefix) && entry.size() > prefix.size()) {
        device.connectors.push_back(printable(entry.substr(prefix.size()), 40));
      }
    }
  }
}

PciDevice read_device(const MachineReader& reader, const std::string& address) {
  const std::string dir = kDevices + "/" + address;
  PciDevice device;
  device.address = address;
  device.class_code = read_hex(reader, dir, "class", 6, device);
  device.vendor = read_id(reader, dir, "vendor", device);
  device.device = read_id(reader, dir, "device", device);
  device.subsystem_vendor = read_id(reader, dir, "subsystem_vendor", device);
  device.subsystem_device = read_id(reader, dir, "subsystem_device", device);
  read_boot_vga(reader, dir, device);
  device.driver = link_name(reader, dir, "driver", device);
  if (!device.driver.empty() && !is_kernel_name(device.driver)) {
    device.problems.push_back("driver: odd name \"" + printable(device.driver, 40) + "\"");
    device.driver = printable(device.driver, 40);
  }
  const std::string group = link_name(reader, dir, "iommu_group", device);
  if (!group.empty()) {
    device.iommu_group = parse_small_int(group);
    if (!device.iommu_group) {
      device.problems.push_back("iommu_group: odd link \"" + printable(group, 40) + "\"");
    }
  }
  read_reset_and_power(reader, dir, device);
  read_drm(reader, dir, device);
  return device;
}

}  // namespace

std::string PciDevice::ids() const {
  const auto hex = [](std::optional<std::uint16_t> id) {
    return id ? fmt::format("{:04x}", *id) : std::string("????");
  };
  return hex(vendor) + ":" + hex(device);
}

const PciDevice* PciFacts::find(const std::string& address) const {
  for (const PciDevice& device : devices) {
    if (device.address == address) return &device;
  }
  return nullptr;
}

Result<PciFacts> read_pci_facts(const MachineReader& reader) {
  auto names = reader.list_dir(kDevices);
  if (!names) return tl::unexpected(names.error());
  PciFacts facts;
  for (const std::string& name : *names) {
    if (is_pci_address(name)) {
      facts.devices.push_back(read_device(reader, name));
    } else {
      facts.skipped.push_back(printable(name, 40));
    }
  }
  return facts;  // list_dir sorted the names, so the devices are in address order
}

std::string pci_class_name(std::optional<std::uint32_t> class_code) {
  if (!class_code) return "unknown class";
  switch (*class_code >> 8) {
    case 0x0300:
      return "VGA controller";
    case 0x0302:
      return "3D controller";
    case 0x0380:
      return "display controller";
    case 0x0403:
      return "audio device";
    case 0x0c03:
      return "USB controller";
    case 0x0c80:
      return "serial bus controller";
    case 0x0604:
      return "PCI bridge";
    case 0x0600:
      return "host bridge";
    case 0x0601:
      return "ISA bridge";
    case 0x0200:
      return "Ethernet controller";
    case 0x0280:
      return "network controller";
    case 0x0106:
      return "SATA controller";
    case 0x0108:
      return "NVMe controller";
    case 0x0c05:
      return "SMBus controller";
    default:
      return fmt::format("class {:06x}", *class_code);
  }
}

std::string pci_vendor_name(std::optional<std::uint16_t> vendor) {
  if (!vendor) return "unknown vendor";
  switch (*vendor) {
    case kVendorNvidia:
      return "NVIDIA";
    case kVendorAmd:
      return "AMD";
    case kVendorIntel:
      return "Intel";
    default:
      return fmt::format("vendor {:04x}", *vendor);
  }
}

}  // namespace periscope::setup
