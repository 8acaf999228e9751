#include "relay/producer.hpp"

#include <sched.h>

#include <algorithm>
#include <cstring>

#include "common/log.hpp"
#include "relay/fast_copy.hpp"
#include "relay/frame_format.hpp"
#include "relay/frame_info.hpp"

namespace periscope {

namespace {

constexpr std::size_t kPointerQueueIndex = 0;
constexpr std::size_t kFrameQueueIndex = 1;
constexpr std::size_t kFrameSlots = 2;
constexpr std::size_t kShapeBuffers = 3;
// Publish the write pointer at least this often while streaming, so the consumer can follow.
constexpr std::uint64_t kWpPublishBytes = 1024 * 1024;
// Union lists longer than this are replaced by "copy everything".
constexpr std::size_t kMaxTrackedRects = 2 * b7::kMaxDamageRects;

std::uint32_t stored_width(b7::FrameType type, std::uint32_t width) {
  return b7::is_packed_24bit(type) ? b7::packed_texels(width) : width;
}

std::uint32_t stored_pitch(const FrameDesc& desc) {
  return stored_width(desc.type, desc.width) * b7::texel_bytes(desc.type);
}

bool same_desc(const FrameDesc& a, const FrameDesc& b) {
  return a.type == b.type && a.width == b.width && a.height == b.height &&
         a.screen_width == b.screen_width && a.screen_height == b.screen_height &&
         a.rotation == b.rotation;
}

// A damage rect in pixels turned into the byte range of each of its rows.
struct RowSpan {
  std::uint64_t y0, y1, byte0, bytes;
};

RowSpan row_span(const FrameDesc& desc, const b7::DamageRect& r, std::uint32_t rows) {
  const std::uint32_t x0 = std::min(r.x, desc.width);
  const std::uint32_t x1 = std::min(r.x + std::min(r.width, desc.width - x0), desc.width);
  const std::uint32_t y0 = std::min(r.y, rows);
  const std::uint32_t y1 = std::min(r.y + std::min(r.height, rows - y0), rows);
  std::uint64_t b0 = 0;
  std::uint64_t b1 = 0;
  if (b7::is_packed_24bit(desc.type)) {
    b0 = std::uint64_t{x0} * 3 / 4 * 4;
    b1 = std::min<std::uint64_t>(std::uint64_t{b7::packed_texels(x1)} * 4, stored_pitch(desc));
  } else {
    b0 = std::uint64_t{x0} * b7::texel_bytes(desc.type);
    b1 = std::uint64_t{x1} * b7::texel_bytes(desc.type);
  }
  return {y0, y1, b0, b1 > b0 ? b1 - b0 : 0};
}

}  // namespace

Producer::Producer(lgmp::Host host, ProducerOptions options)
    : host_(std::move(host)), options_(std::move(options)) {}

Result<std::unique_ptr<Producer>> Producer::create(SharedRegion region, ProducerOptions options) {
  std::vector<lgmp::QueueConfig> queues = {
      {b7::kQueuePointer, b7::kPointerQueueLength, b7::kQueueMaxTimeMs},
      {b7::kQueueFrame, b7::kFrameQueueLength, b7::kQueueMaxTimeMs},
  };
  auto host = lgmp::Host::create(region, std::move(queues), b7::build_kvmfr_udata(options.info),
                                 monotonic_ms());
  if (!host) return tl::unexpected(host.error());
  std::unique_ptr<Producer> producer(new Producer(std::move(*host), std::move(options)));
  if (auto laid = producer->lay_out(); !laid) return tl::unexpected(laid.error());
  if (producer->options_.heartbeat_thread) {
    producer->heartbeat_ = std::jthread([p = producer.get()](std::stop_token stop) {
      use_fine_timer_slack();
      while (!stop.stop_requested()) {
        p->tick();
        precise_sleep(p->options_.heartbeat_period);
      }
    });
  }
  return producer;
}

Producer::~Producer() {
  if (heartbeat_.joinable()) {
    heartbeat_.request_stop();
    heartbeat_.join();
  }
}

Status Producer::lay_out() {
  for (std::size_t i = 0; i < b7::kPointerQueueLength; ++i) {
    auto offset = host_.allocate(sizeof(b7::KvmfrCursor), 4);
    if (!offset) return tl::unexpected(offset.error());
    position_buffers_.push_back(*offset);
  }
  for (std::size_t i = 0; i < kShapeBuffers; ++i) {
    auto offset = host_.allocate(sizeof(b7::KvmfrCursor) + b7::kMaxCursorShapeBytes, 4);
    if (!offset) return tl::unexpected(offset.error());
    shape_buffers_.push_back(*offset);
  }
  const std::uint64_t first =
      (host_.allocated_end() + b7::kPageBytes - 1) / b7::kPageBytes * b7::kPageBytes;
  const std::uint64_t region_bytes = host_.region().size();
  slot_bytes_ = first < region_bytes
                    ? (region_bytes - first) / kFrameSlots / b7::kPageBytes * b7::kPageBytes
                    : 0;
  if (slot_bytes_ < 2 * b7::kPageBytes) {
    return fail(ErrorCode::kTooSmall,
                "region of {} bytes leaves no room for two frame slots after {} bytes of "
                "header and cursor buffers",
                region_bytes, first);
  }
  for (std::size_t i = 0; i < kFrameSlots; ++i) {
    auto offset = host_.allocate(slot_bytes_, b7::kPageBytes);
    if (!offset) return tl::unexpected(offset.error());
    slots_.push_back(Slot{*offset, 0, true, {}});
  }
  return {};
}

bool Producer::fits(const FrameDesc& desc) const {
  return std::uint64_t{stored_pitch(desc)} * desc.height <= max_frame_bytes();
}

bool Producer::slot_free(const Slot& slot) const {
  const std::uint64_t retired = frame_posts_ - host_.pending(kFrameQueueIndex);
  return slot.last_post_seq <= retired;
}

void Producer::note_post(std::size_t slot_index) {
  ++frame_posts_;
  slots_[slot_index].last_post_seq = frame_posts_;
}

Result<FrameWritten> Producer::write_frame(const FrameDesc& desc, const std::byte* src,
                                           std::uint32_t src_pitch,
                                           std::span<const b7::DamageRect> damage,
                                           Nanoseconds wait_budget) {
  if (desc.width == 0 || desc.height == 0 || desc.width > b7::kMaxFrameDim ||
      desc.height > b7::kMaxFrameDim) {
    return fail(ErrorCode::kInvalidArgument, "frame size {}x{}", desc.width, desc.height);
  }
  const std::uint32_t pitch = stored_pitch(desc);
  if (src_pitch < pitch) {
    return fail(ErrorCode::kInvalidArgument, "source pitch {} < row bytes {}", src_pitch, pitch);
  }
  const auto rows =
      static_cast<std::uint32_t>(std::min<std::uint64_t>(desc.height, max_frame_bytes() / pitch));
  if (rows == 0) {
    return fail(ErrorCode::kTooSmall, "a frame slot of {} bytes cannot hold one row of {} bytes",
                max_frame_bytes(), pitch);
  }

  // 1. Pick the slot that does not hold the newest frame and wait until no message names it.
  std::unique_lock lock(mutex_);
  const std::size_t slot_index = latest_slot_ ? (*latest_slot_ + 1) % kFrameSlots : 0;
  Slot& slot = slots_[slot_index];
  const TimePoint deadline = Clock::now() + wait_budget;
  while (!slot_free(slot)) {
    lock.unlock();
    if (Clock::now() >= deadline) {
      lock.lock();
      ++stats_.frames_dropped;
      // The skipped frame's changes must reach both slots and every reader later: its serial
      // is used up (readers see the gap) and the next message says "everything changed" (for
      // readers that do not check serials).
      ++frame_serial_;
      next_message_full_ = true;
      for (auto& s : slots_) s.missing_all = true;
      return FrameWritten{FramePost::kDropped, frame_serial_, false, Clock::now()};
    }
    ::sched_yield();
    lock.lock();
  }

  // 2. What to copy: everything this slot lacks plus this frame's damage.
  const bool format_changed = !last_desc_ || !same_desc(*last_desc_, desc);
  if (format_changed) {
    ++format_ver_;
    last_desc_ = desc;
    for (auto& s : slots_) s.missing_all = true;
  }
  const bool full = damage.empty() || damage.size() > b7::kMaxDamageRects;
  const bool full_message = full || next_message_full_;
  bool copy_all = slot.missing_all || full;
  std::vector<b7::DamageRect> to_copy;
  if (!copy_all) {
    to_copy = slot.missing;
    to_copy.insert(to_copy.end(), damage.begin(), damage.end());
  }
  // The other slots now lack this frame's changes.
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (i == slot_index) continue;
    Slot& other = slots_[i];
    if (full || other.missing.size() + damage.size() > kMaxTrackedRects) {
      other.missing_all = true;
      other.missing.clear();
    } else if (!other.missing_all) {
      other.missing.insert(other.missing.end(), damage.begin(), damage.end());
    }
  }
  slot.missing_all = false;
  slot.missing.clear();

