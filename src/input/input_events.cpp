#include "input/input_events.hpp"

#include <algorithm>
#include <limits>

namespace periscope::input {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

Json axis_event(const char* type, const char* axis, std::int32_t value) {
  Json data = Json::object();
  data["axis"] = axis;
  data["value"] = value;
  Json event = Json::object();
  event["type"] = type;
  event["data"] = std::move(data);
  return event;
}

// Sums far beyond any real mouse's motion saturate instead of overflowing (UB).
std::int32_t saturating_add(std::int32_t a, std::int32_t b) {
  const std::int64_t sum = std::int64_t{a} + std::int64_t{b};
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(
      sum, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()));
}

std::int32_t scale_axis(std::int32_t position, std::int32_t origin, std::int32_t size) {
  if (size <= 1) return 0;
  const std::int64_t last = std::int64_t{size} - 1;
  const std::int64_t offset = std::clamp<std::int64_t>(std::int64_t{position} - origin, 0, last);
  // Rounded to nearest so the middle pixel lands on the middle of the range.
  return static_cast<std::int32_t>((offset * kAbsoluteMax + last / 2) / last);
}

}  // namespace

std::string_view button_name(Button button) {
  switch (button) {
    case Button::kLeft:
      return "left";
    case Button::kMiddle:
      return "middle";
    case Button::kRight:
      return "right";
    case Button::kWheelUp:
      return "wheel-up";
    case Button::kWheelDown:
      return "wheel-down";
    case Button::kSide:
      return "side";
    case Button::kExtra:
      return "extra";
  }
  return "left";  // unreachable for valid enumerators
}

void append_event_json(const InputEvent& event, Json& out) {
  std::visit(Overloaded{
                 [&](const KeyEvent& key) {
                   Json qcode = Json::object();
                   qcode["type"] = "qcode";
                   qcode["data"] = key.qcode;
                   Json data = Json::object();
                   data["down"] = key.down;
                   data["key"] = std::move(qcode);
                   Json json = Json::object();
                   json["type"] = "key";
                   json["data"] = std::move(data);
                   out.push_back(std::move(json));
                 },
                 [&](const ButtonEvent& button) {
                   Json data = Json::object();
                   data["down"] = button.down;
                   data["button"] = button_name(button.button);
                   Json json = Json::object();
                   json["type"] = "btn";
                   json["data"] = std::move(data);
                   out.push_back(std::move(json));
                 },
                 [&](const RelativeMotion& motion) {
                   if (motion.dx != 0) out.push_back(axis_event("rel", "x", motion.dx));
                   if (motion.dy != 0) out.push_back(axis_event("rel", "y", motion.dy));
                 },
                 [&](const AbsolutePosition& position) {
                   out.push_back(axis_event("abs", "x", position.x));
                   out.push_back(axis_event("abs", "y", position.y));
                 },
             },
             event);
}

Json input_send_event_command(std::span<const InputEvent> events) {
  Json list = Json::array();
  for (const InputEvent& event : events) append_event_json(event, list);
  Json arguments = Json::object();
  arguments["events"] = std::move(list);
  Json command = Json::object();
  command["execute"] = "input-send-event";
  command["arguments"] = std::move(arguments);
  return command;
}

void MotionCoalescer::add_relative(std::int32_t dx, std::int32_t dy) {
  if (!relative_) relative_ = RelativeMotion{};
  relative_->dx = saturating_add(relative_->dx, dx);
  relative_->dy = saturating_add(relative_->dy, dy);
}

void MotionCoalescer::set_absolute(AbsolutePosition position) {
  position.x = std::clamp(position.x, 0, kAbsoluteMax);
  position.y = std::clamp(position.y, 0, kAbsoluteMax);
  absolute_ = position;
}

void MotionCoalescer::take(std::vector<InputEvent>& out) {
  // Deltas that cancelled out carry nothing; leave them out rather than send an empty move.
  if (relative_ && (relative_->dx != 0 || relative_->dy != 0)) out.emplace_back(*relative_);
  if (absolute_) out.emplace_back(*absolute_);
  relative_.reset();
  absolute_.reset();
}

AbsolutePosition window_to_absolute(std::int32_t window_x, std::int32_t window_y,
                                    const PictureRect& picture) {
  return {scale_axis(window_x, picture.x, picture.width),
          scale_axis(window_y, picture.y, picture.height)};
}

}  // namespace periscope::input
