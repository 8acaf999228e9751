#pragma once
// The native output: a PipeWire playback stream, F32 interleaved at the graph's rate, pulled
// from PipeWire's realtime data thread. Playing at the graph's rate is the point: devices that
// only run at 48 kHz play without a second resampler, and the jitter buffer's drift controller
// follows the device's clock (the graph's driver) directly.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "audio/audio_sink.hpp"
#include "common/result.hpp"

namespace periscope::audio {

struct PipeWireSinkOptions {
  std::string app_name{"periscope"};  // application and node name in the graph
  // The node (name or serial) to play to; empty: the session manager's default sink.
  std::string target;
  // The quantum we ask the graph for (node.latency), in frames at the sink's rate. The graph
  // may run a larger one when another client asks for more.
  std::uint32_t latency_frames{256};
  // 0: the graph's default clock rate (default.clock.rate of the daemon), else this rate (the
  // stream then resamples inside PipeWire when the graph runs at another).
  std::uint32_t rate_hz{0};
  std::uint32_t channels{2};  // 1..8, Windows speaker order (FL FR FC LFE RL RR SL SR)
  // Extra stream properties in PipeWire's SPA-JSON ("{ key = value ... }"), applied last. Tests
  // use it to configure ports when no session manager runs.
  std::string extra_properties;
  // Bounds every wait for the daemon while opening.
  Nanoseconds timeout{Milliseconds(3000)};
};

class PipeWireSink final : public AudioSink {
 public:
  // Connects to the daemon and creates the stream, inactive until start(). Fails with a
  // message saying what to try when no PipeWire daemon answers.
  static Result<std::unique_ptr<PipeWireSink>> open(PipeWireSinkOptions options);

  ~PipeWireSink() override;
  PipeWireSink(const PipeWireSink&) = delete;
  PipeWireSink& operator=(const PipeWireSink&) = delete;

  [[nodiscard]] std::string_view name() const override { return "pipewire"; }
  [[nodiscard]] SinkFormat format() const override { return format_; }
  Status start(RenderCallback render) override;
  void stop() override;
  // The stream's delay to the device plus what its converter holds; lock-free (PipeWire
  // publishes the stream's time with a sequence counter), so any thread may ask.
  [[nodiscard]] Nanoseconds device_latency() const override;

 private:
  // The owning PipeWire objects and the event tables, in the .cpp: only it sees PipeWire's
  // headers.
  struct Handles;
  struct Callbacks;

  PipeWireSink();
  // Connects, learns the rate and creates the inactive stream; sets format_.
  Status connect(const PipeWireSinkOptions& options);
  // The realtime part: on PipeWire's data thread, once per graph cycle.
  void process();

  SinkFormat format_;
  std::unique_ptr<Handles> handles_;
  RenderCallback render_;
  // Gate between stop() and the data thread: process() only calls render_ while `active_`,
  // and stop() waits until no call is in flight (both sequentially consistent, so the two
  // threads cannot both miss each other's store).
  std::atomic<bool> active_{false};
  std::atomic<bool> in_render_{false};
};

}  // namespace periscope::audio
