#pragma once
// Joins frames that the Scream driver cut across two datagrams. The driver sends its PCM byte
// stream in 1152-byte pieces whatever the frame size, so for 5- and 7-channel formats (frames
// of 10, 14, 15, 20, 21 or 28 bytes) a frame can start in one datagram and end in the next.
// Without sequence numbers a lost datagram cannot be seen; the assembler only keeps the
// carried bytes while the format stays the same, and the next whole datagram of a format whose
// frames divide 1152 resynchronises by itself.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "audio/scream_format.hpp"

namespace periscope::audio {

class FrameAssembler {
 public:
  static constexpr std::size_t kMaxFrameBytes = 4 * kScreamMaxChannels;

  struct Frames {
    StreamFormat format;
    std::span<const std::byte> joined;  // 0 or 1 frame: carried bytes + the head of this pcm
    std::span<const std::byte> whole;   // whole frames inside this pcm, after `joined`
  };

  // The spans point into this object and into `pcm`; they are valid until the next call.
  Frames push(const StreamFormat& format, std::span<const std::byte> pcm);
  void reset() { carried_bytes_ = 0; }
  [[nodiscard]] std::size_t carried_bytes() const { return carried_bytes_; }

 private:
  StreamFormat format_{};
  std::array<std::byte, kMaxFrameBytes> carry_{};   // the start of a frame cut by the sender
  std::array<std::byte, kMaxFrameBytes> joined_{};  // the frame completed by the last push
  std::size_t carried_bytes_{0};
};

}  // namespace periscope::audio
