#pragma once
// PCI devices as sysfs shows them (/sys/bus/pci/devices/*): the attributes the passthrough
// checks need. An attribute that is missing or garbled stays empty and is named in
// `problems`; the device is still listed, so one odd file never hides a GPU.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "setup/machine_reader.hpp"

namespace periscope::setup {

inline constexpr std::uint16_t kVendorIntel = 0x8086;
inline constexpr std::uint16_t kVendorAmd = 0x1002;
inline constexpr std::uint16_t kVendorNvidia = 0x10de;

struct PciDevice {
  std::string address;                      // "0000:01:00.0"
  std::optional<std::uint32_t> class_code;  // 0x030000
  std::optional<std::uint16_t> vendor;
  std::optional<std::uint16_t> device;
  std::optional<std::uint16_t> subsystem_vendor;
  std::optional<std::uint16_t> subsystem_device;
  std::optional<bool> boot_vga;  // only VGA-class devices have the attribute
  std::string driver;            // bound driver's name; "" when none
  std::optional<int> iommu_group;
  std::optional<std::vector<std::string>> reset_methods;  // nullopt: attribute absent
  std::string power_state;                                // "D0", "D3hot"...; "" if absent
  bool drm{false};                                        // a DRM driver registered a card for it
  std::vector<std::string> connectors;                    // its DRM connectors: "HDMI-A-1", "eDP-1"
  std::vector<std::string> problems;

  // "0000:01:00" — all functions of one physical device share it.
  [[nodiscard]] std::string slot() const { return address.substr(0, address.size() - 2); }
  [[nodiscard]] bool is_display() const { return class_code && (*class_code >> 16) == 0x03; }
  [[nodiscard]] bool is_bridge() const { return class_code && (*class_code >> 8) == 0x0604; }
  // A device that fell off the bus reads all ones.
  [[nodiscard]] bool off_bus() const { return vendor && *vendor == 0xffff; }
  [[nodiscard]] std::string ids() const;  // "10de:2820", "????:????" for unknown parts
};

struct PciFacts {
  std::vector<PciDevice> devices;    // sorted by address
  std::vector<std::string> skipped;  // entries that are not PCI addresses

  [[nodiscard]] const PciDevice* find(const std::string& address) const;
};

[[nodiscard]] Result<PciFacts> read_pci_facts(const MachineReader& reader);

// "VGA controller", "3D controller", "audio device", "USB controller"... for messages.
[[nodiscard]] std::string pci_class_name(std::optional<std::uint32_t> class_code);
// "NVIDIA", "AMD", "Intel" or the hex id.
[[nodiscard]] std::string pci_vendor_name(std::optional<std::uint16_t> vendor);

}  // namespace periscope::setup
