#pragma once
// Three frame buffers between the receive thread (the one writer) and whoever shows the frames
// (the one reader), so that neither ever copies a frame for the other or waits for it.
//
// The writer copies each frame out of shared memory straight into a buffer the reader is not
// using; publishing it is a pointer swap under a short lock. The reader leases the latest
// published buffer and uploads from it while the writer fills another. With three buffers the
// writer always has one that is neither the latest nor leased: a slow reader skips frames
// (late frames are dropped, never queued) and never holds up the guest's queue.
//
// Damage: each publish records the frame's damage under a generation number (ours, counting
// publishes: B7 serials restart with the producer). A buffer the writer reuses is a few frames
// behind; it is brought up to date by copying the damage of every frame it missed (the shared
// memory slot always holds the whole current frame). The reader likewise gets the damage since
// the generation it last showed, so it uploads only what changed. When a frame in between had
// full damage or fell out of the history, the answer is "everything".
#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "relay/frame_info.hpp"

namespace periscope {

struct Frame {
  b7::FrameInfo info;
  std::vector<std::byte> pixels;  // info.data_height rows of info.pitch bytes
};

class FrameRing {
 public:
  static constexpr std::size_t kBuffers = 3;
  // Generations of damage remembered; a buffer further behind is refreshed whole.
  static constexpr std::size_t kHistory = 16;
  // More rectangles than this in one catch-up copy are not worth tracking: copy everything.
  static constexpr std::size_t kMaxCatchUpRects = 256;

  // The rectangles to copy, or nullopt for the whole frame.
  using Damage = std::optional<std::vector<b7::TexelRect>>;

  FrameRing() = default;
  FrameRing(const FrameRing&) = delete;
  FrameRing& operator=(const FrameRing&) = delete;

  // ---- writer (the receive thread) ----

  // A buffer for the next frame: neither the latest nor leased. Its content is whole up to
  // the generation write_target_generation() names (nullopt: nothing usable).
  Frame& begin_write();
  [[nodiscard]] std::optional<std::uint64_t> write_target_generation() const;
  // What to copy into the write buffer so it holds the frame about to be published as the
  // next generation, whose own damage is `frame_damage` (nullopt: full): the damage of the
  // generations it missed plus that one, or nullopt when it must be copied whole.
  [[nodiscard]] Damage catch_up_damage(const Damage& frame_damage) const;
  // The buffer from begin_write() now holds the frame whole: make it the latest.
  void publish(const Damage& frame_damage);
  // The copy into the write buffer failed: its content is not whole any more.
  void abandon_write();
  // Forget every buffer's content (a new session; frames were missed). The latest frame stays
  // readable until a new one is published, but nothing is caught up from it.
  void invalidate();

  // The latest published frame; only for the writer's thread (the writer never changes the
  // latest buffer), or after the writer stopped.
  [[nodiscard]] const Frame* latest() const;
  [[nodiscard]] std::uint64_t latest_generation() const;

  // ---- reader (one thread) ----

  // A leased buffer: the writer leaves it alone until the lease ends.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    [[nodiscard]] const Frame& frame() const { return *frame_; }
    [[nodiscard]] std::uint64_t generation() const { return generation_; }
    // What changed since the generation the reader said it has (nullopt: everything).
    [[nodiscard]] const Damage& damage() const { return damage_; }

   private:
    friend class FrameRing;
    Lease(FrameRing* ring, const Frame* frame, std::uint64_t generation, Damage damage)
        : ring_(ring), frame_(frame), generation_(generation), damage_(std::move(damage)) {}
    FrameRing* ring_;
    const Frame* frame_;
    std::uint64_t generation_;
    Damage damage_;
  };

  // The latest frame when it is newer than `have` (the generation the reader shows; 0 for
  // none), else nullopt. One lease at a time.
  std::optional<Lease> acquire(std::uint64_t have);

 private:
  struct Record {
    std::uint64_t generation{0};
    bool full{true};
    std::uint32_t count{0};
    std::array<b7::TexelRect, b7::kMaxDamageRects> rects{};
  };

  // The damage of generations (after, upto]; nullopt when any was full or is forgotten.
  // Caller holds mutex_.
  [[nodiscard]] Damage damage_between(std::uint64_t after, std::uint64_t upto,
                                      std::size_t extra_rects) const;
  void release(const Frame* frame);

  mutable std::mutex mutex_;
  std::array<Frame, kBuffers> buffers_;
  // Generation each buffer holds whole; 0: nothing usable.
  std::array<std::uint64_t, kBuffers> content_{};
  std::optional<std::size_t> latest_;
  std::optional<std::size_t> leased_;
  std::optional<std::size_t> writing_;
  std::uint64_t generation_{0};  // of the latest publish
  // Generations at or below this are not caught up from (invalidate()).
  std::uint64_t barrier_{0};
  std::array<Record, kHistory> history_{};
};

}  // namespace periscope
