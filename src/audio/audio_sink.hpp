#pragma once
// Where received audio plays: a sound server (PipeWire, PulseAudio), a WAV file, or nowhere
// (tests). Every sink pulls: it calls `render` whenever it needs the next block, on its own
// clock, so the jitter buffer's drift controller follows the device's clock, not ours.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace periscope::audio {

// Fills `out` (interleaved float samples in [-1, 1], `channels` per frame) with what plays
// from `now` (the monotonic clock) on. Called on the sink's thread.
using RenderCallback = std::function<void(std::span<float> out, Nanoseconds now)>;

struct SinkFormat {
  std::uint32_t rate_hz{48000};
  std::uint32_t channels{2};
};

class AudioSink {
 public:
  virtual ~AudioSink() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;
  // The format the device plays, which the jitter buffer converts to. Valid after open.
  [[nodiscard]] virtual SinkFormat format() const = 0;
  // Starts pulling blocks from `render` until stop(). Fails with a clear message when the
  // device or server is not there.
  virtual Status start(RenderCallback render) = 0;
  virtual void stop() = 0;
  // How much audio the device holds ahead of the speaker, added to our buffer's latency in the
  // statistics (0 when unknown).
  [[nodiscard]] virtual Nanoseconds device_latency() const = 0;
};

}  // namespace periscope::audio
