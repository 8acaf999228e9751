#include "setup/machine_vfio_ids.hpp"

#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Like sscanf's %x: optional blanks and 0x, then hex digits. Values over 16 bits can match
// no PCI id, so they count as unread.
std::optional<std::uint16_t> scan_hex(std::string_view text, std::size_t& i) {
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  if (i + 1 < text.size() && text[i] == '0' && (text[i + 1] == 'x' || text[i + 1] == 'X') &&
      i + 2 < text.size() && is_hex(text[i + 2])) {
    i += 2;
  }
  const std::size_t begin = i;
  std::uint32_t value = 0;
  while (i < text.size() && is_hex(text[i])) {
    const char c = text[i];
    const std::uint32_t digit = c <= '9'   ? static_cast<std::uint32_t>(c - '0')
                                : c <= 'F' ? static_cast<std::uint32_t>(c - 'A' + 10)
                                           : static_cast<std::uint32_t>(c - 'a' + 10);
    if (value <= 0xffff) value = value * 16 + digit;
    ++i;
  }
  if (i == begin || value > 0xffff) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

bool well_formed(std::string_view entry) {
  const std::vector<std::string> fields = split_on(entry, ':');
  if (fields.size() < 2 || fields.size() > 6) return false;
  for (const std::string& field : fields) {
    if (field.empty() || field.size() > 8) return false;
    for (const char c : field) {
      if (!is_hex(c)) return false;
    }
  }
  return true;
}

}  // namespace

std::vector<VfioIdEntry> parse_vfio_ids(std::string_view value) {
  std::vector<VfioIdEntry> entries;
  for (const std::string& text : split_on(value, ',')) {
    if (text.empty()) continue;  // the kernel skips empty entries too
    VfioIdEntry entry;
    entry.text = printable(text, 60);
    entry.well_formed = well_formed(text);
    std::size_t i = 0;
    const auto vendor = scan_hex(text, i);
    if (vendor && i < text.size() && text[i] == ':') {
      ++i;
      const auto device = scan_hex(text, i);
      if (device) {
        entry.vendor = vendor;
        entry.device = device;
      }
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace periscope::setup
