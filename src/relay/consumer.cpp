#include "relay/consumer.hpp"

#include <algorithm>
#include <cstring>

#include "common/log.hpp"
#include "relay/frame_copy.hpp"
#include "relay/frame_format.hpp"

namespace periscope {

namespace {

// KVMFR udata is a few hundred bytes; anything past this is not a real producer.
constexpr std::size_t kMaxUdataBytes = 64 * 1024;
// Heartbeats a new session must show before we read anything but its header. The first change
// we see can be the producer's initialisation storing its first timestamp: the B7 host stores
// session id, magic, timestamp, version and udata, and only then builds its queues, and a read
// of the header can see the new session id with the previous session's timestamp. The second
// change comes from the heartbeat, which runs only once the queues are built.
constexpr std::uint32_t kBeatsBeforeStart = 2;

std::uint32_t cursor_row_bytes(b7::CursorType type, std::uint32_t width) {
  return type == b7::CursorType::kMonochrome ? (width + 7) / 8 : width * 4;
}

}  // namespace

Consumer::Consumer(SharedRegion region, ConsumerOptions options)
    : region_(region), options_(options) {}

Consumer::~Consumer() {
  frame_sub_.reset();
  pointer_sub_.reset();
}

void Consumer::note_error(std::string message) {
  if (message != stats_.last_error) spdlog::warn("{}", message);
  stats_.last_error = std::move(message);
}

void Consumer::reject(std::string_view reason, ConsumerEvents& events) {
  if (!session_current()) {
    spdlog::debug("message read while the producer restarted: {}", reason);
    return;
  }
  ++stats_.rejected_messages;
  spdlog::debug("rejected message: {}", reason);
  events.on_rejected(reason);
}

bool Consumer::session_current() const {
  // A producer that starts a new session changes the session id (B7) or hides the magic (ours)
  // before it rewrites queues, rings or payloads. So when what we just read was such a rewrite,
  // the header read after it shows the change.
  std::atomic_thread_fence(std::memory_order_acquire);
  auto& h = *reinterpret_cast<b7::LgmpHeader*>(region_.base());
  return session_ && shared_field(h.magic).load(std::memory_order_acquire) == b7::kLgmpMagic &&
         shared_field(h.session_id).load() == session_->session_id;
}

void Consumer::stop(std::string_view reason, ConsumerEvents& events) {
  const bool was_running = state_ == State::kRunning;
  shutdown();
  invalidate_frames();  // the next session's first frame is copied whole
  cursor_ = CursorState{};
  if (was_running) {
    ++stats_.session_restarts;
    spdlog::info("session ended: {}", reason);
    events.on_session_end(reason);
  }
}

void Consumer::shutdown() {
  if (session_ && !session_current()) {
    // The queues now belong to the producer's next session: our bits there are not ours to
    // clear (another consumer may hold them already).
    if (frame_sub_) frame_sub_->abandon();
    if (pointer_sub_) pointer_sub_->abandon();
  }
  frame_sub_.reset();
  pointer_sub_.reset();
  session_.reset();
  state_ = State::kWaiting;
}

bool Consumer::poll(TimePoint now, ConsumerEvents& events) {
  if (state_ != State::kRunning) {
    try_start(now, events);
    return false;
  }
  if (!session_alive(now, events)) return false;
  const bool cursor = poll_cursor(events);
  if (state_ != State::kRunning) return false;
  const bool frame = poll_frame(now, events);
  return cursor || frame;
}

void Consumer::try_start(TimePoint now, ConsumerEvents& events) {
  auto header = lgmp::read_header(region_, kMaxUdataBytes);
  if (!header) {
    if (header.error().code != ErrorCode::kNotFound) note_error(header.error().message);
    state_ = State::kWaiting;
    return;
  }
  if (state_ == State::kWaiting || header->session_id != probe_session_) {
    // A session is alive only once its heartbeat moves: remember where it is now.
    state_ = State::kProbing;
    probe_session_ = header->session_id;
    probe_timestamp_ = header->timestamp;
    probe_beats_ = 0;
    return;
  }
  if (header->timestamp != probe_timestamp_) {
    probe_timestamp_ = header->timestamp;
    probe_beats_ = std::min(probe_beats_ + 1, kBeatsBeforeStart);
  }
  // Not ready yet: until then the queues and udata may be the previous session's or half
  // written, which is no fault of the producer's.
  if (probe_beats_ < kBeatsBeforeStart) return;
  if (header->session_id == rejected_session_) return;

  auto kvmfr = b7::parse_kvmfr_udata(header->udata);
  if (!kvmfr) {
    rejected_session_ = header->session_id;
    note_error(kvmfr.error().message);
    return;
  }
  auto frame_sub = lgmp::Subscription::subscribe(region_, b7::kQueueFrame, header->num_queues,
                                                 options_.lock_budget);
  if (!frame_sub) {
    note_error("cannot subscribe to the frame queue: " + frame_sub.error().message);
    return;
  }
  auto pointer_sub = lgmp::Subscription::subscribe(region_, b7::kQueuePointer, header->num_queues,
                                                   options_.lock_budget);
  if (!pointer_sub) {
    note_error("cannot subscribe to the pointer queue: " + pointer_sub.error().message);
    return;  // frame_sub unsubscribes as it goes out of scope
  }
  frame_sub_.emplace(std::move(*frame_sub));
  pointer_sub_.emplace(std::move(*pointer_sub));
  session_ = SessionInfo{header->session_id, std::move(*kvmfr)};
  num_queues_ = header->num_queues;
  last_timestamp_ = header->timestamp;
  last_heartbeat_ = now;
  invalidate_frames();
  state_ = State::kRunning;
  ++stats_.sessions;
  stats_.last_error.clear();
  spdlog::info("session {:08x} started (host \"{}\", features {:#x})", session_->session_id,
               session_->kvmfr.hostver, session_->kvmfr.features);
  events.on_session_start(*session_);
}

bool Consumer::session_alive(TimePoint now, ConsumerEvents& events) {
  auto& h = *reinterpret_cast<b7::LgmpHeader*>(region_.base());
  if (shared_field(h.magic).load(std::memory_order_acquire) != b7::kLgmpMagic ||
      shared_field(h.session_id).load() != session_->session_id) {
    stop("the producer restarted (new session)", events);
    return false;
  }
  const std::uint64_t timestamp = shared_field(h.timestamp).load(std::memory_order_acquire);
  if (timestamp != last_timestamp_) {
    last_timestamp_ = timestamp;
    last_heartbeat_ = now;
  } else if (now - last_heartbeat_ > options_.heartbeat_timeout) {
    stop("the producer's heartbeat stopped", events);
    return false;
  }
  return true;
}

bool Consumer::resubscribe(std::optional<lgmp::Subscription>& sub, std::uint32_t queue_id,
                           const Error& why, ConsumerEvents& events) {
  sub.reset();
  if (why.code == ErrorCode::kTimeout) {
    auto renewed =
        lgmp::Subscription::subscribe(region_, queue_id, num_queues_, options_.lock_budget);
    if (renewed) {
      sub.emplace(std::move(*renewed));
      ++stats_.resubscriptions;
      invalidate_frames();  // we missed frames: the next one is copied whole
      return true;
    }
  }
  stop(fmt::format("queue {}: {}", queue_id, why.message), events);
  return false;
}

bool Consumer::poll_cursor(ConsumerEvents& events) {
  bool handled = false;
  for (std::uint32_t n = 0; n < options_.max_cursor_messages_per_poll; ++n) {
    auto msg = pointer_sub_->peek();
    if (!msg) {
      resubscribe(pointer_sub_, b7::kQueuePointer, msg.error(), events);
      return handled;
    }
    if (!*msg) break;
    handle_cursor(**msg, events);
    if (!session_current()) {
      // Never acknowledge into the next session's queue (our index means nothing there).
      stop("the producer restarted (new session)", events);
      return handled;
    }
    pointer_sub_->ack();
    handled = true;
  }
  return handled;
}

bool Consumer::poll_frame(TimePoint now, ConsumerEvents& events) {
  auto msg = frame_sub_->peek();
  if (!msg) {
    resubscribe(frame_sub_, b7::kQueueFrame, msg.error(), events);
    return false;
  }
  if (!*msg) return false;
  handle_frame(**msg, now, events);
  if (!session_current()) {
    stop("the producer restarted (new session)", events);
    return false;
  }
  frame_sub_->ack();  // only after the copy: the producer may reuse the slot once we ack
  return true;
}

void Consumer::handle_frame(const lgmp::Subscription::Message& msg, TimePoint seen,
                            ConsumerEvents& events) {
  b7::KvmfrFrame raw{};
  if (msg.size < sizeof raw || !region_.copy_out(msg.offset, raw)) {
    reject(fmt::format("frame message of {} bytes at offset {}", msg.size, msg.offset), events);
    return;
  }
  auto info = b7::validate_frame(raw, msg.offset, region_.size());
  if (!info) {
    reject(info.error().message, events);
    return;
  }
  const Frame* latest = frame_valid_ ? frames_.latest() : nullptr;
  if (latest && info->serial == latest->info.serial) {
    ++stats_.reposts_skipped;  // a re-post for a new subscriber: we already have it
    return;
  }
  // Only a frame that follows the latest one directly can be applied as damage, and then only
  // if the buffer we write into can be caught up (FrameRing).
  FrameRing::Damage own_damage;
  if (latest && !info->full_damage && info->same_format(latest->info) &&
      info->serial == latest->info.serial + 1) {
    own_damage.emplace(info->damage.begin(), info->damage.begin() + info->damage_count);
  }
  Frame& target = frames_.begin_write();
  const FrameRing::Damage to_copy = frames_.catch_up_damage(own_damage);
  const bool damage_only = to_copy.has_value();
  if (!damage_only) target.pixels.resize(info->data_bytes);
  auto wp = region_.atomic<std::uint32_t>(info->wp_offset);
  const std::byte* src = region_.base() + info->data_offset;
  const b7::CopyLimits limits{options_.wp_stall_timeout,
                              Clock::now() + options_.frame_copy_deadline};
  auto copied =
      damage_only
          ? b7::copy_rects_behind_wp(*wp, src, target.pixels.data(), *info, *to_copy, limits)
          : b7::copy_behind_wp(*wp, src, target.pixels.data(), info->data_bytes, limits).map([&] {
              return info->data_bytes;
            });
  if (!copied) {
    // A write pointer that stops is not malformed data: a correct producer that is preempted,
    // starting cold or paused with its VM does it too. The frame is dropped (and acknowledged,
    // so the slot comes back), the next one is copied whole; the wait stays bounded.
    frames_.abandon_write();  // that buffer is partly overwritten: never catch it up
    if (session_current()) {
      ++stats_.wp_stalls;
      spdlog::debug("frame {} dropped: {}", info->serial, copied.error().message);
    }
    return;
  }
  target.info = *info;
  // Its own damage, even when we copied it whole into a buffer that was too far behind: what
  // changed since the previous frame is what a reader showing that one must upload. The first
  // frame of a session, a format change or a gap have none (everything changed).
  frames_.publish(own_damage);
  frame_valid_ = true;
  ++stats_.frames;
  stats_.bytes_copied += *copied;
  if (damage_only) ++stats_.damage_frames;
  if ((info->flags & b7::kFrameFlagTruncated) != 0) ++stats_.truncated_frames;
  events.on_frame(target, FrameTiming{seen, Clock::now(), damage_only, *copied});
}

void Consumer::invalidate_frames() {
  frame_valid_ = false;
  frames_.invalidate();
}

void Consumer::handle_cursor(const lgmp::Subscription::Message& msg, ConsumerEvents& events) {
  b7::KvmfrCursor raw{};
  if (msg.size < sizeof raw || !region_.copy_out(msg.offset, raw)) {
    reject(fmt::format("cursor message of {} bytes at offset {}", msg.size, msg.offset), events);
    return;
  }
  const std::uint32_t flags = msg.udata;
  if ((flags & b7::kCursorFlagShape) != 0) {
    const std::uint32_t max_height =
        raw.type == static_cast<std::uint32_t>(b7::CursorType::kMonochrome) ? 2 * b7::kMaxCursorDim
                                                                            : b7::kMaxCursorDim;
    if (raw.type > 2 || raw.width == 0 || raw.width > b7::kMaxCursorDim || raw.height == 0 ||
        raw.height > max_height) {
      reject(fmt::format("cursor shape type {} size {}x{}", raw.type, raw.width, raw.height),
             events);
      return;
    }
    const auto type = static_cast<b7::CursorType>(raw.type);
    const std::uint64_t shape_bytes = std::uint64_t{raw.height} * raw.pitch;
    if (raw.pitch < cursor_row_bytes(type, raw.width) || shape_bytes > b7::kMaxCursorShapeBytes ||
        shape_bytes > msg.size - sizeof raw ||
        !region_.contains(std::uint64_t{msg.offset} + sizeof raw, shape_bytes)) {
      reject(fmt::format("cursor shape of {} bytes (pitch {}) in a {}-byte message", shape_bytes,
                         raw.pitch, msg.size),
             events);
      return;
    }
    CursorShape shape;
    shape.type = type;
    shape.width = raw.width;
    shape.height = raw.height;
    shape.pitch = raw.pitch;
    shape.hotspot_x = raw.hx;
    shape.hotspot_y = raw.hy;
    shape.pixels.resize(shape_bytes);
    std::memcpy(shape.pixels.data(), region_.base() + msg.offset + sizeof raw, shape_bytes);
    cursor_.shape = std::move(shape);
    ++cursor_.shape_serial;
    ++stats_.cursor_shapes;
  }
  if ((flags & b7::kCursorFlagPosition) != 0) {
    cursor_.x = raw.x;
    cursor_.y = raw.y;
  }
  cursor_.visible = (flags & b7::kCursorFlagVisible) != 0;
  ++stats_.cursor_updates;
  events.on_cursor(cursor_);
}

Status Consumer::set_cursor_position(std::int32_t x, std::int32_t y) {
  if (state_ != State::kRunning) return fail(ErrorCode::kNotFound, "no session");
  if ((session_->kvmfr.features & b7::kKvmfrFeatureSetCursorPos) == 0) {
    return fail(ErrorCode::kUnsupported, "the producer does not accept cursor positions");
  }
  const b7::KvmfrSetCursorPos message{b7::kMessageSetCursorPos, x, y};
  return pointer_sub_->send(std::as_bytes(std::span(&message, 1)), options_.lock_budget);
}

}  // namespace periscope