  // 3. The header, then wp = 0, then post: the consumer may start reading at once.
  b7::KvmfrFrame header{};
  header.format_ver = format_ver_;
  header.frame_serial = ++frame_serial_;
  header.type = static_cast<std::uint32_t>(desc.type);
  header.screen_width = desc.screen_width ? desc.screen_width : desc.width;
  header.screen_height = desc.screen_height ? desc.screen_height : desc.height;
  header.data_width = stored_width(desc.type, desc.width);
  header.data_height = rows;
  header.frame_width = desc.width;
  header.frame_height = desc.height;
  header.rotation = static_cast<std::uint32_t>(desc.rotation);
  header.stride = header.data_width;
  header.pitch = pitch;
  header.offset = b7::kFrameBufferOffset;
  header.flags = desc.flags | (rows < desc.height ? b7::kFrameFlagTruncated : 0);
  if (!full_message) {
    header.damage_rects_count = static_cast<std::uint32_t>(damage.size());
    std::copy(damage.begin(), damage.end(), header.damage_rects);
  }
  const SharedRegion region = host_.region();
  (void)region.copy_in(slot.offset, header);
  auto wp = *region.atomic<std::uint32_t>(std::uint64_t{slot.offset} + b7::kFrameBufferOffset);
  wp.store(0, std::memory_order_release);
  std::byte* dst = region.base() + slot.offset + b7::kPageBytes;

