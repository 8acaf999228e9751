#include "viewer/receiver.hpp"

namespace periscope::viewer {

// Collects statistics on the receive thread and forwards every event downstream.
class Receiver::Events final : public ConsumerEvents {
 public:
  explicit Events(Receiver& owner) : owner_(owner) {}

  void on_session_start(const SessionInfo& session) override {
    {
      std::scoped_lock lock(owner_.mutex_);
      owner_.stats_.running = true;
      owner_.stats_.session = session;
    }
    if (owner_.downstream_) owner_.downstream_->on_session_start(session);
  }
  void on_session_end(std::string_view reason) override {
    {
      std::scoped_lock lock(owner_.mutex_);
      owner_.stats_.running = false;
    }
    if (owner_.downstream_) owner_.downstream_->on_session_end(reason);
  }
  void on_frame(const Frame& frame, const FrameTiming& timing) override {
    std::optional<TimePoint> posted;
    if (owner_.post_clock_) posted = owner_.post_clock_->lookup(frame.info.serial);
    {
      std::scoped_lock lock(owner_.mutex_);
      auto& s = owner_.stats_;
      s.seen_to_memory.add(timing.completed - timing.seen);
      if (posted) {
        s.post_to_memory.add(timing.completed - *posted);
      } else if (owner_.post_clock_) {
        ++s.post_clock_misses;
      }
      s.last_frame_at = timing.completed;
      s.last_frame = frame.info;
    }
    if (owner_.downstream_) owner_.downstream_->on_frame(frame, timing);
  }
  void on_cursor(const CursorState& cursor) override {
    {
      std::scoped_lock lock(owner_.mutex_);
      owner_.stats_.cursor.visible = cursor.visible;
      owner_.stats_.cursor.x = cursor.x;
      owner_.stats_.cursor.y = cursor.y;
      owner_.stats_.cursor.shape_serial = cursor.shape_serial;
    }
    if (owner_.downstream_) owner_.downstream_->on_cursor(cursor);
  }
  void on_rejected(std::string_view reason) override {
    if (owner_.downstream_) owner_.downstream_->on_rejected(reason);
  }

 private:
  Receiver& owner_;
};

Receiver::Receiver(SharedRegion region, ReceiverOptions options, const PostClock* post_clock,
                   ConsumerEvents* downstream)
    : consumer_(region, options.consumer),
      options_(options),
      post_clock_(post_clock),
      downstream_(downstream) {}

Receiver::~Receiver() {
  stop();
}

void Receiver::start() {
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void Receiver::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

void Receiver::run(const std::stop_token& stop) {
  use_fine_timer_slack();
  Events events(*this);
  TimePoint last_activity{};
  TimePoint last_published{};
  while (!stop.stop_requested()) {
    const TimePoint now = Clock::now();
    const bool busy = consumer_.poll(now, events);
    // Counters change only when something happened; an idle poll publishes at most 20 times
    // a second (session changes and errors are caught by that too).
    if (busy || now - last_published > Milliseconds(50)) {
      std::scoped_lock lock(mutex_);
      stats_.consumer = consumer_.stats();
      last_published = now;
    }
    if (busy) {
      last_activity = now;
      continue;
    }
    const bool active = now - last_activity < options_.active_window;
    precise_sleep(active ? options_.active_poll : options_.idle_poll);
  }
  if (consumer_.has_frame()) final_frame_ = consumer_.frame();
  final_cursor_ = consumer_.cursor();
  consumer_.shutdown();
  std::scoped_lock lock(mutex_);
  stats_.consumer = consumer_.stats();
}

ReceiverStats Receiver::snapshot() const {
  std::scoped_lock lock(mutex_);
  return stats_;
}

}  // namespace periscope::viewer
