#include "audio/audio_pipeline.hpp"

#include <algorithm>

namespace periscope::audio {

void AudioPipeline::on_datagram(std::span<const std::byte> datagram, TimePoint arrival) {
  const auto packet = parse_udp_packet(datagram);
  const std::scoped_lock lock(mutex_);
  if (!packet) {
    ++stats_.drops;
    ++stats_.drops_by_reason[static_cast<std::size_t>(packet.error())];
    return;
  }
  const FrameAssembler::Frames frames = assembler_.push(packet->format, packet->pcm);
  ++stats_.packets;
  if (!frames.joined.empty()) accept(frames.format, frames.joined, arrival);
  if (!frames.whole.empty()) accept(frames.format, frames.whole, arrival);
}

void AudioPipeline::on_chunk(const StreamFormat& format, std::span<const std::byte> pcm,
                             TimePoint arrival) {
  const std::scoped_lock lock(mutex_);
  ++stats_.packets;
  accept(format, pcm, arrival);
}

void AudioPipeline::accept(const StreamFormat& format, std::span<const std::byte> pcm,
                           TimePoint arrival) {
  stats_.format = format;
  if (recorder_ != nullptr) {
    if (format == recorder_->format()) {
      (void)recorder_->write(pcm);
    } else {
      stats_.recorder_frames_skipped += pcm.size() / format.bytes_per_frame();
    }
    return;
  }
  playout_.push(format, pcm, arrival.time_since_epoch());
}

void AudioPipeline::render(std::span<float> out, Nanoseconds now) {
  const std::scoped_lock lock(mutex_);
  // A frame's wait from arrival to output is the fill level it finds (Little's law); over this
  // block the level falls from what is buffered now by the block's length, so its mean, the
  // level now less half a block, is the latency of the frames played in it (the device's own
  // latency comes on top).
  if (playout_.state() == PlayoutState::kPlaying) {
    const auto channels = std::max<std::size_t>(1, playout_.options().output_channels);
    const Nanoseconds half_block(static_cast<std::int64_t>(
        (out.size() / channels) * 500'000'000ULL / playout_.options().output_rate_hz));
    stats_.latency_samples.add(playout_.latency() - half_block);
  }
  playout_.render(out, now);
}

AudioPipelineStats AudioPipeline::stats() const {
  const std::scoped_lock lock(mutex_);
  AudioPipelineStats s = stats_;
  s.playout = playout_.stats();
  s.correction = playout_.correction();
  s.latency = playout_.latency();
  return s;
}

}  // namespace periscope::audio
