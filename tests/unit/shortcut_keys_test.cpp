// The escape-key state machine, one rule per test, and key-name parsing for --escape-key.
#include "input/shortcut_keys.hpp"

#include <linux/input-event-codes.h>

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "input/key_map.hpp"

namespace periscope::input {
namespace {

using A = ShortcutAction;

constexpr bool kDown = true;
constexpr bool kUp = false;

TEST(ShortcutKeys, DefaultEscapeKeyIsScrollLock) {
  EXPECT_EQ(ShortcutKeys().escape_key(), KEY_SCROLLLOCK);
}

TEST(ShortcutKeys, OrdinaryKeysAreForwarded) {
  ShortcutKeys keys;
  EXPECT_EQ(keys.on_key(KEY_A, kDown), A::kForward);
  EXPECT_EQ(keys.on_key(KEY_A, kDown), A::kForward);  // auto-repeat
  EXPECT_EQ(keys.on_key(KEY_A, kUp), A::kForward);
  EXPECT_EQ(keys.on_key(KEY_F, kDown), A::kForward);  // shortcut letters alone are just letters
  EXPECT_EQ(keys.on_key(KEY_F, kUp), A::kForward);
  EXPECT_EQ(keys.on_key(KEY_Q, kDown), A::kForward);
  EXPECT_EQ(keys.on_key(KEY_Q, kUp), A::kForward);
}

TEST(ShortcutKeys, TappingTheEscapeKeyTogglesCaptureOnRelease) {
  ShortcutKeys keys;
  EXPECT_EQ(keys.on_key(KEY_SCROLLLOCK, kDown), A::kNone);
  EXPECT_EQ(keys.on_key(KEY_SCROLLLOCK, kDown), A::kNone);  // auto-repeat: still one tap
  EXPECT_EQ(keys.on_key(KEY_SCROLLLOCK, kUp), A::kToggleCapture);
  EXPECT_EQ(keys.on_key(KEY_SCROLLLOCK, kDown), A::kNone);  // and again
  EXPECT_EQ(keys.on_key(KEY_SCROLLLOCK, kUp), A::kToggleCapture);
}

TEST(ShortcutKeys, EscapeKeyUpWithoutItsDownDoesNothing) {
  ShortcutKeys keys;
  EXPECT_EQ(keys.on_key(KEY_SCROLLLOCK, kUp), A::kNone);
}

TEST(ShortcutKeys, ShortcutsFireOnTheKeysDownAndTheirUpIsConsumed) {
  const std::map<int, A> shortcuts{{KEY_F, A::kToggleFullscreen},
                                   {KEY_O, A::kToggleOverlay},
                                   {KEY_Q, A::kQuit},
                                   {KEY_R, A::kReleaseInputs}};
  for (const auto& [key, action] : shortcuts) {
    ShortcutKeys keys;
    const auto code = static_cast<std::uint16_t>(key);
    EXPECT_EQ(keys.on_key(KEY_SCROLLLOCK, kDown), A::kNone);
    EXPECT_EQ(keys.on_key(code, kDown), action) << key;
    EXPECT_EQ(keys.on_key(code, kDown), A::kNone) << key;  // auto-repeat: fires once
    EXPECT_EQ(keys.on_key(code, kUp), A::kNone) << key;
    // The escape key was used for a shortcut: its release is not a tap.
    EXPECT_EQ(keys.on_key(KEY_SCROLLLOCK, kUp), A::kNone) << key;
  }
}

TEST(ShortcutKeys, ShortcutKeyReleasedAfterTheEscapeKeyIsStillConsumed) {
  ShortcutKeys keys;
  keys.on_key(KEY_SCROLLLOCK, kDown);
  EXPECT_EQ(keys.on_key(KEY_F, kDown), A::kToggleFullscreen);
  EXPECT_EQ(keys.on_key(KEY_SCROLLLOCK, kUp), A::kNone);
  EXPECT_EQ(keys.on_key(KEY_F, kDown), A::kNone);     // still auto-repeating
  EXPECT_EQ(keys.on_key(KEY_F, kUp), A::kNone);       // the guest never saw its down
  EXPECT_EQ(keys.on_key(KEY_F, kDown), A::kForward);  // a new press is the guest's again
}

TEST(ShortcutKeys, OtherKeysWhileTheEscapeKeyIsHeldAreSwallowedDownAndUp) {
  ShortcutKeys keys;
  keys.on_key(KEY_SCROLLLOCK, kDown);
  EXPECT_EQ(keys.on_key(KEY_A, kDown), A::kNone);
  EXPECT_EQ(keys.on_key(KEY_A, kUp), A::kNone);
  EXPECT_EQ(keys.on_key(KEY_LEFTCTRL, kDown), A::kNone);
  EXPECT_EQ(keys.on_key(KEY_SCROLLLOCK, kUp), A::kNone);  // not a tap: a key went down
  EXPECT_EQ(keys.on_key(KEY_LEFTCTRL, kUp), A::kNone);    // its down was swallowed
  EXPECT_EQ(keys.on_key(KEY_A, kDown), A::kForward);
  EXPECT_EQ(keys.on_key(KEY_A, kUp), A::kForward);
}

TEST(ShortcutKeys, EscapeKeyAutoRepeatDoesNotRearmTheTap) {
  ShortcutKeys keys;
  keys.on_key(KEY_SCROLLLOCK, kDown);
  EXPECT_EQ(keys.on_key(KEY_A, kDown), A::kNone);
  EXPECT_EQ(keys.on_key(KEY_SCROLLLOCK, kDown), A::kNone);  // auto-repeat after the A
  EXPECT_EQ(keys.on_key(KEY_SCROLLLOCK, kUp), A::kNone);
}

TEST(ShortcutKeys, KeyPressedBeforeTheEscapeKeyIsReleasedInTheGuest) {
  ShortcutKeys keys;
  EXPECT_EQ(keys.on_key(KEY_LEFTSHIFT, kDown), A::kForward);
  EXPECT_EQ(keys.on_key(KEY_SCROLLLOCK, kDown), A::kNone);
  EXPECT_EQ(keys.on_key(KEY_LEFTSHIFT, kDown), A::kNone);          // its auto-repeat is held back
  EXPECT_EQ(keys.on_key(KEY_LEFTSHIFT, kUp), A::kForward);         // its up is not
  EXPECT_EQ(keys.on_key(KEY_SCROLLLOCK, kUp), A::kToggleCapture);  // no key went down between
}

TEST(ShortcutKeys, TheEscapeKeyIsNeverForwarded) {
  ShortcutKeys keys;
  keys.on_key(KEY_A, kDown);
  EXPECT_EQ(keys.on_key(KEY_SCROLLLOCK, kDown), A::kNone);
  EXPECT_EQ(keys.on_key(KEY_SCROLLLOCK, kUp), A::kToggleCapture);
}

TEST(ShortcutKeys, AnotherEscapeKeyMakesScrollLockOrdinary) {
  ShortcutKeys keys(KEY_RIGHTCTRL);
  EXPECT_EQ(keys.escape_key(), KEY_RIGHTCTRL);
  EXPECT_EQ(keys.on_key(KEY_SCROLLLOCK, kDown), A::kForward);
  EXPECT_EQ(keys.on_key(KEY_SCROLLLOCK, kUp), A::kForward);
  EXPECT_EQ(keys.on_key(KEY_RIGHTCTRL, kDown), A::kNone);
  EXPECT_EQ(keys.on_key(KEY_Q, kDown), A::kQuit);
}

TEST(ShortcutKeys, ResetForgetsAnEscapeKeyHeldWhenFocusLeft) {
  ShortcutKeys keys;
  keys.on_key(KEY_SCROLLLOCK, kDown);
  keys.on_key(KEY_A, kDown);
  keys.reset();  // focus lost: the ups will not come
  EXPECT_EQ(keys.on_key(KEY_B, kDown), A::kForward);
  EXPECT_EQ(keys.on_key(KEY_A, kDown), A::kForward);
  EXPECT_EQ(keys.on_key(KEY_SCROLLLOCK, kUp), A::kNone);
}

TEST(ShortcutKeys, CodesBeyondTheKernelsRangeAreForwarded) {
  ShortcutKeys keys;
  keys.on_key(KEY_SCROLLLOCK, kDown);
  EXPECT_EQ(keys.on_key(0x300, kDown), A::kForward);
  EXPECT_EQ(keys.on_key(0xffff, kUp), A::kForward);
}

TEST(ParseKeyName, AcceptsQemuKernelAndCommonNamesInAnyCase) {
  EXPECT_EQ(parse_key_name("scrolllock"), KEY_SCROLLLOCK);
  EXPECT_EQ(parse_key_name("ScrollLock"), KEY_SCROLLLOCK);
  EXPECT_EQ(parse_key_name("KEY_SCROLLLOCK"), KEY_SCROLLLOCK);
  EXPECT_EQ(parse_key_name("scroll_lock"), KEY_SCROLLLOCK);
  EXPECT_EQ(parse_key_name("scroll-lock"), KEY_SCROLLLOCK);
  EXPECT_EQ(parse_key_name("rightctrl"), KEY_RIGHTCTRL);
  EXPECT_EQ(parse_key_name("KEY_RIGHTCTRL"), KEY_RIGHTCTRL);
  EXPECT_EQ(parse_key_name("ctrl_r"), KEY_RIGHTCTRL);
  EXPECT_EQ(parse_key_name("pause"), KEY_PAUSE);
  EXPECT_EQ(parse_key_name("Pause"), KEY_PAUSE);
  EXPECT_EQ(parse_key_name("f12"), KEY_F12);
  EXPECT_EQ(parse_key_name("F12"), KEY_F12);
  EXPECT_EQ(parse_key_name("f24"), KEY_F24);
  EXPECT_EQ(parse_key_name("a"), KEY_A);
  EXPECT_EQ(parse_key_name("1"), KEY_1);
  EXPECT_EQ(parse_key_name("kp_enter"), KEY_KPENTER);
  EXPECT_EQ(parse_key_name("KEY_KPENTER"), KEY_KPENTER);
  EXPECT_EQ(parse_key_name("KEY_KP5"), KEY_KP5);
  EXPECT_EQ(parse_key_name("capslock"), KEY_CAPSLOCK);
  EXPECT_EQ(parse_key_name("escape"), KEY_ESC);
  EXPECT_EQ(parse_key_name("esc"), KEY_ESC);
  EXPECT_EQ(parse_key_name("rightalt"), KEY_RIGHTALT);
  EXPECT_EQ(parse_key_name("AltGr"), KEY_RIGHTALT);
  EXPECT_EQ(parse_key_name("leftmeta"), KEY_LEFTMETA);
  EXPECT_EQ(parse_key_name("meta_r"), KEY_RIGHTMETA);
  EXPECT_EQ(parse_key_name("printscreen"), KEY_SYSRQ);
  EXPECT_EQ(parse_key_name("print"), KEY_SYSRQ);
  EXPECT_EQ(parse_key_name("insert"), KEY_INSERT);
  EXPECT_EQ(parse_key_name("menu"), KEY_MENU);
  EXPECT_EQ(parse_key_name("application"), KEY_COMPOSE);
}

TEST(ParseKeyName, RefusesUnknownNames) {
  EXPECT_FALSE(parse_key_name(""));
  EXPECT_FALSE(parse_key_name("KEY_"));
  EXPECT_FALSE(parse_key_name("_-_"));
  EXPECT_FALSE(parse_key_name("nosuchkey"));
  EXPECT_FALSE(parse_key_name("f25"));
  EXPECT_FALSE(parse_key_name("scroll lock"));
  EXPECT_FALSE(parse_key_name("70"));  // codes are not names ("1" is the key 1)
}

TEST(ParseKeyName, EveryQemuKeyNameParsesToItsCode) {
  for (const KeyMapEntry& entry : key_map_entries()) {
    EXPECT_EQ(parse_key_name(entry.qcode), entry.code) << entry.qcode;
  }
}

}  // namespace
}  // namespace periscope::input
