#include "input/sdl_scancode_map.hpp"

#include <algorithm>
#include <array>

namespace periscope::input {
namespace {

struct ScancodeEntry {
  std::uint16_t scancode{0};  // SDL_SCANCODE_*
  std::uint16_t evdev{0};     // KEY_*
};

// Sorted by scancode. Left out on purpose, as having no evdev key of their own:
//  - SYSREQ: on PC keyboards it is Alt+PrintScreen, and KEY_SYSRQ is the PrintScreen key;
//  - EXECUTE, SELECT, PRIOR, RETURN2, SEPARATOR, OUT, OPER, CLEARAGAIN, CRSEL, EXSEL,
//    KP_EQUALSAS400, the calculator-keypad keys KP_00..KP_HEXADECIMAL (bar the parentheses and
//    plus-minus), THOUSANDS/DECIMAL SEPARATOR, CURRENCY(SUB)UNIT, LANG6..LANG9,
//    INTERNATIONAL7..9: HID usages no PC keyboard sends and evdev has no key for;
//  - MODE, APP1, APP2, SOFTLEFT, SOFTRIGHT, CALL, ENDCALL: SDL's own, with no fixed meaning.
// Two SDL names for one key share its evdev code (the test lists them):
//  - NONUSHASH is where ISO keyboards have the key ANSI ones call BACKSLASH: KEY_BACKSLASH;
//  - AUDIOMUTE (consumer page) and MUTE (keyboard page) are both KEY_MUTE;
//  - AC_STOP (consumer page) and STOP (keyboard page) are both KEY_STOP.
// clang-format off
constexpr std::array kScancodes{
    ScancodeEntry{4, 30},     // A -> KEY_A
    ScancodeEntry{5, 48},     // B
    ScancodeEntry{6, 46},     // C
    ScancodeEntry{7, 32},     // D
    ScancodeEntry{8, 18},     // E
    ScancodeEntry{9, 33},     // F
    ScancodeEntry{10, 34},    // G
    ScancodeEntry{11, 35},    // H
    ScancodeEntry{12, 23},    // I
    ScancodeEntry{13, 36},    // J
    ScancodeEntry{14, 37},    // K
    ScancodeEntry{15, 38},    // L
    ScancodeEntry{16, 50},    // M
    ScancodeEntry{17, 49},    // N
    ScancodeEntry{18, 24},    // O
    ScancodeEntry{19, 25},    // P
    ScancodeEntry{20, 16},    // Q
    ScancodeEntry{21, 19},    // R
    ScancodeEntry{22, 31},    // S
    ScancodeEntry{23, 20},    // T
    ScancodeEntry{24, 22},    // U
    ScancodeEntry{25, 47},    // V
    ScancodeEntry{26, 17},    // W
    ScancodeEntry{27, 45},    // X
    ScancodeEntry{28, 21},    // Y
    ScancodeEntry{29, 44},    // Z
    ScancodeEntry{30, 2},     // 1 -> KEY_1
    ScancodeEntry{31, 3},     // 2
    ScancodeEntry{32, 4},     // 3
    ScancodeEntry{33, 5},     // 4
    ScancodeEntry{34, 6},     // 5
    ScancodeEntry{35, 7},     // 6
    ScancodeEntry{36, 8},     // 7
    ScancodeEntry{37, 9},     // 8
    ScancodeEntry{38, 10},    // 9
    ScancodeEntry{39, 11},    // 0
    ScancodeEntry{40, 28},    // RETURN -> KEY_ENTER
    ScancodeEntry{41, 1},     // ESCAPE -> KEY_ESC
    ScancodeEntry{42, 14},    // BACKSPACE
    ScancodeEntry{43, 15},    // TAB
    ScancodeEntry{44, 57},    // SPACE
    ScancodeEntry{45, 12},    // MINUS
    ScancodeEntry{46, 13},    // EQUALS -> KEY_EQUAL
    ScancodeEntry{47, 26},    // LEFTBRACKET -> KEY_LEFTBRACE
    ScancodeEntry{48, 27},    // RIGHTBRACKET -> KEY_RIGHTBRACE
    ScancodeEntry{49, 43},    // BACKSLASH
    ScancodeEntry{50, 43},    // NONUSHASH -> KEY_BACKSLASH (the same key on ISO keyboards)
    ScancodeEntry{51, 39},    // SEMICOLON
    ScancodeEntry{52, 40},    // APOSTROPHE
    ScancodeEntry{53, 41},    // GRAVE
    ScancodeEntry{54, 51},    // COMMA
    ScancodeEntry{55, 52},    // PERIOD -> KEY_DOT
    ScancodeEntry{56, 53},    // SLASH
    ScancodeEntry{57, 58},    // CAPSLOCK
    ScancodeEntry{58, 59},    // F1
    ScancodeEntry{59, 60},    // F2
    ScancodeEntry{60, 61},    // F3
    ScancodeEntry{61, 62},    // F4
    ScancodeEntry{62, 63},    // F5
    ScancodeEntry{63, 64},    // F6
    ScancodeEntry{64, 65},    // F7
    ScancodeEntry{65, 66},    // F8
    ScancodeEntry{66, 67},    // F9
    ScancodeEntry{67, 68},    // F10
    ScancodeEntry{68, 87},    // F11
    ScancodeEntry{69, 88},    // F12
    ScancodeEntry{70, 99},    // PRINTSCREEN -> KEY_SYSRQ
    ScancodeEntry{71, 70},    // SCROLLLOCK
    ScancodeEntry{72, 119},   // PAUSE
    ScancodeEntry{73, 110},   // INSERT
    ScancodeEntry{74, 102},   // HOME
    ScancodeEntry{75, 104},   // PAGEUP
    ScancodeEntry{76, 111},   // DELETE
    ScancodeEntry{77, 107},   // END
    ScancodeEntry{78, 109},   // PAGEDOWN
    ScancodeEntry{79, 106},   // RIGHT
    ScancodeEntry{80, 105},   // LEFT
    ScancodeEntry{81, 108},   // DOWN
    ScancodeEntry{82, 103},   // UP
    ScancodeEntry{83, 69},    // NUMLOCKCLEAR -> KEY_NUMLOCK
    ScancodeEntry{84, 98},    // KP_DIVIDE -> KEY_KPSLASH
    ScancodeEntry{85, 55},    // KP_MULTIPLY -> KEY_KPASTERISK
    ScancodeEntry{86, 74},    // KP_MINUS
    ScancodeEntry{87, 78},    // KP_PLUS
    ScancodeEntry{88, 96},    // KP_ENTER
    ScancodeEntry{89, 79},    // KP_1
    ScancodeEntry{90, 80},    // KP_2
    ScancodeEntry{91, 81},    // KP_3
    ScancodeEntry{92, 75},    // KP_4
    ScancodeEntry{93, 76},    // KP_5
    ScancodeEntry{94, 77},    // KP_6
    ScancodeEntry{95, 71},    // KP_7
    ScancodeEntry{96, 72},    // KP_8
    ScancodeEntry{97, 73},    // KP_9
    ScancodeEntry{98, 82},    // KP_0
    ScancodeEntry{99, 83},    // KP_PERIOD -> KEY_KPDOT
    ScancodeEntry{100, 86},   // NONUSBACKSLASH -> KEY_102ND (the extra ISO key by left shift)
    ScancodeEntry{101, 127},  // APPLICATION (the context-menu key) -> KEY_COMPOSE
    ScancodeEntry{102, 116},  // POWER
    ScancodeEntry{103, 117},  // KP_EQUALS -> KEY_KPEQUAL
    ScancodeEntry{104, 183},  // F13
    ScancodeEntry{105, 184},  // F14
    ScancodeEntry{106, 185},  // F15
    ScancodeEntry{107, 186},  // F16
    ScancodeEntry{108, 187},  // F17
    ScancodeEntry{109, 188},  // F18
    ScancodeEntry{110, 189},  // F19
    ScancodeEntry{111, 190},  // F20
    ScancodeEntry{112, 191},  // F21
    ScancodeEntry{113, 192},  // F22
    ScancodeEntry{114, 193},  // F23
    ScancodeEntry{115, 194},  // F24
    ScancodeEntry{117, 138},  // HELP
    ScancodeEntry{118, 139},  // MENU -> KEY_MENU
    ScancodeEntry{120, 128},  // STOP
    ScancodeEntry{121, 129},  // AGAIN
    ScancodeEntry{122, 131},  // UNDO
    ScancodeEntry{123, 137},  // CUT
    ScancodeEntry{124, 133},  // COPY
    ScancodeEntry{125, 135},  // PASTE
    ScancodeEntry{126, 136},  // FIND
    ScancodeEntry{127, 113},  // MUTE
    ScancodeEntry{128, 115},  // VOLUMEUP
    ScancodeEntry{129, 114},  // VOLUMEDOWN
    ScancodeEntry{133, 121},  // KP_COMMA
    ScancodeEntry{135, 89},   // INTERNATIONAL1 (Ro) -> KEY_RO
    ScancodeEntry{136, 93},   // INTERNATIONAL2 (Katakana/Hiragana) -> KEY_KATAKANAHIRAGANA
    ScancodeEntry{137, 124},  // INTERNATIONAL3 (Yen) -> KEY_YEN
    ScancodeEntry{138, 92},   // INTERNATIONAL4 (Henkan) -> KEY_HENKAN
    ScancodeEntry{139, 94},   // INTERNATIONAL5 (Muhenkan) -> KEY_MUHENKAN
    ScancodeEntry{140, 95},   // INTERNATIONAL6 (PC-98 keypad comma) -> KEY_KPJPCOMMA
    ScancodeEntry{144, 122},  // LANG1 (Hangul/English) -> KEY_HANGEUL
    ScancodeEntry{145, 123},  // LANG2 (Hanja) -> KEY_HANJA
    ScancodeEntry{146, 90},   // LANG3 (Katakana) -> KEY_KATAKANA
    ScancodeEntry{147, 91},   // LANG4 (Hiragana) -> KEY_HIRAGANA
    ScancodeEntry{148, 85},   // LANG5 (Zenkaku/Hankaku) -> KEY_ZENKAKUHANKAKU
    ScancodeEntry{153, 222},  // ALTERASE
    ScancodeEntry{155, 223},  // CANCEL
    ScancodeEntry{156, 355},  // CLEAR -> KEY_CLEAR (0x163)
    ScancodeEntry{182, 179},  // KP_LEFTPAREN
    ScancodeEntry{183, 180},  // KP_RIGHTPAREN
    ScancodeEntry{215, 118},  // KP_PLUSMINUS
    ScancodeEntry{224, 29},   // LCTRL -> KEY_LEFTCTRL
    ScancodeEntry{225, 42},   // LSHIFT
    ScancodeEntry{226, 56},   // LALT
    ScancodeEntry{227, 125},  // LGUI -> KEY_LEFTMETA
    ScancodeEntry{228, 97},   // RCTRL -> KEY_RIGHTCTRL
    ScancodeEntry{229, 54},   // RSHIFT
    ScancodeEntry{230, 100},  // RALT (AltGr)
    ScancodeEntry{231, 126},  // RGUI -> KEY_RIGHTMETA
    ScancodeEntry{258, 163},  // AUDIONEXT -> KEY_NEXTSONG
    ScancodeEntry{259, 165},  // AUDIOPREV -> KEY_PREVIOUSSONG
    ScancodeEntry{260, 166},  // AUDIOSTOP -> KEY_STOPCD
    ScancodeEntry{261, 164},  // AUDIOPLAY -> KEY_PLAYPAUSE
    ScancodeEntry{262, 113},  // AUDIOMUTE -> KEY_MUTE (as MUTE)
    ScancodeEntry{263, 226},  // MEDIASELECT -> KEY_MEDIA
    ScancodeEntry{264, 150},  // WWW
    ScancodeEntry{265, 155},  // MAIL
    ScancodeEntry{266, 140},  // CALCULATOR -> KEY_CALC
    ScancodeEntry{267, 157},  // COMPUTER
    ScancodeEntry{268, 217},  // AC_SEARCH -> KEY_SEARCH
    ScancodeEntry{269, 172},  // AC_HOME -> KEY_HOMEPAGE
    ScancodeEntry{270, 158},  // AC_BACK -> KEY_BACK
    ScancodeEntry{271, 159},  // AC_FORWARD -> KEY_FORWARD
    ScancodeEntry{272, 128},  // AC_STOP -> KEY_STOP (as STOP)
    ScancodeEntry{273, 173},  // AC_REFRESH -> KEY_REFRESH
    ScancodeEntry{274, 156},  // AC_BOOKMARKS -> KEY_BOOKMARKS
    ScancodeEntry{275, 224},  // BRIGHTNESSDOWN
    ScancodeEntry{276, 225},  // BRIGHTNESSUP
    ScancodeEntry{277, 227},  // DISPLAYSWITCH -> KEY_SWITCHVIDEOMODE
    ScancodeEntry{278, 228},  // KBDILLUMTOGGLE
    ScancodeEntry{279, 229},  // KBDILLUMDOWN
    ScancodeEntry{280, 230},  // KBDILLUMUP
    ScancodeEntry{281, 161},  // EJECT -> KEY_EJECTCD
    ScancodeEntry{282, 142},  // SLEEP
    ScancodeEntry{285, 168},  // AUDIOREWIND -> KEY_REWIND
    ScancodeEntry{286, 208},  // AUDIOFASTFORWARD -> KEY_FASTFORWARD
};
// clang-format on

constexpr bool strictly_sorted_by_scancode() {
  return std::adjacent_find(kScancodes.begin(), kScancodes.end(),
                            [](const ScancodeEntry& a, const ScancodeEntry& b) {
                              return a.scancode >= b.scancode;
                            }) == kScancodes.end();
}
// The lookup is a binary search: a misordered or duplicated row would silently hide keys.
static_assert(strictly_sorted_by_scancode(), "rows must be sorted by scancode, no duplicates");

}  // namespace

std::optional<std::uint16_t> evdev_for_sdl_scancode(int scancode) {
  const auto it = std::lower_bound(
      kScancodes.begin(), kScancodes.end(), scancode,
      [](const ScancodeEntry& entry, int wanted) { return entry.scancode < wanted; });
  if (it == kScancodes.end() || it->scancode != scancode) return std::nullopt;
  return it->evdev;
}

}  // namespace periscope::input