  const auto posted = host_.post(kFrameQueueIndex, 0, slot.offset,
                                 static_cast<std::uint32_t>(slot_bytes_), monotonic_ms());
  FrameWritten written{FramePost::kNoSubscribers, header.frame_serial, rows < desc.height,
                       Clock::now()};
  if (posted == lgmp::PostResult::kPosted) {
    note_post(slot_index);
    next_message_full_ = false;
    written.post = FramePost::kPosted;
    ++stats_.frames_posted;
  } else if (posted != lgmp::PostResult::kNoSubscribers) {
    written.post = FramePost::kDropped;  // readers will see a serial gap and copy in full
    next_message_full_ = true;
    ++stats_.frames_dropped;
  }
  latest_slot_ = slot_index;
  ++stats_.frames_written;
  lock.unlock();
  if (options_.on_frame_posted && written.post == FramePost::kPosted) {
    options_.on_frame_posted(written.serial, written.posted_at);
  }

  // 4. Stream the pixels, publishing the write pointer as we go.
  const std::uint64_t total = std::uint64_t{rows} * pitch;
  if (copy_all) {
    std::uint64_t published = 0;
    if (src_pitch == pitch) {
      for (std::uint64_t at = 0; at < total; at += kWpPublishBytes) {
        const std::uint64_t n = std::min(kWpPublishBytes, total - at);
        copy_to_shared(dst + at, src + at, n);
        wp.store(static_cast<std::uint32_t>(at + n), std::memory_order_release);
      }
    } else {
      for (std::uint64_t y = 0; y < rows; ++y) {
        std::memcpy(dst + y * pitch, src + y * src_pitch, pitch);
        if ((y + 1) * pitch - published >= kWpPublishBytes) {
          published = (y + 1) * pitch;
          wp.store(static_cast<std::uint32_t>(published), std::memory_order_release);
        }
      }
    }
  } else {
    // Rects in order of their first row: once rect i is done, every row above the next rect's
    // first row is final, so the pointer can move there.
    std::sort(to_copy.begin(), to_copy.end(),
              [](const b7::DamageRect& a, const b7::DamageRect& b) { return a.y < b.y; });
    for (std::size_t i = 0; i < to_copy.size(); ++i) {
      const RowSpan span = row_span(desc, to_copy[i], rows);
      for (std::uint64_t y = span.y0; y < span.y1; ++y) {
        std::memcpy(dst + y * pitch + span.byte0, src + y * src_pitch + span.byte0, span.bytes);
      }
      if (i + 1 < to_copy.size()) {
        const std::uint64_t next_row = std::min<std::uint64_t>(to_copy[i + 1].y, rows);
        const std::uint64_t ready = next_row * pitch;
        if (ready > wp.load(std::memory_order_relaxed)) {
          wp.store(static_cast<std::uint32_t>(ready), std::memory_order_release);
        }
      }
    }
  }
  wp.store(static_cast<std::uint32_t>(total), std::memory_order_release);
  return written;
}

void Producer::post_cursor_locked(std::uint32_t flags, std::uint32_t offset, std::uint32_t size) {
  if (host_.post(kPointerQueueIndex, flags, offset, size, monotonic_ms()) ==
      lgmp::PostResult::kPosted) {
    ++stats_.cursor_posts;
  }
}

