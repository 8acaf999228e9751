#pragma once
// What the receive thread tells the showing thread besides the frames themselves (those are
// in the consumer's FrameRing): the cursor with its shape, when each frame arrived (for the
// receive->present latency), whether a guest is there, and a wake-up so a waiting window
// loop presents a new frame at once instead of at its next timeout.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>

#include "common/clock.hpp"
#include "relay/consumer.hpp"

namespace periscope::viewer {

struct CursorPosition {
  bool visible{false};
  std::int32_t x{0};
  std::int32_t y{0};
  std::uint32_t shape_serial{0};
  friend bool operator==(const CursorPosition&, const CursorPosition&) = default;
};

class FrameFeed final : public ConsumerEvents {
 public:
  // `wake` runs on the receive thread after every frame and cursor change; it must be cheap
  // and thread-safe (e.g. push an event to a window loop). May be empty.
  explicit FrameFeed(std::function<void()> wake = {}) : wake_(std::move(wake)) {}

  // ConsumerEvents, on the receive thread.
  void on_session_start(const SessionInfo& session) override;
  void on_session_end(std::string_view reason) override;
  void on_frame(const Frame& frame, const FrameTiming& timing) override;
  void on_cursor(const CursorState& cursor) override;

  // For the showing thread.
  [[nodiscard]] bool in_session() const { return in_session_.load(); }
  [[nodiscard]] std::uint64_t frames_received() const { return frames_.load(); }
  [[nodiscard]] CursorPosition cursor() const;
  // The latest shape and its serial, when that serial differs from `have`.
  [[nodiscard]] std::optional<std::pair<CursorShape, std::uint32_t>> shape_if_new(
      std::uint32_t have) const;
  // When frame `serial` was whole in our memory, if it is among the last kTimings frames.
  [[nodiscard]] std::optional<TimePoint> completed_at(std::uint32_t serial) const;

  static constexpr std::size_t kTimings = 64;

 private:
  std::function<void()> wake_;
  std::atomic<bool> in_session_{false};
  std::atomic<std::uint64_t> frames_{0};
  mutable std::mutex mutex_;
  CursorPosition cursor_;
  std::optional<CursorShape> shape_;
  std::uint32_t shape_serial_{0};
  struct Timing {
    std::uint32_t serial{0};
    TimePoint completed{};
    bool valid{false};
  };
  std::array<Timing, kTimings> timings_{};
};

}  // namespace periscope::viewer
