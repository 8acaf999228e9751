#include "audio/jitter_buffer.hpp"

#include <algorithm>
#include <cmath>

#include "audio/pcm.hpp"

namespace periscope::audio {

namespace {

constexpr std::size_t kSliceFrames = 256;  // decode and mix in pieces of this many frames
constexpr double kNanosecondsPerSecond = 1e9;
// Headroom of the FIFO above max_latency: one IVSHMEM chunk (20 ms) and then some.
constexpr Nanoseconds kFifoHeadroom = Milliseconds(60);
// How far above the target max_latency is at least.
constexpr Nanoseconds kMinOverflowMargin = Milliseconds(50);
// Resampler step headroom above the controller's largest correction.
constexpr double kStepHeadroom = 0.01;

}  // namespace

JitterBuffer::JitterBuffer(JitterBufferOptions options) : options_(options) {
  options_.output_rate_hz = std::max<std::uint32_t>(options_.output_rate_hz, 1);
  options_.output_channels =
      std::clamp<std::uint32_t>(options_.output_channels, 1, ChannelMixer::kMaxChannels);
  options_.max_block_frames = std::max<std::size_t>(options_.max_block_frames, 1);
  // Playback starts above the target (half a block and half a packet, see render_block):
  // an overflow limit that close would cut it back at once, again and again.
  options_.max_latency =
      std::max(options_.max_latency, options_.target_latency + kMinOverflowMargin);
  options_.drift.target_latency = options_.target_latency;
  controller_ = DriftController(options_.drift);
  decoded_.assign(kSliceFrames * ChannelMixer::kMaxChannels, 0.0F);
  mixed_.assign(kSliceFrames * options_.output_channels, 0.0F);
  last_out_.assign(options_.output_channels, 0.0F);
  crossfade_from_.assign(options_.output_channels, 0.0F);
  fade_frames_ = std::max<std::size_t>(
      1, static_cast<std::size_t>(std::llround(
             std::chrono::duration<double>(options_.fade).count() * options_.output_rate_hz)));
}

std::size_t JitterBuffer::frames_for(Nanoseconds duration) const {
  const double rate = format_ ? format_->rate_hz : 0.0;
  return static_cast<std::size_t>(
      std::llround(static_cast<double>(duration.count()) * rate / kNanosecondsPerSecond));
}

double JitterBuffer::buffered_frames() const {
  const double in_resampler = state_ == PlayoutState::kPlaying ? resampler_.buffered_frames() : 0.0;
  return static_cast<double>(fifo_.fill_frames()) + in_resampler;
}

Nanoseconds JitterBuffer::latency() const {
  if (!format_) return Nanoseconds(0);
  return Nanoseconds(std::llround(buffered_frames() * kNanosecondsPerSecond / format_->rate_hz));
}

void JitterBuffer::configure(const StreamFormat& format) {
  if (format_) {
    ++stats_.format_changes;
    if (state_ == PlayoutState::kPlaying) begin_crossfade();  // to silence while priming
  }
  format_ = format;
  target_frames_ = frames_for(options_.target_latency);
  max_frames_ = frames_for(options_.max_latency);
  fifo_.configure(options_.output_channels, frames_for(options_.max_latency + kFifoHeadroom));
  resampler_.configure(options_.output_channels, format.rate_hz, options_.output_rate_hz,
                       options_.max_block_frames,
                       1.0 + options_.drift.max_correction + kStepHeadroom, options_.quality);
  mixer_.configure(format.channels, format.channel_mask, options_.output_channels);
  state_ = PlayoutState::kPriming;
}

void JitterBuffer::push(const StreamFormat& format, std::span<const std::byte> pcm,
                        Nanoseconds arrival) {
  if (!is_valid_format(format)) {
    ++stats_.packets_rejected;
    return;
  }
  if (format_ != format) configure(format);
  const std::size_t frame_bytes = format.bytes_per_frame();
  const std::size_t frames = pcm.size() / frame_bytes;
  if (frames == 0) return;
  for (std::size_t done = 0; done < frames;) {
    const std::size_t n = std::min(kSliceFrames, frames - done);
    decode_pcm(format.bits, pcm.subspan(done * frame_bytes, n * frame_bytes), decoded_);
    mixer_.mix(decoded_, mixed_, n);
    stats_.frames_dropped +=
        fifo_.push(std::span<const float>(mixed_).first(n * options_.output_channels));
    done += n;
  }
  ++stats_.packets;
  stats_.frames_in += frames;
  last_arrival_ = arrival;
  packet_frames_ = frames;
  packet_period_ = Nanoseconds(static_cast<std::int64_t>(static_cast<double>(frames) *
                                                         kNanosecondsPerSecond / format.rate_hz));
  if (state_ == PlayoutState::kPlaying) controller_.observe(latency(), arrival);
}

bool JitterBuffer::sender_paused(Nanoseconds now) const {
  return now - last_arrival_ > 2 * packet_period_;
}

void JitterBuffer::render(std::span<float> out, Nanoseconds now) {
  const std::size_t channels = options_.output_channels;
  const std::size_t frames = out.size() / channels;
  for (std::size_t done = 0; done < frames;) {
    const std::size_t n = std::min(options_.max_block_frames, frames - done);
    render_block(out.subspan(done * channels, n * channels), n, now);
    done += n;
  }
}

void JitterBuffer::render_block(std::span<float> out, std::size_t frames, Nanoseconds now) {
  const std::size_t channels = options_.output_channels;
  if (state_ == PlayoutState::kPriming) {
    // The target is the mean level. Right now the level is at its top (this block has not been
    // taken yet, a packet has just come in); on average it sits half a block and half a packet
    // lower, so start that much above the target and the mean lands on it.
    const auto block_input_frames =
        static_cast<std::size_t>(static_cast<double>(frames) * resampler_.nominal_step());
    const std::size_t start_frames = target_frames_ + (block_input_frames + packet_frames_) / 2;
    if (fifo_.fill_frames() >= start_frames) {
      start_playing(start_frames, now);
    } else if (fifo_.fill_frames() > 0 && sender_paused(now)) {
      // A short sound whose sender went quiet: play what there is.
      start_playing(start_frames, now);
    }
  }
  std::size_t made = 0;
  if (state_ == PlayoutState::kPlaying) {
    made = render_playing(out, frames, now);
    apply_crossfade(out.first(made * channels));
    if (made < frames) {
      // Ran dry: we cannot fade the audio already played, so ramp from its last frame down to
      // silence instead of cutting to it.
      if (made > 0) {
        std::copy_n(out.begin() + static_cast<std::ptrdiff_t>((made - 1) * channels), channels,
                    last_out_.begin());
      }
      begin_crossfade();
    }
  }
  const auto rest = out.subspan(made * channels);
  std::fill(rest.begin(), rest.end(), 0.0F);
  apply_crossfade(rest);
  if (frames > 0) {
    std::copy_n(out.begin() + static_cast<std::ptrdiff_t>((frames - 1) * channels), channels,
                last_out_.begin());
  }
}

void JitterBuffer::start_playing(std::size_t start_frames, Nanoseconds now) {
  // Whatever piled up beyond the target (a burst at resume, a slow start) would be latency
  // for as long as the stream runs: drop the oldest of it now.
  if (fifo_.fill_frames() > start_frames) {
    stats_.frames_dropped += fifo_.discard(fifo_.fill_frames() - start_frames);
  }
  resampler_.reset();
  state_ = PlayoutState::kPlaying;
  controller_.restart(latency(), now);
  begin_crossfade();
}

void JitterBuffer::feed_resampler(std::size_t frames) {
  for (const auto piece : fifo_.peek(frames)) resampler_.push(piece);
  fifo_.discard(frames);
}

std::size_t JitterBuffer::render_playing(std::span<float> out, std::size_t frames,
                                         Nanoseconds now) {
  if (buffered_frames() > static_cast<double>(max_frames_)) {
    ++stats_.overflows;
    stats_.frames_dropped +=
        fifo_.discard(fifo_.fill_frames() - std::min(fifo_.fill_frames(), target_frames_));
    begin_crossfade();
  }
  const double step = resampler_.nominal_step() * (1.0 + controller_.correction());
  const std::size_t needed = resampler_.input_frames_needed(frames, step);
  if (needed <= fifo_.fill_frames()) {
    feed_resampler(needed);
    const std::size_t made = resampler_.render(out, frames, step);
    controller_.observe(latency(), now);
    return made;
  }
  // Not enough for the whole block: play what there is, then wait for the target again.
  const std::size_t possible = resampler_.output_frames_possible(fifo_.fill_frames(), step, frames);
  feed_resampler(fifo_.fill_frames());
  const std::size_t made = resampler_.render(out, possible, step);
  if (sender_paused(now)) {
    ++stats_.gaps;
  } else {
    ++stats_.underruns;
  }
  state_ = PlayoutState::kPriming;
  return made;
}

void JitterBuffer::begin_crossfade() {
  crossfade_from_ = last_out_;
  crossfade_left_ = fade_frames_;
}

void JitterBuffer::apply_crossfade(std::span<float> out) {
  const std::size_t channels = options_.output_channels;
  const std::size_t n = std::min(out.size() / channels, crossfade_left_);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t step = fade_frames_ - crossfade_left_ + 1;
    const float gain = static_cast<float>(step) / static_cast<float>(fade_frames_ + 1);
    float* frame = out.data() + i * channels;
    for (std::size_t c = 0; c < channels; ++c) {
      frame[c] = frame[c] * gain + crossfade_from_[c] * (1.0F - gain);
    }
    --crossfade_left_;
  }
}

}  // namespace periscope::audio