Status Producer::write_cursor(const CursorUpdate& update) {
  std::scoped_lock lock(mutex_);
  const SharedRegion region = host_.region();
  if (update.position) {
    cursor_x_ = update.position->first;
    cursor_y_ = update.position->second;
  }
  cursor_visible_ = update.visible;
  const std::uint32_t visible = update.visible ? b7::kCursorFlagVisible : 0;

  if (update.shape) {
    const auto& s = *update.shape;
    const std::uint64_t bytes = std::uint64_t{s.height} * s.pitch;
    if (s.width == 0 || s.width > b7::kMaxCursorDim || s.height == 0 ||
        bytes > b7::kMaxCursorShapeBytes || s.pixels.size() < bytes) {
      return fail(ErrorCode::kInvalidArgument, "cursor shape {}x{} pitch {}", s.width, s.height,
                  s.pitch);
    }
    const std::uint32_t offset = shape_buffers_[next_shape_buffer_];
    next_shape_buffer_ = (next_shape_buffer_ + 1) % shape_buffers_.size();
    b7::KvmfrCursor header{};
    header.x = cursor_x_;
    header.y = cursor_y_;
    header.type = static_cast<std::uint32_t>(s.type);
    header.hx = s.hotspot_x;
    header.hy = s.hotspot_y;
    header.width = s.width;
    header.height = s.height;
    header.pitch = s.pitch;
    (void)region.copy_in(offset, header);
    std::memcpy(region.base() + offset + sizeof header, s.pixels.data(), bytes);
    current_shape_buffer_ = offset;
    current_shape_size_ = static_cast<std::uint32_t>(sizeof header + bytes);
    post_cursor_locked(b7::kCursorFlagShape | b7::kCursorFlagPosition | visible, offset,
                       current_shape_size_);
    return {};
  }
  // Position-only: the pointer queue is 20 deep with 20 buffers, and a full queue drops the
  // update (the next one carries a newer position anyway).
  if (host_.pending(kPointerQueueIndex) >= b7::kPointerQueueLength) return {};
  const std::uint32_t offset = position_buffers_[next_position_buffer_];
  next_position_buffer_ = (next_position_buffer_ + 1) % position_buffers_.size();
  b7::KvmfrCursor header{};
  header.x = cursor_x_;
  header.y = cursor_y_;
  (void)region.copy_in(offset, header);
  post_cursor_locked((update.position ? b7::kCursorFlagPosition : 0) | visible, offset,
                     sizeof header);
  return {};
}

void Producer::handle_tick_locked(const lgmp::Host::Tick& tick) {
  if (tick.reinitialised) {
    ++stats_.reinitialisations;
    spdlog::warn("shared memory header was damaged; re-initialised as session {:08x}",
                 host_.session_id());
    frame_posts_ = 0;
    for (auto& s : slots_) s.last_post_seq = 0;
    return;
  }
  // A new subscriber gets the newest frame and the cursor at once, not at the next change.
  if (tick.new_subscribers[kFrameQueueIndex] > 0 && latest_slot_) {
    const Slot& slot = slots_[*latest_slot_];
    if (host_.post(kFrameQueueIndex, 0, slot.offset, static_cast<std::uint32_t>(slot_bytes_),
                   monotonic_ms()) == lgmp::PostResult::kPosted) {
      note_post(*latest_slot_);
      ++stats_.reposts;
    }
  }
  if (tick.new_subscribers[kPointerQueueIndex] > 0 && current_shape_buffer_) {
    // Refresh the stored position so the re-posted shape lands where the pointer is now.
    const SharedRegion region = host_.region();
    (void)region.copy_in(*current_shape_buffer_ + offsetof(b7::KvmfrCursor, x), cursor_x_);
    (void)region.copy_in(*current_shape_buffer_ + offsetof(b7::KvmfrCursor, y), cursor_y_);
    post_cursor_locked(b7::kCursorFlagShape | b7::kCursorFlagPosition |
                           (cursor_visible_ ? b7::kCursorFlagVisible : 0),
                       *current_shape_buffer_, current_shape_size_);
  }
  for (const auto& message : tick.mailbox) {
    b7::KvmfrSetCursorPos request{};
    if (message.queue_index != kPointerQueueIndex || message.size < sizeof request) continue;
    std::memcpy(&request, message.data.data(), sizeof request);
    if (request.type != b7::kMessageSetCursorPos) continue;
    if (position_requests_.size() < 64) position_requests_.push_back({request.x, request.y});
  }
}

void Producer::tick() {
  std::scoped_lock lock(mutex_);
  handle_tick_locked(host_.process(monotonic_ms()));
}

std::vector<CursorPositionRequest> Producer::take_cursor_position_requests() {
  std::scoped_lock lock(mutex_);
  return std::exchange(position_requests_, {});
}

ProducerStats Producer::stats() const {
  std::scoped_lock lock(mutex_);
  return stats_;
}

std::uint32_t Producer::session_id() const {
  std::scoped_lock lock(mutex_);
  return host_.session_id();
}

bool Producer::has_frame_subscribers() const {
  std::scoped_lock lock(mutex_);
  return host_.has_subscribers(kFrameQueueIndex);
}

}  // namespace periscope
