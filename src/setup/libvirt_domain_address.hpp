#pragma once
// A PCI address as libvirt writes it in domain XML (<address domain='0x0000' bus='0x01'
// slot='0x00' function='0x0'/>) and as sysfs names it ("0000:01:00.0").
#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace periscope::setup {

struct PciAddress {
  unsigned domain{0};
  unsigned bus{0};
  unsigned slot{0};
  unsigned function{0};

  friend auto operator<=>(const PciAddress&, const PciAddress&) = default;
  [[nodiscard]] bool same_slot(const PciAddress& other) const {
    return domain == other.domain && bus == other.bus && slot == other.slot;
  }
  [[nodiscard]] std::string text() const;  // "0000:01:00.0"
};

// "0000:01:00.0" (sysfs form). Checks the ranges: bus < 256, slot < 32, function < 8.
[[nodiscard]] std::optional<PciAddress> parse_pci_address(std::string_view text);
// One attribute of libvirt's address element: "0x01", "1" (libvirt accepts both).
[[nodiscard]] std::optional<unsigned> parse_xml_number(std::string_view text);

}  // namespace periscope::setup
