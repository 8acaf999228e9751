#pragma once
// PulseAudio capture (or PipeWire's PulseAudio server) through the blocking pa_simple API: a
// record stream in the Scream format we send, read one fragment at a time. A sink's monitor is
// PulseAudio's source `SINK.monitor`.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "audio/pcm_capture.hpp"
#include "common/result.hpp"

struct pa_simple;

namespace periscope::audio {

struct PulseCaptureOptions {
  std::string app_name{"periscope-audio-send"};
  std::string server;  // e.g. "unix:/run/user/1000/pulse/native"; empty: the default server
  std::string source;  // e.g. "SINK.monitor"; empty: the server's default source
  StreamFormat format{48000, 16, 2, 0x3};
  // The fragment the server delivers at a time: each becomes datagrams as it arrives.
  Nanoseconds fragment{Milliseconds(5)};
};

class PulseCapture final : public PcmCapture {
 public:
  // Connects and creates the record stream. Fails with a hint when no server answers.
  static Result<std::unique_ptr<PulseCapture>> open(const PulseCaptureOptions& options);

  ~PulseCapture() override;
  PulseCapture(const PulseCapture&) = delete;
  PulseCapture& operator=(const PulseCapture&) = delete;

  [[nodiscard]] std::string_view name() const override { return "pulse"; }
  [[nodiscard]] const StreamFormat& format() const override { return format_; }
  // Blocks until one fragment (or out.size(), whichever is less) has been captured: the server
  // delivers one every `fragment`, so `timeout` is not needed to stay responsive and is ignored.
  Result<std::size_t> read(std::span<std::byte> out, Nanoseconds timeout) override;
  // The server keeps what we have not read (and counts its own overruns), so nothing is lost
  // on our side.
  [[nodiscard]] std::uint64_t frames_lost() const override { return 0; }

 private:
  struct SimpleDeleter {
    void operator()(pa_simple* handle) const;
  };

  PulseCapture(std::unique_ptr<pa_simple, SimpleDeleter> stream, const StreamFormat& format,
               std::size_t fragment_bytes);

  std::unique_ptr<pa_simple, SimpleDeleter> stream_;
  StreamFormat format_;
  std::size_t fragment_bytes_;
};

}  // namespace periscope::audio
