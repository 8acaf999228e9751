#include "input/key_map.hpp"

#include <algorithm>

#include "input/key_map_table.hpp"

namespace periscope::input {
namespace {

constexpr bool strictly_sorted_by_code() {
  return std::adjacent_find(detail::kKeyMap.begin(), detail::kKeyMap.end(),
                            [](const KeyMapEntry& a, const KeyMapEntry& b) {
                              return a.code >= b.code;
                            }) == detail::kKeyMap.end();
}
// The lookup is a binary search: a misordered or duplicated row would silently hide keys.
static_assert(strictly_sorted_by_code(), "key map rows must be sorted by code, no duplicates");

}  // namespace

std::optional<std::string_view> qcode_for_evdev(std::uint16_t code) {
  const auto it = std::lower_bound(
      detail::kKeyMap.begin(), detail::kKeyMap.end(), code,
      [](const KeyMapEntry& entry, std::uint16_t wanted) { return entry.code < wanted; });
  if (it == detail::kKeyMap.end() || it->code != code) return std::nullopt;
  return it->qcode;
}

std::span<const KeyMapEntry> key_map_entries() {
  return detail::kKeyMap;
}

}  // namespace periscope::input
