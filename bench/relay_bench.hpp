#pragma once
// `periscope bench relay`: producer and consumer as two processes over a real shared-memory
// file, every frame wholly damaged, compared with this machine's single-copy memcpy rate for
// the same frame size measured in the same run. Three phases: throughput (frames as fast as
// the relay takes them), latency (frames paced at a display's rate, so none waits behind
// another), idle (heartbeat only: the consumer's CPU use).
#include <atomic>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "relay/layout.hpp"

namespace periscope::bench {

struct RelayBenchOptions {
  std::uint32_t width{2560};
  std::uint32_t height{1440};
  b7::FrameType type{b7::FrameType::kBgra};
  double seconds{5};
  double warmup_seconds{1};
  double latency_fps{240};  // the latency phase sends frames at this rate
  double idle_seconds{2};   // consumer CPU while the producer sends no frames
  std::string shm_dir{"/dev/shm"};
  const std::atomic<bool>* stop{nullptr};
};

Result<nlohmann::json> run_relay_bench(const RelayBenchOptions& options);

// The rate of one memcpy of `bytes` between two private buffers, in bytes per second.
double measure_memcpy_rate(std::uint64_t bytes, double seconds);
// The same while a second, independent copy runs on another core (the slower of the two).
double measure_concurrent_memcpy_rate(std::uint64_t bytes, double seconds);

}  // namespace periscope::bench
