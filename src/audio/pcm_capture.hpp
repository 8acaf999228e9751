#pragma once
// Where `audio-send` gets live audio: a capture stream of a sound server (PipeWire natively,
// PulseAudio through libpulse-simple). The server converts to the Scream format we ask for, so
// what a capture reads goes into Scream packets byte for byte. Capture is clocked by the server:
// the sender sends each chunk as it arrives and never paces on its own clock.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "audio/scream_format.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"

namespace periscope::audio {

class PcmCapture {
 public:
  virtual ~PcmCapture() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;
  // What read() delivers: interleaved little-endian signed PCM (16, 24 packed, or 32 bits),
  // exactly the format asked for at open.
  [[nodiscard]] virtual const StreamFormat& format() const = 0;
  // Waits up to about `timeout` for captured audio and copies what there is (whole frames, at
  // most out.size() bytes) into `out`. Returns the bytes copied; 0 when nothing arrived in time
  // (a stream not linked yet, a paused graph). An error means the stream is gone.
  virtual Result<std::size_t> read(std::span<std::byte> out, Nanoseconds timeout) = 0;
  // Captured frames lost because the reader fell behind (0 when the backend cannot lose any).
  [[nodiscard]] virtual std::uint64_t frames_lost() const = 0;
};

}  // namespace periscope::audio
