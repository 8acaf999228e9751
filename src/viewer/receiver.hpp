#pragma once
// The receive thread: runs the relay consumer, measures latency, and passes frames on.
//
// Polling, because nothing can signal across the VM boundary: while frames flow it checks
// every `active_poll` (100 us: adds at most that to the latency), and after `active_window`
// without a message it backs off to `idle_poll` (2 ms), which keeps an idle viewer's CPU use
// far below 1% of a core.
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>

#include "common/clock.hpp"
#include "common/latency_histogram.hpp"
#include "relay/consumer.hpp"
#include "relay/post_clock.hpp"

namespace periscope::viewer {

struct ReceiverOptions {
  ConsumerOptions consumer;
  Nanoseconds active_poll{Microseconds(100)};
  Nanoseconds idle_poll{Milliseconds(2)};
  Nanoseconds active_window{Milliseconds(250)};
};

struct ReceiverStats {
  ConsumerStats consumer;
  bool running{false};  // in a session now
  std::optional<SessionInfo> session;
  // Message posted (post clock) -> frame fully in our memory; empty without a post clock.
  LatencyHistogram post_to_memory;
  std::uint64_t post_clock_misses{0};
  // Message first seen by us -> frame fully in our memory; always available.
  LatencyHistogram seen_to_memory;
  std::optional<TimePoint> last_frame_at;
  std::optional<b7::FrameInfo> last_frame;
  CursorState cursor;  // without shape pixels
};

class Receiver {
 public:
  // `post_clock` and `downstream` may be null; both must outlive the receiver. `downstream`
  // is called on the receive thread.
  Receiver(SharedRegion region, ReceiverOptions options, const PostClock* post_clock,
           ConsumerEvents* downstream);
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;
  ~Receiver();

  void start();
  void stop();  // joins the thread and unsubscribes

  [[nodiscard]] ReceiverStats snapshot() const;
  // The frames as they arrive; another thread may lease the latest one while we receive.
  [[nodiscard]] FrameRing& frames() { return consumer_.frames(); }
  // After stop(): the last whole frame received and the cursor at that time.
  [[nodiscard]] const std::optional<Frame>& final_frame() const { return final_frame_; }
  [[nodiscard]] const CursorState& final_cursor() const { return final_cursor_; }

 private:
  class Events;
  void run(const std::stop_token& stop);

  Consumer consumer_;
  ReceiverOptions options_;
  const PostClock* post_clock_;
  ConsumerEvents* downstream_;
  mutable std::mutex mutex_;
  ReceiverStats stats_;
  std::optional<Frame> final_frame_;
  CursorState final_cursor_;
  std::jthread thread_;
};

}  // namespace periscope::viewer
