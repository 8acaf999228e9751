#include "audio/frame_assembler.hpp"

#include <algorithm>

namespace periscope::audio {

FrameAssembler::Frames FrameAssembler::push(const StreamFormat& format,
                                            std::span<const std::byte> pcm) {
  if (format != format_) {
    // Bytes of another format never join this one's.
    format_ = format;
    carried_bytes_ = 0;
  }
  const std::size_t frame_bytes = format.bytes_per_frame();
  Frames out{format, {}, {}};
  if (frame_bytes == 0 || frame_bytes > kMaxFrameBytes) return out;

  if (carried_bytes_ > 0) {
    const std::size_t take = std::min(frame_bytes - carried_bytes_, pcm.size());
    if (carried_bytes_ + take < frame_bytes) {
      std::copy_n(pcm.begin(), take, carry_.begin() + static_cast<std::ptrdiff_t>(carried_bytes_));
      carried_bytes_ += take;
      return out;
    }
    std::copy_n(carry_.begin(), carried_bytes_, joined_.begin());
    std::copy_n(pcm.begin(), take, joined_.begin() + static_cast<std::ptrdiff_t>(carried_bytes_));
    out.joined = std::span<const std::byte>(joined_.data(), frame_bytes);
    pcm = pcm.subspan(take);
  }
  const std::size_t whole_bytes = pcm.size() - pcm.size() % frame_bytes;
  out.whole = pcm.first(whole_bytes);
  const auto rest = pcm.subspan(whole_bytes);
  std::copy(rest.begin(), rest.end(), carry_.begin());
  carried_bytes_ = rest.size();
  return out;
}

}  // namespace periscope::audio
