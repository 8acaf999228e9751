#pragma once
// `periscope bench audio`: the receiver's cost and latency.
//  - CPU per second of audio: a minute of audio pushed through the whole receive path (parse,
//    frame assembly, decode, mix, FIFO, drift-controlled resampling to 48 kHz stereo) as fast
//    as it goes, in virtual time; the thread's CPU time divided by the audio's length. For
//    48k/16/2 and 192k/32/8 (the heaviest Scream stream).
//  - Receive -> output latency in real time: audio-send's datagrams over loopback UDP at the
//    real rate into the pipeline and a null sink on the machine's clock; the latency
//    percentiles at the target (the device's own latency comes on top).
#include <atomic>

#include <nlohmann/json.hpp>

#include "common/result.hpp"

namespace periscope::bench {

struct AudioBenchOptions {
  double cpu_audio_seconds{60};
  double latency_seconds{5};
  double target_latency_ms{20};
  const std::atomic<bool>* stop{nullptr};
};

Result<nlohmann::json> run_audio_bench(const AudioBenchOptions& options);

}  // namespace periscope::bench
