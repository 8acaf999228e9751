#pragma once
// Linux evdev KEY_* code -> QEMU QKeyCode name: the data only (key_map.cpp searches it).
//
// Origin: QEMU's maintained keycode database (keycodemapdb, its "linux" and "qcode" columns),
// as copied into the project spec `linux-evdev-to-qemu-qcode.tsv`. That spec folder is not part
// of this repository, so the rows are committed here, generated from the TSV and sorted by
// code; keymap_test.cpp re-reads the TSV when it is present and checks every row still matches.
// Included by key_map.cpp only.
#include <array>

#include "input/key_map.hpp"

namespace periscope::input::detail {

// clang-format off
inline constexpr std::array kKeyMap{
    KeyMapEntry{1, "esc"},  // KEY_ESC
    KeyMapEntry{2, "1"},  // KEY_1
    KeyMapEntry{3, "2"},  // KEY_2
    KeyMapEntry{4, "3"},  // KEY_3
    KeyMapEntry{5, "4"},  // KEY_4
    KeyMapEntry{6, "5"},  // KEY_5
    KeyMapEntry{7, "6"},  // KEY_6
    KeyMapEntry{8, "7"},  // KEY_7
    KeyMapEntry{9, "8"},  // KEY_8
    KeyMapEntry{10, "9"},  // KEY_9
    KeyMapEntry{11, "0"},  // KEY_0
    KeyMapEntry{12, "minus"},  // KEY_MINUS
    KeyMapEntry{13, "equal"},  // KEY_EQUAL
    KeyMapEntry{14, "backspace"},  // KEY_BACKSPACE
    KeyMapEntry{15, "tab"},  // KEY_TAB
    KeyMapEntry{16, "q"},  // KEY_Q
    KeyMapEntry{17, "w"},  // KEY_W
    KeyMapEntry{18, "e"},  // KEY_E
    KeyMapEntry{19, "r"},  // KEY_R
    KeyMapEntry{20, "t"},  // KEY_T
    KeyMapEntry{21, "y"},  // KEY_Y
    KeyMapEntry{22, "u"},  // KEY_U
    KeyMapEntry{23, "i"},  // KEY_I
    KeyMapEntry{24, "o"},  // KEY_O
    KeyMapEntry{25, "p"},  // KEY_P
    KeyMapEntry{26, "bracket_left"},  // KEY_LEFTBRACE
    KeyMapEntry{27, "bracket_right"},  // KEY_RIGHTBRACE
    KeyMapEntry{28, "ret"},  // KEY_ENTER
    KeyMapEntry{29, "ctrl"},  // KEY_LEFTCTRL
    KeyMapEntry{30, "a"},  // KEY_A
    KeyMapEntry{31, "s"},  // KEY_S
    KeyMapEntry{32, "d"},  // KEY_D
    KeyMapEntry{33, "f"},  // KEY_F
    KeyMapEntry{34, "g"},  // KEY_G
    KeyMapEntry{35, "h"},  // KEY_H
    KeyMapEntry{36, "j"},  // KEY_J
    KeyMapEntry{37, "k"},  // KEY_K
    KeyMapEntry{38, "l"},  // KEY_L
    KeyMapEntry{39, "semicolon"},  // KEY_SEMICOLON
    KeyMapEntry{40, "apostrophe"},  // KEY_APOSTROPHE
    KeyMapEntry{41, "grave_accent"},  // KEY_GRAVE
    KeyMapEntry{42, "shift"},  // KEY_SHIFT
    KeyMapEntry{43, "backslash"},  // KEY_BACKSLASH
    KeyMapEntry{44, "z"},  // KEY_Z
    KeyMapEntry{45, "x"},  // KEY_X
    KeyMapEntry{46, "c"},  // KEY_C
    KeyMapEntry{47, "v"},  // KEY_V
    KeyMapEntry{48, "b"},  // KEY_B
    KeyMapEntry{49, "n"},  // KEY_N
    KeyMapEntry{50, "m"},  // KEY_M
    KeyMapEntry{51, "comma"},  // KEY_COMMA
    KeyMapEntry{52, "dot"},  // KEY_DOT
    KeyMapEntry{53, "slash"},  // KEY_SLASH
    KeyMapEntry{54, "shift_r"},  // KEY_RIGHTSHIFT
    KeyMapEntry{55, "asterisk"},  // KEY_KPASTERISK
    KeyMapEntry{56, "alt"},  // KEY_LEFTALT
    KeyMapEntry{57, "spc"},  // KEY_SPACE
    KeyMapEntry{58, "caps_lock"},  // KEY_CAPSLOCK
    KeyMapEntry{59, "f1"},  // KEY_F1
    KeyMapEntry{60, "f2"},  // KEY_F2
    KeyMapEntry{61, "f3"},  // KEY_F3
    KeyMapEntry{62, "f4"},  // KEY_F4
    KeyMapEntry{63, "f5"},  // KEY_F5
    KeyMapEntry{64, "f6"},  // KEY_F6
    KeyMapEntry{65, "f7"},  // KEY_F7
    KeyMapEntry{66, "f8"},  // KEY_F8
    KeyMapEntry{67, "f9"},  // KEY_F9
    KeyMapEntry{68, "f10"},  // KEY_F10
    KeyMapEntry{69, "num_lock"},  // KEY_NUMLOCK
    KeyMapEntry{70, "scroll_lock"},  // KEY_SCROLLLOCK
    KeyMapEntry{71, "kp_7"},  // KEY_KP7
    KeyMapEntry{72, "kp_8"},  // KEY_KP8
    KeyMapEntry{73, "kp_9"},  // KEY_KP9
    KeyMapEntry{74, "kp_subtract"},  // KEY_KPMINUS
    KeyMapEntry{75, "kp_4"},  // KEY_KP4
    KeyMapEntry{76, "kp_5"},  // KEY_KP5
    KeyMapEntry{77, "kp_6"},  // KEY_KP6
    KeyMapEntry{78, "kp_add"},  // KEY_KPPLUS
    KeyMapEntry{79, "kp_1"},  // KEY_KP1
    KeyMapEntry{80, "kp_2"},  // KEY_KP2
    KeyMapEntry{81, "kp_3"},  // KEY_KP3
    KeyMapEntry{82, "kp_0"},  // KEY_KP0
    KeyMapEntry{83, "kp_decimal"},  // KEY_KPDOT
    KeyMapEntry{86, "less"},  // KEY_102ND
    KeyMapEntry{87, "f11"},  // KEY_F11
    KeyMapEntry{88, "f12"},  // KEY_F12
    KeyMapEntry{89, "ro"},  // KEY_RO
    KeyMapEntry{91, "hiragana"},  // KEY_HIRAGANA
    KeyMapEntry{92, "henkan"},  // KEY_HENKAN
    KeyMapEntry{93, "katakanahiragana"},  // KEY_KATAKANAHIRAGANA
    KeyMapEntry{94, "muhenkan"},  // KEY_MUHENKAN
    KeyMapEntry{96, "kp_enter"},  // KEY_KPENTER
    KeyMapEntry{97, "ctrl_r"},  // KEY_RIGHTCTRL
    KeyMapEntry{98, "kp_divide"},  // KEY_KPSLASH
    KeyMapEntry{99, "print"},  // KEY_SYSRQ
    KeyMapEntry{100, "alt_r"},  // KEY_RIGHTALT
    KeyMapEntry{101, "lf"},  // KEY_LINEFEED
    KeyMapEntry{102, "home"},  // KEY_HOME
    KeyMapEntry{103, "up"},  // KEY_UP
    KeyMapEntry{104, "pgup"},  // KEY_PAGEUP
    KeyMapEntry{105, "left"},  // KEY_LEFT
    KeyMapEntry{106, "right"},  // KEY_RIGHT
    KeyMapEntry{107, "end"},  // KEY_END
    KeyMapEntry{108, "down"},  // KEY_DOWN
    KeyMapEntry{109, "pgdn"},  // KEY_PAGEDOWN
    KeyMapEntry{110, "insert"},  // KEY_INSERT
    KeyMapEntry{111, "delete"},  // KEY_DELETE
    KeyMapEntry{113, "audiomute"},  // KEY_MUTE
    KeyMapEntry{114, "volumedown"},  // KEY_VOLUMEDOWN
    KeyMapEntry{115, "volumeup"},  // KEY_VOLUMEUP
    KeyMapEntry{116, "power"},  // KEY_POWER
    KeyMapEntry{117, "kp_equals"},  // KEY_KPEQUAL
    KeyMapEntry{119, "pause"},  // KEY_PAUSE
    KeyMapEntry{121, "kp_comma"},  // KEY_KPCOMMA
    KeyMapEntry{122, "lang1"},  // KEY_HANGEUL
    KeyMapEntry{123, "lang2"},  // KEY_HANJA
    KeyMapEntry{124, "yen"},  // KEY_YEN
    KeyMapEntry{125, "meta_l"},  // KEY_LEFTMETA
    KeyMapEntry{126, "meta_r"},  // KEY_RIGHTMETA
    KeyMapEntry{127, "compose"},  // KEY_COMPOSE
    KeyMapEntry{128, "stop"},  // KEY_STOP
    KeyMapEntry{129, "again"},  // KEY_AGAIN
    KeyMapEntry{130, "props"},  // KEY_PROPS
    KeyMapEntry{131, "undo"},  // KEY_UNDO
    KeyMapEntry{132, "front"},  // KEY_FRONT
    KeyMapEntry{133, "copy"},  // KEY_COPY
    KeyMapEntry{134, "open"},  // KEY_OPEN
    KeyMapEntry{135, "paste"},  // KEY_PASTE
    KeyMapEntry{136, "find"},  // KEY_FIND
    KeyMapEntry{137, "cut"},  // KEY_CUT
    KeyMapEntry{138, "help"},  // KEY_HELP
    KeyMapEntry{139, "menu"},  // KEY_MENU
    KeyMapEntry{140, "calculator"},  // KEY_CALC
    KeyMapEntry{142, "sleep"},  // KEY_SLEEP
    KeyMapEntry{143, "wake"},  // KEY_WAKEUP
    KeyMapEntry{155, "mail"},  // KEY_MAIL
    KeyMapEntry{156, "ac_bookmarks"},  // KEY_BOOKMARKS
    KeyMapEntry{157, "computer"},  // KEY_COMPUTER
    KeyMapEntry{158, "ac_back"},  // KEY_BACK
    KeyMapEntry{159, "ac_forward"},  // KEY_FORWARD
    KeyMapEntry{163, "audionext"},  // KEY_NEXTSONG
    KeyMapEntry{164, "audioplay"},  // KEY_PLAYPAUSE
    KeyMapEntry{165, "audioprev"},  // KEY_PREVIOUSSONG
    KeyMapEntry{166, "audiostop"},  // KEY_STOPCD
    KeyMapEntry{172, "ac_home"},  // KEY_HOMEPAGE
    KeyMapEntry{173, "ac_refresh"},  // KEY_REFRESH
    KeyMapEntry{183, "f13"},  // KEY_F13
    KeyMapEntry{184, "f14"},  // KEY_F14
    KeyMapEntry{185, "f15"},  // KEY_F15
    KeyMapEntry{186, "f16"},  // KEY_F16
    KeyMapEntry{187, "f17"},  // KEY_F17
    KeyMapEntry{188, "f18"},  // KEY_F18
    KeyMapEntry{189, "f19"},  // KEY_F19
    KeyMapEntry{190, "f20"},  // KEY_F20
    KeyMapEntry{191, "f21"},  // KEY_F21
    KeyMapEntry{192, "f22"},  // KEY_F22
    KeyMapEntry{193, "f23"},  // KEY_F23
    KeyMapEntry{194, "f24"},  // KEY_F24
    KeyMapEntry{226, "mediaselect"},  // KEY_MEDIA
};
// clang-format on

}  // namespace periscope::input::detail
