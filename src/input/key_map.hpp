#pragma once
// Linux evdev key codes (KEY_* in linux/input-event-codes.h) -> QEMU QKeyCode names, the key
// names `input-send-event` accepts. Independent of any window system: a window system's own
// key codes are turned into evdev codes first (SDL2 and X11 both expose them).
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace periscope::input {

struct KeyMapEntry {
  std::uint16_t code{0};
  std::string_view qcode;
};

// The QKeyCode for an evdev code; nullopt for codes QEMU has no name for.
std::optional<std::string_view> qcode_for_evdev(std::uint16_t code);

// Every known mapping, sorted by code (for tests and for listing).
std::span<const KeyMapEntry> key_map_entries();

}  // namespace periscope::input
