#pragma once
// SDL2 scancodes (the values of SDL_Scancode: 4..231 are the USB HID keyboard usage IDs, 257
// and up SDL's own media keys) -> Linux evdev KEY_* codes, which key_map.hpp turns into QEMU
// QKeyCodes. A scancode names a key's position, not its character, so a guest with its own
// layout gets the key the user pressed. The table is written here from the HID usage tables
// and the evdev header, so this library does not depend on SDL.
#include <cstdint>
#include <optional>

namespace periscope::input {

// The evdev code for an SDL scancode; nullopt for scancodes with no evdev equivalent (and
// for SDL_SCANCODE_UNKNOWN).
std::optional<std::uint16_t> evdev_for_sdl_scancode(int scancode);

}  // namespace periscope::input
