#pragma once
// Native PipeWire capture: a pw_stream in the input direction that asks for exactly the Scream
// format we send (PipeWire's adapter converts and resamples from whatever the graph runs), and
// hands each graph cycle's buffer to the reader through a bounded byte ring.
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "audio/pcm_capture.hpp"
#include "common/result.hpp"

namespace periscope::audio {

struct PipeWireCaptureOptions {
  std::string app_name{"periscope-audio-send"};  // application and node name in the graph
  // The node to capture, by name: a source, or `SINK.monitor` for what the sink SINK plays. The
  // latter becomes target.object = SINK plus stream.capture.sink = true, which is how a session
  // manager (WirePlumber) is asked for a sink's monitor ports; pipewire-pulse maps PulseAudio's
  // `SINK.monitor` source names the same way. Empty: the session manager's default source.
  std::string target;
  StreamFormat format{48000, 16, 2, 0x3};
  // The quantum we ask the graph for (node.latency), in frames at format.rate_hz: each cycle's
  // buffer is sent as it arrives, so this is how bursty the datagrams are.
  std::uint32_t latency_frames{256};
  // Extra stream properties in SPA-JSON, applied last (tests configure ports with it).
  std::string extra_properties;
  // How much captured audio waits for a slow reader before the oldest is dropped.
  Nanoseconds buffer{Milliseconds(500)};
  // Bounds every wait for the daemon while opening.
  Nanoseconds timeout{Milliseconds(3000)};
};

// What a target string asks PipeWire for.
struct PipeWireCaptureTarget {
  std::string object;        // target.object; empty: the default
  bool capture_sink{false};  // stream.capture.sink: the object's monitor
};
[[nodiscard]] PipeWireCaptureTarget parse_pipewire_capture_target(std::string_view target);

class PipeWireCapture final : public PcmCapture {
 public:
  // Connects to the daemon and creates the stream (capturing as soon as it is linked). Fails
  // with a message saying what to try when no PipeWire daemon answers.
  static Result<std::unique_ptr<PipeWireCapture>> open(const PipeWireCaptureOptions& options);

  ~PipeWireCapture() override;
  PipeWireCapture(const PipeWireCapture&) = delete;
  PipeWireCapture& operator=(const PipeWireCapture&) = delete;

  [[nodiscard]] std::string_view name() const override { return "pipewire"; }
  [[nodiscard]] const StreamFormat& format() const override { return format_; }
  Result<std::size_t> read(std::span<std::byte> out, Nanoseconds timeout) override;
  [[nodiscard]] std::uint64_t frames_lost() const override;

 private:
  struct Handles;  // the PipeWire objects, in the .cpp: only it sees PipeWire's headers
  struct Callbacks;

  explicit PipeWireCapture(const StreamFormat& format, std::size_t ring_bytes);
  Status connect(const PipeWireCaptureOptions& options);
  // On the thread loop's thread, once per graph cycle while linked.
  void process();
  // Called from the loop's thread when the stream or the daemon fails; wakes the reader.
  void fail_stream(std::string message);
  // Appends captured bytes, dropping the oldest whole frames when the ring is full.
  void push(std::span<const std::byte> bytes);

  StreamFormat format_;
  std::unique_ptr<Handles> handles_;

  // The ring between the loop's thread (push) and the reader; guarded by mutex_.
  mutable std::mutex mutex_;
  std::condition_variable readable_;
  std::vector<std::byte> ring_;
  std::size_t head_{0};  // where the oldest byte is
  std::size_t size_{0};
  std::uint64_t frames_lost_{0};
  std::string error_;  // non-empty once the stream is gone
};

}  // namespace periscope::audio
