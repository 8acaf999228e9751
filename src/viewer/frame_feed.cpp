#include "viewer/frame_feed.hpp"

namespace periscope::viewer {

void FrameFeed::on_session_start(const SessionInfo& /*session*/) {
  in_session_ = true;
  if (wake_) wake_();
}

void FrameFeed::on_session_end(std::string_view /*reason*/) {
  in_session_ = false;
  if (wake_) wake_();
}

void FrameFeed::on_frame(const Frame& frame, const FrameTiming& timing) {
  {
    const std::scoped_lock lock(mutex_);
    timings_[frame.info.serial % kTimings] = Timing{frame.info.serial, timing.completed, true};
  }
  frames_.fetch_add(1);
  if (wake_) wake_();
}

void FrameFeed::on_cursor(const CursorState& cursor) {
  {
    const std::scoped_lock lock(mutex_);
    cursor_ = CursorPosition{cursor.visible, cursor.x, cursor.y, cursor.shape_serial};
    // Shapes are rare and small; positions are frequent and copy nothing.
    if (cursor.shape && (!shape_ || cursor.shape_serial != shape_serial_)) {
      shape_ = cursor.shape;
      shape_serial_ = cursor.shape_serial;
    }
  }
  if (wake_) wake_();
}

CursorPosition FrameFeed::cursor() const {
  const std::scoped_lock lock(mutex_);
  return cursor_;
}

std::optional<std::pair<CursorShape, std::uint32_t>> FrameFeed::shape_if_new(
    std::uint32_t have) const {
  const std::scoped_lock lock(mutex_);
  if (!shape_ || shape_serial_ == have) return std::nullopt;
  return std::pair{*shape_, shape_serial_};
}

std::optional<TimePoint> FrameFeed::completed_at(std::uint32_t serial) const {
  const std::scoped_lock lock(mutex_);
  const Timing& t = timings_[serial % kTimings];
  if (!t.valid || t.serial != serial) return std::nullopt;
  return t.completed;
}

}  // namespace periscope::viewer
