#pragma once
// A ring of interleaved float frames: the jitter buffer's storage. Fixed capacity (allocated by
// configure, never per packet); when full, the oldest frames make room, since old audio is
// worth less than new audio to a live stream.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace periscope::audio {

class FrameFifo {
 public:
  // Allocates room for capacity_frames frames and empties the ring.
  void configure(std::uint32_t channels, std::size_t capacity_frames);
  void clear() { read_frame_ = fill_frames_ = 0; }

  // Appends whole frames; returns how many old frames were dropped to make room.
  std::size_t push(std::span<const float> interleaved);
  // Drops up to `frames` of the oldest frames; returns how many.
  std::size_t discard(std::size_t frames);
  // The oldest min(frames, fill) frames, in at most two pieces (the ring wraps).
  [[nodiscard]] std::array<std::span<const float>, 2> peek(std::size_t frames) const;

  [[nodiscard]] std::size_t fill_frames() const { return fill_frames_; }
  [[nodiscard]] std::size_t capacity_frames() const { return capacity_frames_; }
  [[nodiscard]] std::uint32_t channels() const { return channels_; }

 private:
  std::vector<float> samples_;
  std::uint32_t channels_{1};
  std::size_t capacity_frames_{0};
  std::size_t read_frame_{0};
  std::size_t fill_frames_{0};
};

}  // namespace periscope::audio
