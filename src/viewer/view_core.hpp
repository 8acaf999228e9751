#pragma once
// The view loop's work, without a window system: take the newest frame from the ring and
// upload what changed, follow the cursor, keep the overlay and status pictures current,
// present when something changed, measure receive->present, and save a screenshot after N
// frames. A window (src/window) calls step() whenever it wakes; the benchmark calls it in a
// loop with a headless presenter.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/latency_histogram.hpp"
#include "common/result.hpp"
#include "relay/frame_ring.hpp"
#include "viewer/frame_feed.hpp"
#include "viewer/presenter.hpp"
#include "viewer/scaling.hpp"

namespace periscope::viewer {

class TextRenderer;

struct ViewCoreOptions {
  ScaleMode mode{ScaleMode::kFit};
  bool overlay{false};
  // Save what the output shows once this many frames have been presented (0: never).
  std::uint64_t screenshot_after_frames{0};
  std::string screenshot_path;
  // Where the frames come from, for the "waiting" screen.
  std::string source_name;
};

struct ViewCoreStats {
  std::uint64_t uploads{0};   // frames taken from the ring and uploaded
  std::uint64_t presents{0};  // everything shown (frames, cursor moves, overlay)
  std::uint64_t frames_presented{0};
  std::uint64_t upload_errors{0};
  LatencyHistogram receive_to_present;  // frame whole in our memory -> shown
  LatencyHistogram upload_time;
  LatencyHistogram present_time;
};

// What a screenshot showed: which frame, where the cursor was, where the picture sat.
struct ScreenshotInfo {
  std::uint32_t serial{0};
  CursorPosition cursor;
  input::PictureRect picture;
  OutputSize output;
};

// What the window shows instead of the picture, if anything.
enum class ViewState { kWaiting, kShowing, kTooSmall };

class ViewCore {
 public:
  // `text` may be null (no font): the overlay is then left out and status screens are plain.
  ViewCore(Presenter& presenter, FrameRing& ring, const FrameFeed& feed, ViewCoreOptions options,
           const TextRenderer* text);

  // One pass; returns whether it presented. Errors are the presenter's (a lost GL context).
  Result<bool> step(TimePoint now);

  // The output changed size or was exposed: draw again at the next step.
  void invalidate() { dirty_ = true; }
  void set_mode(ScaleMode mode);
  [[nodiscard]] ScaleMode mode() const { return options_.mode; }
  void toggle_overlay();
  [[nodiscard]] bool overlay_visible() const { return options_.overlay; }
  // The input line of the overlay ("input: captured", "QMP: reconnecting", ...).
  void set_input_line(std::string line);

  [[nodiscard]] ViewState state() const { return state_; }
  // The upright guest picture size of the latest frame (0x0 before one).
  [[nodiscard]] OutputSize guest_size() const { return guest_size_; }
  // Where the picture sits in the presenter's output, for mapping the mouse.
  [[nodiscard]] input::PictureRect picture_rect_in_output() const;

  // Set once the screenshot was written (or failed); the window then closes.
  [[nodiscard]] const std::optional<Status>& screenshot_result() const {
    return screenshot_result_;
  }
  [[nodiscard]] const std::optional<ScreenshotInfo>& screenshot_info() const {
    return screenshot_info_;
  }
  [[nodiscard]] const ViewCoreStats& stats() const { return stats_; }

 private:
  void take_frame(bool& changed);
  void take_cursor(bool& changed);
  void update_state(bool& changed);
  void update_overlay(TimePoint now, bool& changed);

  Presenter& presenter_;
  FrameRing& ring_;
  const FrameFeed& feed_;
  ViewCoreOptions options_;
  const TextRenderer* text_;

  std::uint64_t have_generation_{0};
  std::optional<b7::FrameInfo> info_;
  std::optional<std::uint32_t> pending_latency_serial_;  // uploaded, not yet presented
  OutputSize guest_size_;
  std::uint32_t shape_serial_{0};
  bool has_shape_{false};
  CursorPosition cursor_;
  ViewState state_{ViewState::kWaiting};
  std::string status_key_;  // what the status image shows, to redraw it only on change
  OutputSize status_size_;
  bool dirty_{true};

  std::string input_line_;
  TimePoint next_overlay_{};
  std::uint64_t overlay_frames_base_{0};
  std::uint64_t overlay_presents_base_{0};
  TimePoint overlay_base_at_{};
  LatencyHistogram overlay_latency_;  // over the current overlay period
  std::deque<double> latency_history_ms_;

  std::optional<Status> screenshot_result_;
  std::optional<ScreenshotInfo> screenshot_info_;
  ViewCoreStats stats_;
};

}  // namespace periscope::viewer
