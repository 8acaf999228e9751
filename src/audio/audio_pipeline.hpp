#pragma once
// The receiver's middle: datagrams or IVSHMEM chunks in (the receive thread), blocks out to the
// sink (the sink's thread), statistics for both. A lock guards the jitter buffer; it is held
// for one push or one render, microseconds.
#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>

#include "audio/frame_assembler.hpp"
#include "audio/jitter_buffer.hpp"
#include "audio/scream_format.hpp"
#include "audio/wav_file.hpp"
#include "common/clock.hpp"
#include "common/latency_histogram.hpp"

namespace periscope::audio {

struct AudioPipelineStats {
  std::uint64_t packets{0};  // datagrams or chunks accepted
  std::uint64_t drops{0};    // datagrams refused
  std::array<std::uint64_t, static_cast<std::size_t>(ScreamDrop::kCount)> drops_by_reason{};
  std::uint64_t recorder_frames_skipped{0};  // a format change while recording to a file
  JitterBufferStats playout;
  double correction{0};                // the resampling ratio's correction, e.g. 0.005
  std::optional<StreamFormat> format;  // of the stream
  Nanoseconds latency{0};              // buffered now
  LatencyHistogram latency_samples;    // per block: the mean wait of its frames
};

class AudioPipeline {
 public:
  explicit AudioPipeline(JitterBufferOptions options) : playout_(options) {}

  // Optional: every accepted frame is also written here as received (bit-exact); the pipeline
  // then needs no sink.
  void record_to(WavWriter* recorder) { recorder_ = recorder; }

  // Receive thread.
  void on_datagram(std::span<const std::byte> datagram, TimePoint arrival);
  void on_chunk(const StreamFormat& format, std::span<const std::byte> pcm, TimePoint arrival);
  // Sink thread.
  void render(std::span<float> out, Nanoseconds now);

  [[nodiscard]] AudioPipelineStats stats() const;

 private:
  void accept(const StreamFormat& format, std::span<const std::byte> pcm, TimePoint arrival);

  mutable std::mutex mutex_;
  JitterBuffer playout_;
  FrameAssembler assembler_;
  WavWriter* recorder_{nullptr};
  AudioPipelineStats stats_;
};

}  // namespace periscope::audio
