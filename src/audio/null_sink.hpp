#pragma once
// A sink that plays into nothing on a steady clock of its own: for tests, benchmarks and a
// receiver on a machine without sound. Blocks of `block_frames` are rendered on time.
#include <atomic>
#include <thread>

#include "audio/audio_sink.hpp"

namespace periscope::audio {

class NullSink final : public AudioSink {
 public:
  explicit NullSink(SinkFormat format = {}, std::uint32_t block_frames = 256)
      : format_(format), block_frames_(block_frames) {}
  ~NullSink() override { stop(); }

  [[nodiscard]] std::string_view name() const override { return "null"; }
  [[nodiscard]] SinkFormat format() const override { return format_; }
  Status start(RenderCallback render) override;
  void stop() override;
  [[nodiscard]] Nanoseconds device_latency() const override { return Nanoseconds(0); }
  [[nodiscard]] std::uint64_t frames_rendered() const { return frames_.load(); }

 private:
  SinkFormat format_;
  std::uint32_t block_frames_;
  std::atomic<std::uint64_t> frames_{0};
  std::jthread thread_;
};

}  // namespace periscope::audio
