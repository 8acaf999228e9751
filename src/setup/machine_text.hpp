#pragma once
// Small strict parsers for the text a machine hands us (sysfs attributes, procfs, config
// files). They never throw and never trust a length: anything unexpected is "no value".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace periscope::setup {

[[nodiscard]] std::string_view trim(std::string_view text);
[[nodiscard]] std::vector<std::string> split_lines(std::string_view text);
[[nodiscard]] std::vector<std::string> split_whitespace(std::string_view text);
[[nodiscard]] std::vector<std::string> split_on(std::string_view text, char separator);
[[nodiscard]] bool starts_with(std::string_view text, std::string_view prefix);
[[nodiscard]] bool ends_with(std::string_view text, std::string_view suffix);

// "0x10de\n" → 0x10de. Needs the 0x prefix and 1..max_digits hex digits, surrounding
// whitespace allowed, nothing else.
[[nodiscard]] std::optional<std::uint32_t> parse_hex(std::string_view text, int max_digits);
// "42\n" → 42: decimal digits only (surrounding whitespace allowed), at most 9 of them.
[[nodiscard]] std::optional<int> parse_small_int(std::string_view text);

// The last component of a path ("../../bus/pci/drivers/vfio-pci" → "vfio-pci").
[[nodiscard]] std::string path_basename(std::string_view path);

// "0000:01:00.0" (a domain of 4..8 hex digits, as VMD domains have 5): lower-case hex only.
[[nodiscard]] bool is_pci_address(std::string_view text);

// A module or driver name as the kernel writes them: [A-Za-z0-9_-], 1..64 characters.
[[nodiscard]] bool is_kernel_name(std::string_view text);

// For showing untrusted text on one line: control characters and invalid bytes become '?',
// and the result is cut at `max_chars` with "...".
[[nodiscard]] std::string printable(std::string_view text, std::size_t max_chars = 200);

// The parts with `separator` between them.
[[nodiscard]] std::string join(const std::vector<std::string>& parts, std::string_view separator);

}  // namespace periscope::setup
