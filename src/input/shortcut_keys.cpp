#include "input/shortcut_keys.hpp"

#include <array>
#include <string>

#include "input/key_map.hpp"

namespace periscope::input {
namespace {

// evdev codes of the shortcut keys (linux/input-event-codes.h).
constexpr std::uint16_t kKeyQ = 16;
constexpr std::uint16_t kKeyR = 19;
constexpr std::uint16_t kKeyO = 24;
constexpr std::uint16_t kKeyF = 33;

ShortcutAction shortcut_for(std::uint16_t evdev) {
  switch (evdev) {
    case kKeyF:
      return ShortcutAction::kToggleFullscreen;
    case kKeyO:
      return ShortcutAction::kToggleOverlay;
    case kKeyQ:
      return ShortcutAction::kQuit;
    case kKeyR:
      return ShortcutAction::kReleaseInputs;
    default:
      return ShortcutAction::kNone;
  }
}

struct KeyAlias {
  std::string_view name;  // normalized (see normalize())
  std::uint16_t code;
};

// Names people type that are neither QEMU's nor (once normalized) the kernel's: the kernel's
// names where QEMU's differ, and everyday ones. QEMU's names come from the key map itself.
constexpr std::array kAliases{
    KeyAlias{"escape", 1},       KeyAlias{"enter", 28},        KeyAlias{"return", 28},
    KeyAlias{"space", 57},       KeyAlias{"leftctrl", 29},     KeyAlias{"lctrl", 29},
    KeyAlias{"rightctrl", 97},   KeyAlias{"rctrl", 97},        KeyAlias{"leftshift", 42},
    KeyAlias{"lshift", 42},      KeyAlias{"rightshift", 54},   KeyAlias{"rshift", 54},
    KeyAlias{"leftalt", 56},     KeyAlias{"lalt", 56},         KeyAlias{"rightalt", 100},
    KeyAlias{"ralt", 100},       KeyAlias{"altgr", 100},       KeyAlias{"leftmeta", 125},
    KeyAlias{"win", 125},        KeyAlias{"super", 125},       KeyAlias{"rightmeta", 126},
    KeyAlias{"printscreen", 99}, KeyAlias{"sysrq", 99},        KeyAlias{"pageup", 104},
    KeyAlias{"pagedown", 109},   KeyAlias{"grave", 41},        KeyAlias{"leftbrace", 26},
    KeyAlias{"rightbrace", 27},  KeyAlias{"application", 127}, KeyAlias{"kpminus", 74},
    KeyAlias{"kpplus", 78},      KeyAlias{"kpslash", 98},      KeyAlias{"kpasterisk", 55},
    KeyAlias{"kpdot", 83},
};

// Lower case, without a leading "key_" and without '_' or '-': "KEY_SCROLLLOCK",
// "Scroll_Lock" and "scroll-lock" all become "scrolllock".
std::string normalize(std::string_view name) {
  std::string lowered;
  lowered.reserve(name.size());
  for (const char c : name) {
    lowered.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  std::string_view rest = lowered;
  if (rest.starts_with("key_")) rest.remove_prefix(4);
  std::string out;
  for (const char c : rest) {
    if (c != '_' && c != '-') out.push_back(c);
  }
  return out;
}

}  // namespace

ShortcutAction ShortcutKeys::on_key(std::uint16_t evdev, bool down) {
  if (evdev == escape_) {
    if (down) {
      if (!escape_held_) {  // not an auto-repeat
        escape_held_ = true;
        escape_used_ = false;
      }
      return ShortcutAction::kNone;
    }
    const bool tapped = escape_held_ && !escape_used_;
    escape_held_ = false;
    escape_used_ = false;
    return tapped ? ShortcutAction::kToggleCapture : ShortcutAction::kNone;
  }
  if (evdev >= kKeyCount) return ShortcutAction::kForward;  // no such evdev key; nothing to track

  if (!down) {
    const bool swallowed = swallowed_.test(evdev);
    swallowed_.reset(evdev);
    forwarded_.reset(evdev);
    return swallowed ? ShortcutAction::kNone : ShortcutAction::kForward;
  }
  // Auto-repeat of a consumed key: consumed too (holding Escape+F must not flicker fullscreen).
  if (swallowed_.test(evdev)) return ShortcutAction::kNone;
  if (forwarded_.test(evdev)) {
    // Auto-repeat of a key the guest has down: not a new press, so not a shortcut and not a
    // reason to cancel the escape tap; only its repeats are held back while escape is down.
    return escape_held_ ? ShortcutAction::kNone : ShortcutAction::kForward;
  }
  if (!escape_held_) {
    forwarded_.set(evdev);
    return ShortcutAction::kForward;
  }
  escape_used_ = true;
  swallowed_.set(evdev);
  return shortcut_for(evdev);
}

void ShortcutKeys::reset() {
  escape_held_ = false;
  escape_used_ = false;
  swallowed_.reset();
  forwarded_.reset();
}

std::optional<std::uint16_t> parse_key_name(std::string_view name) {
  const std::string wanted = normalize(name);
  if (wanted.empty()) return std::nullopt;
  for (const KeyAlias& alias : kAliases) {
    if (alias.name == wanted) return alias.code;
  }
  for (const KeyMapEntry& entry : key_map_entries()) {
    if (normalize(entry.qcode) == wanted) return entry.code;
  }
  return std::nullopt;
}

}  // namespace periscope::input
