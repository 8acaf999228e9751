#pragma once
// The host side of the relay: follows a B7 producer's session, subscribes to its frame and
// pointer queues, and copies frames and cursor shapes into private memory. The guest is
// untrusted: see ../shared/spec/b7-shared-memory.md section 6 and docs/relay.md.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "relay/frame_info.hpp"
#include "relay/frame_ring.hpp"
#include "relay/kvmfr_udata.hpp"
#include "relay/lgmp_client.hpp"
#include "relay/shared_region.hpp"

namespace periscope {

struct ConsumerOptions {
  // Give up on a frame whose write pointer stops moving for this long (B7 uses ~10 ms).
  Nanoseconds wp_stall_timeout{Milliseconds(10)};
  // And on a frame still incomplete after this long, however the pointer moves: a guest that
  // advances it a byte at a time must not hold the receive thread.
  Nanoseconds frame_copy_deadline{Milliseconds(200)};
  // Longest we wait for a queue lock the producer holds.
  Nanoseconds lock_budget{Milliseconds(2)};
  // A heartbeat that does not move for this long means the producer is gone.
  Milliseconds heartbeat_timeout{1000};
  // Pointer messages handled per poll, so a flood cannot starve frames.
  std::uint32_t max_cursor_messages_per_poll{32};
};

struct SessionInfo {
  std::uint32_t session_id{0};
  b7::KvmfrInfo kvmfr;
};

struct FrameTiming {
  TimePoint seen;       // when we first saw the message
  TimePoint completed;  // when the last byte was in our memory
  bool damage_only{false};
  std::uint64_t bytes_copied{0};
};

struct CursorShape {
  b7::CursorType type{b7::CursorType::kColor};
  std::uint32_t width{0};
  std::uint32_t height{0};  // for monochrome: both masks
  std::uint32_t pitch{0};
  std::int32_t hotspot_x{0};
  std::int32_t hotspot_y{0};
  std::vector<std::byte> pixels;  // height * pitch
};

struct CursorState {
  bool visible{false};
  std::int32_t x{0};  // top-left of the image on the guest screen
  std::int32_t y{0};
  std::optional<CursorShape> shape;
  std::uint32_t shape_serial{0};  // bumps on every new shape
};

struct ConsumerStats {
  std::uint64_t frames{0};
  std::uint64_t damage_frames{0};
  std::uint64_t bytes_copied{0};
  std::uint64_t reposts_skipped{0};
  std::uint64_t cursor_updates{0};
  std::uint64_t cursor_shapes{0};
  // Messages whose data a correct producer never writes (malformed, out of bounds), read while
  // their session was still the current one. Not counted: states a correct producer passes
  // through (initialising, restarting, writing slowly); see docs/relay.md.
  std::uint64_t rejected_messages{0};
  // Frames given up because the write pointer stopped moving (a slow, paused or dead producer,
  // or a hostile one): dropped and acknowledged, the next frame is copied whole.
  std::uint64_t wp_stalls{0};
  std::uint64_t truncated_frames{0};
  std::uint64_t sessions{0};
  std::uint64_t session_restarts{0};
  std::uint64_t resubscriptions{0};
  std::string last_error;
};

// What the consumer reports as it runs; all methods are optional.
class ConsumerEvents {
 public:
  virtual ~ConsumerEvents() = default;
  virtual void on_session_start(const SessionInfo& /*session*/) {}
  virtual void on_session_end(std::string_view /*reason*/) {}
  virtual void on_frame(const Frame& /*frame*/, const FrameTiming& /*timing*/) {}
  virtual void on_cursor(const CursorState& /*cursor*/) {}
  virtual void on_rejected(std::string_view /*reason*/) {}
};

class Consumer {
 public:
  enum class State { kWaiting, kProbing, kRunning };

  Consumer(SharedRegion region, ConsumerOptions options = {});
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;
  ~Consumer();

  // One non-blocking step (a frame copy waits at most wp_stall_timeout without progress).
  // Returns true when it handled a message, so the caller polls again at once.
  bool poll(TimePoint now, ConsumerEvents& events);

  // Sends "set cursor position" when the producer accepts it.
  Status set_cursor_position(std::int32_t x, std::int32_t y);
  // Unsubscribes and returns to waiting; counted as a session restart.
  void stop(std::string_view reason, ConsumerEvents& events);
  // Unsubscribes because we are leaving (not counted as a restart).
  void shutdown();

  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] const ConsumerStats& stats() const { return stats_; }
  // The latest whole frame of this session; only on the polling thread (or after it stopped),
  // and only when has_frame().
  [[nodiscard]] const Frame& frame() const { return *frames_.latest(); }
  [[nodiscard]] bool has_frame() const { return frame_valid_; }
  // Where frames land: another thread may lease the latest one from here while we poll.
  [[nodiscard]] FrameRing& frames() { return frames_; }
  [[nodiscard]] const CursorState& cursor() const { return cursor_; }
  [[nodiscard]] const std::optional<SessionInfo>& session() const { return session_; }

 private:
  void try_start(TimePoint now, ConsumerEvents& events);
  bool session_alive(TimePoint now, ConsumerEvents& events);
  bool poll_cursor(ConsumerEvents& events);
  bool poll_frame(TimePoint now, ConsumerEvents& events);
  // Handles one message; returns false when the subscription must be renewed.
  void handle_frame(const lgmp::Subscription::Message& msg, TimePoint seen, ConsumerEvents& events);
  void handle_cursor(const lgmp::Subscription::Message& msg, ConsumerEvents& events);
  // Counts a malformed message, unless the session changed under us while we read it (then the
  // data was a restart in progress, not a violation; the caller ends the session).
  void reject(std::string_view reason, ConsumerEvents& events);
  // Whether the header still shows the session we are running: magic present, same session id.
  [[nodiscard]] bool session_current() const;
  void invalidate_frames();
  void note_error(std::string message);
  // Renews a subscription the producer timed out; ends the session when that fails.
  bool resubscribe(std::optional<lgmp::Subscription>& sub, std::uint32_t queue_id, const Error& why,
                   ConsumerEvents& events);

  SharedRegion region_;
  ConsumerOptions options_;
  State state_{State::kWaiting};
  ConsumerStats stats_;

  // Probing: the session we are watching for a heartbeat, and how often it has moved since we
  // first saw that session id.
  std::uint32_t probe_session_{0};
  std::uint64_t probe_timestamp_{0};
  std::uint32_t probe_beats_{0};
  std::optional<std::uint32_t> rejected_session_;  // whose udata we refused (log it once)

  // Running.
  std::optional<SessionInfo> session_;
  std::uint32_t num_queues_{0};
  std::uint64_t last_timestamp_{0};
  TimePoint last_heartbeat_{};
  std::optional<lgmp::Subscription> frame_sub_;
  std::optional<lgmp::Subscription> pointer_sub_;

  FrameRing frames_;
  // The ring's latest frame belongs to this session and later frames may be damage on it.
  bool frame_valid_{false};
  CursorState cursor_;
};

}  // namespace periscope
