#include "audio/frame_fifo.hpp"

#include <algorithm>

namespace periscope::audio {

void FrameFifo::configure(std::uint32_t channels, std::size_t capacity_frames) {
  channels_ = std::max<std::uint32_t>(channels, 1);
  capacity_frames_ = capacity_frames;
  samples_.assign(capacity_frames * channels_, 0.0F);
  clear();
}

std::size_t FrameFifo::push(std::span<const float> interleaved) {
  std::size_t frames = interleaved.size() / channels_;
  if (capacity_frames_ == 0) return frames;
  std::size_t dropped = 0;
  if (frames > capacity_frames_) {
    // Only the newest capacity's worth can stay.
    dropped += frames - capacity_frames_;
    interleaved = interleaved.subspan(dropped * channels_);
    frames = capacity_frames_;
  }
  if (fill_frames_ + frames > capacity_frames_) {
    dropped += discard(fill_frames_ + frames - capacity_frames_);
  }
  std::size_t write_frame = (read_frame_ + fill_frames_) % capacity_frames_;
  std::size_t done = 0;
  while (done < frames) {
    const std::size_t run = std::min(frames - done, capacity_frames_ - write_frame);
    std::copy_n(interleaved.begin() + static_cast<std::ptrdiff_t>(done * channels_),
                run * channels_,
                samples_.begin() + static_cast<std::ptrdiff_t>(write_frame * channels_));
    done += run;
    write_frame = (write_frame + run) % capacity_frames_;
  }
  fill_frames_ += frames;
  return dropped;
}

std::size_t FrameFifo::discard(std::size_t frames) {
  frames = std::min(frames, fill_frames_);
  if (frames == 0) return 0;
  read_frame_ = (read_frame_ + frames) % capacity_frames_;
  fill_frames_ -= frames;
  return frames;
}

std::array<std::span<const float>, 2> FrameFifo::peek(std::size_t frames) const {
  frames = std::min(frames, fill_frames_);
  const std::size_t first = std::min(frames, capacity_frames_ - read_frame_);
  const std::span<const float> all(samples_);
  return {all.subspan(read_frame_ * channels_, first * channels_),
          all.subspan(0, (frames - first) * channels_)};
}

}  // namespace periscope::audio
