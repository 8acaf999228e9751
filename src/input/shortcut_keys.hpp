#pragma once
// The escape key: one host key that never reaches the guest and instead controls the viewer
// (the convention Looking Glass users know, ScrollLock by default). Tapping it alone toggles
// input capture; holding it and pressing another key triggers a shortcut:
//   F fullscreen, O overlay, Q quit, R release all inputs (key-ups for everything).
// Any other key pressed while it is held is swallowed, down and up, so a mistyped shortcut does
// nothing in the guest; only a key-down cancels the tap (releasing a key pressed earlier does
// not). Keys are Linux evdev codes, so this knows nothing of SDL.
#include <bitset>
#include <cstdint>
#include <optional>
#include <string_view>

namespace periscope::input {

enum class ShortcutAction {
  kNone,     // consumed: send nothing to the guest
  kForward,  // not ours: send the key to the guest
  kToggleCapture,
  kToggleFullscreen,
  kToggleOverlay,
  kQuit,
  kReleaseInputs,
};

inline constexpr std::uint16_t kDefaultEscapeKey = 70;  // KEY_SCROLLLOCK

class ShortcutKeys {
 public:
  explicit ShortcutKeys(std::uint16_t escape_evdev = kDefaultEscapeKey) : escape_(escape_evdev) {}

  // What to do with one key event (auto-repeated downs included).
  ShortcutAction on_key(std::uint16_t evdev, bool down);

  // Forgets every key seen (the window lost focus: their ups will not come). Without it an
  // escape key held while focus left would swallow keys after focus came back.
  void reset();

  [[nodiscard]] std::uint16_t escape_key() const { return escape_; }

 private:
  // KEY_MAX in linux/input-event-codes.h is 0x2ff; codes beyond it are forwarded untouched.
  static constexpr std::size_t kKeyCount = 0x300;

  std::uint16_t escape_;
  bool escape_held_{false};
  bool escape_used_{false};  // another key went down while the escape key was held
  // Keys whose down was consumed while the escape key was held: their up is consumed too,
  // even after the escape key is released, so the guest never sees an unmatched key-up.
  std::bitset<kKeyCount> swallowed_;
  // Keys forwarded down and not yet up: their ups are always forwarded (a key pressed before
  // the escape key must not stay down in the guest), their repeats are not new presses.
  std::bitset<kKeyCount> forwarded_;
};

// The evdev code for a key name, for --escape-key. Accepts QEMU's key names ("scroll_lock",
// "ctrl_r", "f12"), the kernel's with or without KEY_ ("KEY_SCROLLLOCK", "rightctrl"), any
// case, '_' and '-' optional ("ScrollLock", "right-ctrl"), and a few common names ("escape",
// "enter", "space", "win", "printscreen"). nullopt for anything else.
std::optional<std::uint16_t> parse_key_name(std::string_view name);

}  // namespace periscope::input
