#pragma once
// The fallback output: PulseAudio (or PipeWire's PulseAudio server) through the blocking
// pa_simple API. A thread renders small blocks and writes them; the write blocks while the
// server's buffer is full, so the server's clock paces the pulls.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "audio/audio_sink.hpp"
#include "common/result.hpp"

struct pa_simple;

namespace periscope::audio {

struct PulseSinkOptions {
  std::string app_name{"periscope"};
  std::string server;  // e.g. "unix:/run/user/1000/pulse/native"; empty: the default server
  std::string device;  // sink name; empty: the server's default sink
  std::uint32_t rate_hz{48000};
  std::uint32_t channels{2};  // 1..8, Windows speaker order (WAVEFORMATEXTENSIBLE)
  // The server-side buffer we ask for (tlength): what the server holds ahead of the speaker.
  Nanoseconds latency{Milliseconds(20)};
  Nanoseconds block{Milliseconds(5)};  // how much each render call fills
};

class PulseSink final : public AudioSink {
 public:
  // Connects and creates the playback stream (F32LE). Fails with a hint when no server
  // answers.
  static Result<std::unique_ptr<PulseSink>> open(PulseSinkOptions options);

  ~PulseSink() override;
  PulseSink(const PulseSink&) = delete;
  PulseSink& operator=(const PulseSink&) = delete;

  [[nodiscard]] std::string_view name() const override { return "pulse"; }
  [[nodiscard]] SinkFormat format() const override { return format_; }
  Status start(RenderCallback render) override;
  void stop() override;
  // As measured after the latest write (pa_simple is not safe to call from two threads).
  [[nodiscard]] Nanoseconds device_latency() const override {
    return Nanoseconds(latency_ns_.load(std::memory_order_relaxed));
  }

 private:
  struct SimpleDeleter {
    void operator()(pa_simple* handle) const;
  };

  PulseSink(std::unique_ptr<pa_simple, SimpleDeleter> stream, SinkFormat format,
            std::size_t block_frames);
  void run();

  std::unique_ptr<pa_simple, SimpleDeleter> stream_;
  SinkFormat format_;
  std::vector<float> block_;  // allocated once: the thread never allocates
  RenderCallback render_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<std::int64_t> latency_ns_{0};
};

}  // namespace periscope::audio
