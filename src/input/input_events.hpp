#pragma once
// What we inject into the VM and the exact `input-send-event` command that carries it (QMP;
// see docs in the spec "Keyboard and mouse into the VM through QMP"). Pure values and JSON:
// no sockets here, so every byte we would send can be checked in a unit test.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace periscope::input {

// QMP members are emitted in the order the QEMU documentation shows ("execute" before
// "arguments", "type" before "data"): an ordered object keeps the wire text readable and
// stable, which the tests compare byte for byte.
using Json = nlohmann::ordered_json;

// The largest absolute coordinate; QEMU maps 0..kAbsoluteMax onto the whole guest screen.
inline constexpr std::int32_t kAbsoluteMax = 32767;

struct KeyEvent {
  std::string qcode;  // a QEMU QKeyCode name, e.g. "a", "shift", "ctrl_r"
  bool down{true};
  friend bool operator==(const KeyEvent&, const KeyEvent&) = default;
};

enum class Button { kLeft, kMiddle, kRight, kWheelUp, kWheelDown, kSide, kExtra };

// QEMU's InputButton name ("left", "wheel-up", ...).
std::string_view button_name(Button button);

struct ButtonEvent {
  Button button{Button::kLeft};
  bool down{true};
  friend bool operator==(const ButtonEvent&, const ButtonEvent&) = default;
};

// Mouse motion in guest mickeys; goes to the VM's relative device (a PS/2 or USB mouse).
struct RelativeMotion {
  std::int32_t dx{0};
  std::int32_t dy{0};
  friend bool operator==(const RelativeMotion&, const RelativeMotion&) = default;
};

// A position on the guest screen, each axis 0..kAbsoluteMax; goes to the VM's tablet.
struct AbsolutePosition {
  std::int32_t x{0};
  std::int32_t y{0};
  friend bool operator==(const AbsolutePosition&, const AbsolutePosition&) = default;
};

using InputEvent = std::variant<KeyEvent, ButtonEvent, RelativeMotion, AbsolutePosition>;

// The InputEvent objects of one event, appended to `out` (a motion is one object per axis; a
// relative axis that did not move is left out, an absolute position always has both axes).
void append_event_json(const InputEvent& event, Json& out);

// `{"execute":"input-send-event","arguments":{"events":[...]}}` for a batch. QEMU delivers
// the whole batch before one input sync, so a motion's axes and a click arrive together.
Json input_send_event_command(std::span<const InputEvent> events);

// Accumulates pointer motion between sends. QMP runs commands one at a time (a round trip is
// ~0.6 ms median, several ms at p99), so queuing one command per host event would fall behind
// a 1000 Hz mouse; instead the sender takes the sum of the pending deltas and the latest
// absolute position whenever the previous command has been answered.
class MotionCoalescer {
 public:
  void add_relative(std::int32_t dx, std::int32_t dy);
  void set_absolute(AbsolutePosition position);

  [[nodiscard]] bool empty() const { return !relative_ && !absolute_; }

  // The pending motion (relative sum first, then the latest absolute position) appended to
  // `out`, and forgotten. Call it before appending a button event so a click lands where the
  // pointer was moved to first.
  void take(std::vector<InputEvent>& out);

 private:
  std::optional<RelativeMotion> relative_;
  std::optional<AbsolutePosition> absolute_;
};

// Where the guest picture is shown inside our window, in window pixels (letterboxed and
// scaled pictures do not fill the window).
struct PictureRect {
  std::int32_t x{0};
  std::int32_t y{0};
  std::int32_t width{0};
  std::int32_t height{0};
};

// A window position as a tablet position: the picture's first pixel maps to 0 and its last
// to kAbsoluteMax; positions outside the picture clamp to its edge, so dragging past the
// border pins the guest cursor to the border instead of jumping.
AbsolutePosition window_to_absolute(std::int32_t window_x, std::int32_t window_y,
                                    const PictureRect& picture);

}  // namespace periscope::input
