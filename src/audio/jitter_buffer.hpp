#pragma once
// The playout core: frames arrive in bursts on the sender's clock and leave in blocks on the
// output's clock; in between a FIFO absorbs the jitter and a resampler, steered by the drift
// controller, consumes input exactly as fast as it arrives, so the latency stays at its target
// for as long as the stream runs.
//
//   push(format, pcm, arrival)  decode -> channel mix -> FIFO (input rate, output channels)
//   render(out, now)            FIFO -> resampler (step = nominal x (1 + correction)) -> out
//
// States: idle (no stream yet), priming (silence until the target is buffered; the excess is
// dropped so the mean level starts at exactly the target), playing. Running dry ends playback; it
// counts as a gap when the sender had paused (no arrival for more than two packet periods; the
// driver stops sending during silence) and as an underrun otherwise. Every discontinuity (a
// start, running dry, a flush on a format change, skipping an overflow) is crossfaded from the
// last frame output over `fade`, so the output never steps: audio already played cannot be
// faded, and no sequence numbers tell us a packet is late before the buffer is empty.
//
// Bursty senders (see arrival_pattern.hpp) are measured, not assumed away: playback first
// starts once three bursts have shown the pattern, at the point of the burst sawtooth that
// puts its mean on the target; the target is raised to what the bursts need when it is below
// it; only a silence longer than two bursts counts as the sender pausing. Details at
// start_playing_level() in the .cpp.
//
// Not thread-safe: call push and render from one thread, or under one lock. Nothing here
// allocates per packet or per block; a format change reallocates.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "audio/arrival_pattern.hpp"
#include "audio/channel_mixer.hpp"
#include "audio/drift_controller.hpp"
#include "audio/frame_fifo.hpp"
#include "audio/resampler.hpp"
#include "audio/scream_format.hpp"
#include "common/clock.hpp"

namespace periscope::audio {

struct JitterBufferOptions {
  std::uint32_t output_rate_hz{48000};
  std::uint32_t output_channels{2};
  std::size_t max_block_frames{4096};  // larger render calls are done in pieces
  Nanoseconds target_latency{Milliseconds(20)};
  // Above this the excess is dropped at once: the controller's 1 % would take seconds.
  // At least target_latency + 50 ms.
  Nanoseconds max_latency{Milliseconds(150)};
  Nanoseconds fade{Milliseconds(2)};
  DriftControllerOptions drift{};  // its target_latency is replaced by ours
  ResamplerQuality quality{};
};

enum class PlayoutState : std::uint8_t { kIdle, kPriming, kPlaying };

struct JitterBufferStats {
  std::uint64_t packets{0};
  std::uint64_t frames_in{0};
  std::uint64_t packets_rejected{0};  // invalid format
  std::uint64_t underruns{0};         // ran dry while the sender was sending
  std::uint64_t gaps{0};              // ran dry because the sender paused
  std::uint64_t format_changes{0};
  std::uint64_t overflows{0};       // latency above max_latency: cut back to the target
  std::uint64_t frames_dropped{0};  // input frames dropped: at a start, an overflow, a full FIFO
};

class JitterBuffer {
 public:
  explicit JitterBuffer(JitterBufferOptions options = {});

  // Whole frames of `format` that arrived at `arrival` (monotonic). A new format flushes what
  // is buffered and reconfigures; a trailing partial frame is ignored.
  void push(const StreamFormat& format, std::span<const std::byte> pcm, Nanoseconds arrival);
  // Fills `out` (interleaved, output channels) with what plays from `now` on.
  void render(std::span<float> out, Nanoseconds now);

  [[nodiscard]] PlayoutState state() const { return state_; }
  [[nodiscard]] const std::optional<StreamFormat>& format() const { return format_; }
  [[nodiscard]] const JitterBufferStats& stats() const { return stats_; }
  [[nodiscard]] const JitterBufferOptions& options() const { return options_; }
  // Audio buffered ahead of the output, in time: the latency this buffer adds.
  [[nodiscard]] Nanoseconds latency() const;
  [[nodiscard]] double correction() const { return controller_.correction(); }
  // The level the controller holds: the target, or more where the sender's bursts need more
  // (set when playback starts).
  [[nodiscard]] Nanoseconds effective_target() const {
    return controller_.options().target_latency;
  }
  [[nodiscard]] const DriftController& controller() const { return controller_; }

 private:
  void configure(const StreamFormat& format);
  // Where on the arrival sawtooth playback starts (frames before the first block of
  // `block_input_frames` is taken) and the level held from then on (frames), at `now`.
  struct StartLevel {
    std::size_t start_frames;
    std::size_t target_frames;
  };
  [[nodiscard]] StartLevel start_playing_level(std::size_t block_input_frames,
                                               Nanoseconds now) const;
  void start_playing(const StartLevel& level, Nanoseconds now);
  void render_block(std::span<float> out, std::size_t frames, Nanoseconds now);
  // Returns the frames made: fewer than asked when the buffer ran dry.
  std::size_t render_playing(std::span<float> out, std::size_t frames, Nanoseconds now);
  void feed_resampler(std::size_t frames);
  void begin_crossfade();
  void apply_crossfade(std::span<float> out);
  [[nodiscard]] bool sender_paused(Nanoseconds now) const;
  [[nodiscard]] std::size_t frames_for(Nanoseconds duration) const;
  [[nodiscard]] double buffered_frames() const;

  JitterBufferOptions options_;
  std::optional<StreamFormat> format_;
  PlayoutState state_{PlayoutState::kIdle};
  FrameFifo fifo_;
  Resampler resampler_;
  DriftController controller_;
  ChannelMixer mixer_;
  std::vector<float> decoded_;         // one slice of input, stream channels
  std::vector<float> mixed_;           // the same slice, output channels
  std::vector<float> last_out_;        // the last frame we output
  std::vector<float> crossfade_from_;  // the frame a crossfade starts from
  std::size_t fade_frames_{1};         // at the output rate
  std::size_t crossfade_left_{0};
  std::size_t target_frames_{0};          // at the input rate, as configured
  std::size_t playing_target_frames_{0};  // the level held since playback started
  std::size_t max_frames_{0};
  ArrivalPattern arrivals_;
  std::size_t packet_frames_{0};  // in the last push
  JitterBufferStats stats_;
};

}  // namespace periscope::audio
