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
// Bursts are bursty: the mean burst counts as one when it holds more than this many datagrams.
constexpr double kBurstyDatagrams = 1.5;
// Bursts seen before playback first starts: the typical one is then not just the first.
constexpr std::size_t kBurstsBeforeStart = 3;
// Room below a bursty sender's trough for its timing jitter (besides one datagram for the
// capture's remainder, which makes bursts differ by one), and for the level's excursion while
// the controller learns an unknown drift after the first start (about 4 ms for 0.5 %).
constexpr double kBurstJitterMarginS = 0.002;
constexpr double kDriftStartMarginS = 0.004;

double seconds(Nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

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
  playing_target_frames_ = target_frames_;
  arrivals_.reset();  // bursts of the old format say nothing about the new one
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
  packet_frames_ = frames;
  arrivals_.add(frames, arrival, format.rate_hz);
  if (state_ == PlayoutState::kPlaying) controller_.observe(latency(), arrival);
}

bool JitterBuffer::sender_paused(Nanoseconds now) const {
  // Nothing for two bursts (two datagrams, from a steady sender): the sender has paused. A
  // bursty sender is silent for a whole burst period between bursts, normally; two datagram
  // periods (12 ms) made every such silence look like a pause, so priming gave up and played
  // the one burst it had, far below a 40 or 60 ms target (the controller then played 1 % flat
  // for seconds to fill up), and running low was counted as a gap.
  const double burst = std::max(arrivals_.burst_frames(), static_cast<double>(packet_frames_));
  const double rate = format_ ? format_->rate_hz : 1.0;
  return seconds(now - arrivals_.last_arrival()) > 2.0 * burst / rate;
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
    const auto block_input_frames =
        static_cast<std::size_t>(static_cast<double>(frames) * resampler_.nominal_step());
    const StartLevel level = start_playing_level(block_input_frames, now);
    // The start is placed on the arrivals' sawtooth, so the typical burst must be known: a
    // first bunch of datagrams (a stall on either side) taken for the pattern would put the
    // mean a whole bunch off the target and raise the target for as long as the stream runs.
    if (fifo_.fill_frames() >= level.start_frames && arrivals_.bursts() >= kBurstsBeforeStart) {
      start_playing(level, now);
    } else if (fifo_.fill_frames() > 0 && sender_paused(now)) {
      // A short sound whose sender went quiet: play what there is.
      start_playing(level, now);
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

JitterBuffer::StartLevel JitterBuffer::start_playing_level(std::size_t block_input_frames,
                                                           Nanoseconds now) const {
  // The target is the mean level, and the level is a sawtooth: up by a burst B at each
  // arrival (one datagram from a steady sender; a whole capture quantum, 3 or 4 datagrams at
  // once, from a bursty one), down by a block K at each callback. Measured from its mean it
  // swings between +(B + K) / 2, just before a callback that follows a burst, and -(B + K) / 2,
  // just after a callback that precedes one.
  //
  // A steady sender: right now the level is near its top (a block is about to be taken, a
  // datagram came in at most a period ago), so start (K + B) / 2 above the target, as always.
  // (Taking off the time since that datagram, as below, places the mean exactly in the
  // simulation, where a steady sender's clock is a datagram period. Real steady-ish senders
  // are less regular: `--capture pulse` cuts 5 ms fragments into 6 ms datagrams, so what it
  // holds back varies by most of a datagram, and with that change its end-to-end test once
  // ran dry at 20 ms. Steady senders keep the start they had.)
  //
  // A bursty sender: a tooth is a whole burst high (21 or 43 ms), so where on it playback
  // starts matters. The last burst came `since` ago, so the level is (B + K) / 2 - since x rate
  // above the mean it will hold: start there, and the mean lands on the target from the first
  // tooth on instead of being found off it over the next second and chased with the pitch
  // (the proportional term plays 0.1 % per ms of error). Starting at the top regardless, as if
  // B were a datagram, could put a 1024-frame sender's mean up to 8 ms below the target. What
  // no arrival tells is how much the sender holds back (its quantum's remainder, under a
  // datagram): the start can still be off by up to half a datagram, 3 ms, which the loop
  // works off.
  //
  // The trough then sits (B + K) / 2 below the target, lower by up to a datagram while the
  // sender holds back its remainder and by its timing jitter, and, right after the first
  // start, by the level's excursion while the controller learns an unknown drift. Where the
  // target leaves less than that above empty, every trough risks running dry, so a bursty
  // sender's target is raised to what its bursts need: (B + K) / 2 + a datagram + 6 ms (25 ms
  // for 21 ms bursts into 5 ms callbacks, 36 ms for 43 ms bursts), never so far that the
  // overflow limit is less than its margin above it. B is what the bursts before the start
  // showed; larger bursts later are met at the next start. A steady sender keeps the target it
  // was given (the user chose it, and a datagram's sawtooth is small).
  const double rate = format_->rate_hz;
  const auto packet = static_cast<double>(packet_frames_);
  const double burst = std::max(arrivals_.burst_frames(), packet);
  const auto block = static_cast<double>(block_input_frames);
  if (burst <= kBurstyDatagrams * packet) {
    return {target_frames_ + (block_input_frames + packet_frames_) / 2, target_frames_};
  }
  const double needed =
      (burst + block) / 2 + packet + (kBurstJitterMarginS + kDriftStartMarginS) * rate;
  // The overflow limit stays at least its margin above.
  const auto limit = static_cast<double>(frames_for(options_.max_latency - kMinOverflowMargin));
  const double target = std::max(static_cast<double>(target_frames_), std::min(needed, limit));
  const double since = std::clamp(seconds(now - arrivals_.last_burst_start()) * rate, 0.0, burst);
  const double start = target + (burst + block) / 2 - since;
  return {static_cast<std::size_t>(std::llround(std::max(start, 1.0))),
          static_cast<std::size_t>(std::llround(target))};
}

void JitterBuffer::start_playing(const StartLevel& level, Nanoseconds now) {
  // Whatever piled up beyond the start level (a burst at resume, a slow start) would be
  // latency for as long as the stream runs: drop the oldest of it now.
  if (fifo_.fill_frames() > level.start_frames) {
    stats_.frames_dropped += fifo_.discard(fifo_.fill_frames() - level.start_frames);
  }
  resampler_.reset();
  state_ = PlayoutState::kPlaying;
  playing_target_frames_ = level.target_frames;
  controller_.set_target(
      level.target_frames == target_frames_
          ? options_.target_latency
          : from_seconds(static_cast<double>(level.target_frames) / format_->rate_hz));
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
        fifo_.discard(fifo_.fill_frames() - std::min(fifo_.fill_frames(), playing_target_frames_));
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
