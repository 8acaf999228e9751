#include "setup/libvirt_domain_address.hpp"

#include <charconv>

#include <fmt/format.h>

#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

std::optional<unsigned> parse_hex_part(std::string_view text, std::size_t min_digits,
                                       std::size_t max_digits, unsigned limit) {
  if (text.size() < min_digits || text.size() > max_digits) return std::nullopt;
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (error != std::errc{} || end != text.data() + text.size() || value >= limit) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::string PciAddress::text() const {
  return fmt::format("{:04x}:{:02x}:{:02x}.{:x}", domain, bus, slot, function);
}

std::optional<PciAddress> parse_pci_address(std::string_view text) {
  if (!is_pci_address(text)) return std::nullopt;
  const std::size_t colon2 = text.rfind(':');
  const std::size_t dot = text.rfind('.');
  const std::size_t colon1 = text.rfind(':', colon2 - 1);
  const auto domain = parse_hex_part(text.substr(0, colon1), 4, 8, 0xffffffffU);
  const auto bus = parse_hex_part(text.substr(colon1 + 1, colon2 - colon1 - 1), 2, 2, 256);
  const auto slot = parse_hex_part(text.substr(colon2 + 1, dot - colon2 - 1), 2, 2, 32);
  const auto function = parse_hex_part(text.substr(dot + 1), 1, 1, 8);
  if (!domain || !bus || !slot || !function) return std::nullopt;
  return PciAddress{*domain, *bus, *slot, *function};
}

std::optional<unsigned> parse_xml_number(std::string_view text) {
  text = trim(text);
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  if (text.empty() || text.size() > 8) return std::nullopt;
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace periscope::setup
