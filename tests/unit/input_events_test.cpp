#include "input/input_events.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

namespace periscope::input {
namespace {

Json parse(const char* text) {
  return Json::parse(text);
}

Json single(const InputEvent& event) {
  const std::vector<InputEvent> events{event};
  return input_send_event_command(events);
}

TEST(InputEvents, KeyPressExactText) {
  // Byte for byte what the spec shows, members in its order.
  EXPECT_EQ(single(KeyEvent{"a", true}).dump(),
            R"({"execute":"input-send-event","arguments":{"events":[)"
            R"({"type":"key","data":{"down":true,"key":{"type":"qcode","data":"a"}}}]}})");
}

TEST(InputEvents, KeyRelease) {
  EXPECT_EQ(single(KeyEvent{"shift_r", false}),
            parse(R"({"execute":"input-send-event","arguments":{"events":[
              {"type":"key","data":{"down":false,"key":{"type":"qcode","data":"shift_r"}}}]}})"));
}

TEST(InputEvents, EveryButtonName) {
  const std::pair<Button, const char*> names[] = {
      {Button::kLeft, "left"},        {Button::kMiddle, "middle"},        {Button::kRight, "right"},
      {Button::kWheelUp, "wheel-up"}, {Button::kWheelDown, "wheel-down"}, {Button::kSide, "side"},
      {Button::kExtra, "extra"}};
  for (const auto& [button, name] : names) {
    EXPECT_EQ(button_name(button), name);
    Json expected = parse(R"({"execute":"input-send-event","arguments":{"events":[
      {"type":"btn","data":{"down":false,"button":""}}]}})");
    expected["arguments"]["events"][0]["data"]["button"] = name;
    EXPECT_EQ(single(ButtonEvent{button, false}), expected) << name;
  }
  EXPECT_EQ(single(ButtonEvent{Button::kLeft, true})["arguments"]["events"][0].dump(),
            R"({"type":"btn","data":{"down":true,"button":"left"}})");
}

TEST(InputEvents, RelativeMotionOneEventPerMovedAxis) {
  EXPECT_EQ(single(RelativeMotion{10, -3}),
            parse(R"({"execute":"input-send-event","arguments":{"events":[
              {"type":"rel","data":{"axis":"x","value":10}},
              {"type":"rel","data":{"axis":"y","value":-3}}]}})"));
  EXPECT_EQ(single(RelativeMotion{0, 5}),
            parse(R"({"execute":"input-send-event","arguments":{"events":[
              {"type":"rel","data":{"axis":"y","value":5}}]}})"));
  EXPECT_EQ(single(RelativeMotion{0, 0})["arguments"]["events"], Json::array());
}

TEST(InputEvents, AbsolutePositionAlwaysBothAxes) {
  EXPECT_EQ(single(AbsolutePosition{0, 32767}),
            parse(R"({"execute":"input-send-event","arguments":{"events":[
              {"type":"abs","data":{"axis":"x","value":0}},
              {"type":"abs","data":{"axis":"y","value":32767}}]}})"));
}

TEST(InputEvents, BatchKeepsOrder) {
  const std::vector<InputEvent> events{AbsolutePosition{100, 200},
                                       ButtonEvent{Button::kRight, true}, KeyEvent{"ctrl", true}};
  EXPECT_EQ(input_send_event_command(events),
            parse(R"({"execute":"input-send-event","arguments":{"events":[
              {"type":"abs","data":{"axis":"x","value":100}},
              {"type":"abs","data":{"axis":"y","value":200}},
              {"type":"btn","data":{"down":true,"button":"right"}},
              {"type":"key","data":{"down":true,"key":{"type":"qcode","data":"ctrl"}}}]}})"));
}

TEST(InputEventsCoalescer, ThreeDeltasBecomeOneSum) {
  MotionCoalescer coalescer;
  EXPECT_TRUE(coalescer.empty());
  coalescer.add_relative(3, -1);
  coalescer.add_relative(4, 0);
  coalescer.add_relative(-2, -5);
  EXPECT_FALSE(coalescer.empty());
  std::vector<InputEvent> events;
  coalescer.take(events);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(std::get<RelativeMotion>(events[0]), (RelativeMotion{5, -6}));
  EXPECT_EQ(input_send_event_command(events),
            parse(R"({"execute":"input-send-event","arguments":{"events":[
              {"type":"rel","data":{"axis":"x","value":5}},
              {"type":"rel","data":{"axis":"y","value":-6}}]}})"));
  // Taken means forgotten: the next send carries nothing old.
  EXPECT_TRUE(coalescer.empty());
  events.clear();
  coalescer.take(events);
  EXPECT_TRUE(events.empty());
}

TEST(InputEventsCoalescer, LatestAbsoluteWinsAfterRelative) {
  MotionCoalescer coalescer;
  coalescer.set_absolute({10, 20});
  coalescer.add_relative(1, 1);
  coalescer.set_absolute({30, 40});
  coalescer.set_absolute({99999, -7});  // clamped into range
  std::vector<InputEvent> events{ButtonEvent{Button::kLeft, true}};
  coalescer.take(events);  // appends, keeps what was there
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(std::get<RelativeMotion>(events[1]), (RelativeMotion{1, 1}));
  EXPECT_EQ(std::get<AbsolutePosition>(events[2]), (AbsolutePosition{kAbsoluteMax, 0}));
}

TEST(InputEventsCoalescer, CancelledDeltasSendNothingAndSumsSaturate) {
  MotionCoalescer coalescer;
  coalescer.add_relative(5, 5);
  coalescer.add_relative(-5, -5);
  std::vector<InputEvent> events;
  coalescer.take(events);
  EXPECT_TRUE(events.empty());
  constexpr auto kMax = std::numeric_limits<std::int32_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int32_t>::min();
  coalescer.add_relative(kMax, kMin);
  coalescer.add_relative(kMax, kMin);
  coalescer.take(events);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(std::get<RelativeMotion>(events[0]), (RelativeMotion{kMax, kMin}));
}

TEST(InputEventsWindow, PictureCornersMiddleAndOutside) {
  // An 801x601 picture at (100, 50): pixel 0 -> 0, pixel 800 -> 32767, pixel 400 -> middle.
  const PictureRect picture{100, 50, 801, 601};
  EXPECT_EQ(window_to_absolute(100, 50, picture), (AbsolutePosition{0, 0}));
  EXPECT_EQ(window_to_absolute(900, 650, picture), (AbsolutePosition{32767, 32767}));
  EXPECT_EQ(window_to_absolute(500, 350, picture), (AbsolutePosition{16384, 16384}));
  EXPECT_EQ(window_to_absolute(101, 51, picture), (AbsolutePosition{41, 55}));
  // Outside the picture (letterbox bars, beyond the window): clamp to the edge.
  EXPECT_EQ(window_to_absolute(-5, 9999, picture), (AbsolutePosition{0, 32767}));
  EXPECT_EQ(window_to_absolute(2000, 0, picture), (AbsolutePosition{32767, 0}));
}

TEST(InputEventsWindow, DegeneratePictureMapsToZero) {
  EXPECT_EQ(window_to_absolute(10, 10, PictureRect{0, 0, 0, 0}), (AbsolutePosition{0, 0}));
  EXPECT_EQ(window_to_absolute(10, 10, PictureRect{0, 0, 1, -4}), (AbsolutePosition{0, 0}));
}

}  // namespace
}  // namespace periscope::input
