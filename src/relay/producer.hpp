#pragma once
// The guest side of the relay: writes frames and cursor updates in the B7 format so that our
// viewer or the stock Looking Glass B7 client can read them. Owns an LGMP host and a heartbeat
// thread that keeps the session alive every 5 ms (the format asks for at least every 10 ms).
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "relay/cursor_image.hpp"
#include "relay/kvmfr_udata.hpp"
#include "relay/layout.hpp"
#include "relay/lgmp_host.hpp"
#include "relay/shared_region.hpp"

namespace periscope {

struct ProducerOptions {
  b7::KvmfrInfo info;           // hostver, features, VMINFO/OSINFO records
  bool heartbeat_thread{true};  // false: the caller calls tick() itself (tests)
  Milliseconds heartbeat_period{5};
  // Called right after a frame message is posted, before its pixels stream (post clock).
  std::function<void(std::uint32_t serial, TimePoint posted_at)> on_frame_posted;
};

struct FrameDesc {
  b7::FrameType type{b7::FrameType::kBgra};
  std::uint32_t width{0};  // pixels
  std::uint32_t height{0};
  std::uint32_t screen_width{0};  // 0: same as width/height
  std::uint32_t screen_height{0};
  b7::FrameRotation rotation{b7::FrameRotation::k0};
  std::uint32_t flags{0};
};

enum class FramePost { kPosted, kNoSubscribers, kDropped };

struct FrameWritten {
  FramePost post{FramePost::kNoSubscribers};
  std::uint32_t serial{0};
  bool truncated{false};
  TimePoint posted_at;  // when the message became visible (before the pixels streamed)
};

struct CursorUpdate {
  bool visible{true};
  std::optional<std::pair<std::int16_t, std::int16_t>> position;  // top-left of the image
  using Shape = CursorImage;
  std::optional<Shape> shape;
};

struct CursorPositionRequest {
  std::int32_t x;
  std::int32_t y;
};

struct ProducerStats {
  std::uint64_t frames_written{0};
  std::uint64_t frames_posted{0};
  std::uint64_t frames_dropped{0};
  std::uint64_t cursor_posts{0};
  std::uint64_t reposts{0};
  std::uint64_t reinitialisations{0};
};

class Producer {
 public:
  static Result<std::unique_ptr<Producer>> create(SharedRegion region, ProducerOptions options);
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;
  ~Producer();

  // Bytes of pixel data one frame slot holds.
  [[nodiscard]] std::uint64_t max_frame_bytes() const { return slot_bytes_ - b7::kPageBytes; }
  // Whether a frame of this size fits without truncation.
  [[nodiscard]] bool fits(const FrameDesc& desc) const;

  // Writes one frame: waits up to `wait_budget` for a free slot, posts the message, then
  // streams the pixels behind the write pointer. `src` has desc.height rows of `src_pitch`
  // bytes in the stored layout; `damage` (pixel coordinates, empty = everything) says what
  // changed since the previous frame.
  Result<FrameWritten> write_frame(const FrameDesc& desc, const std::byte* src,
                                   std::uint32_t src_pitch, std::span<const b7::DamageRect> damage,
                                   Nanoseconds wait_budget);
  Status write_cursor(const CursorUpdate& update);

  // The heartbeat; called by the heartbeat thread, or by the owner when it has none.
  void tick();
  std::vector<CursorPositionRequest> take_cursor_position_requests();
  [[nodiscard]] ProducerStats stats() const;
  [[nodiscard]] std::uint32_t session_id() const;
  [[nodiscard]] bool has_frame_subscribers() const;

 private:
  struct Slot {
    std::uint32_t offset{0};
    std::uint64_t last_post_seq{0};  // 1-based sequence of the last message naming this slot
    bool missing_all{true};          // content older than the newest frame, not tracked by rect
    std::vector<b7::DamageRect> missing;  // rects behind the newest frame
  };

  Producer(lgmp::Host host, ProducerOptions options);
  Status lay_out();
  [[nodiscard]] bool slot_free(const Slot& slot) const;
  void note_post(std::size_t slot_index);
  void post_cursor_locked(std::uint32_t flags, std::uint32_t offset, std::uint32_t size);
  void handle_tick_locked(const lgmp::Host::Tick& tick);

  mutable std::mutex mutex_;  // guards host_ bookkeeping; pixel streaming runs outside it
  lgmp::Host host_;
  ProducerOptions options_;
  std::uint64_t slot_bytes_{0};
  std::vector<Slot> slots_;
  std::optional<std::size_t> latest_slot_;  // holds the newest frame written
  std::uint32_t frame_serial_{0};
  std::uint32_t format_ver_{0};
  bool next_message_full_{false};  // a frame was lost: the next message must say "everything"
  std::optional<FrameDesc> last_desc_;
  std::uint64_t frame_posts_{0};  // messages posted on the frame queue since (re)initialisation

  std::vector<std::uint32_t> position_buffers_;
  std::size_t next_position_buffer_{0};
  std::vector<std::uint32_t> shape_buffers_;
  std::size_t next_shape_buffer_{0};
  std::optional<std::uint32_t> current_shape_buffer_;
  std::uint32_t current_shape_size_{0};
  bool cursor_visible_{false};
  std::int16_t cursor_x_{0};
  std::int16_t cursor_y_{0};

  std::vector<CursorPositionRequest> position_requests_;
  ProducerStats stats_;
  std::jthread heartbeat_;
};

}  // namespace periscope
