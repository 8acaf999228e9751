#pragma once
// The `ids=` list of vfio-pci ("10de:1f15,10de:10f9"), read the way the kernel reads it:
// each comma-separated entry is scanned as hex fields "vendor:device[:subvendor...]" and
// whatever follows the first two fields' digits is ignored without a word. So a typo like
// "10de:1aec.10de:1aed" silently binds 10de:1aec and drops 10de:1aed; we say so.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace periscope::setup {

struct VfioIdEntry {
  std::string text;                     // the entry as written
  std::optional<std::uint16_t> vendor;  // what the kernel reads; nullopt: it rejects it
  std::optional<std::uint16_t> device;
  bool well_formed{false};  // only hex fields and colons, 2 to 6 of them
};

[[nodiscard]] std::vector<VfioIdEntry> parse_vfio_ids(std::string_view value);

}  // namespace periscope::setup
