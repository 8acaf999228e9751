#pragma once
// The capture agent's loop: source -> producer, frames and cursor, until told to stop.
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>

#include "capture/capture_source.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "relay/producer.hpp"

namespace periscope::capture {

struct CaptureLoopStats {
  std::uint64_t frames_captured{0};
  std::uint64_t frames_posted{0};
  std::uint64_t frames_unwatched{0};  // written while no consumer was subscribed
  std::uint64_t frames_dropped{0};    // consumers were behind: slot not free in time
  std::uint64_t cursor_updates{0};
  std::uint64_t capture_timeouts{0};
  Nanoseconds elapsed{0};
};

struct CaptureLoopOptions {
  std::optional<Nanoseconds> duration;  // run until stopped when empty
  // How long a frame may wait for a slot the consumer still reads before it is dropped.
  Nanoseconds slot_wait{Milliseconds(50)};
  bool full_damage{false};  // send every frame as wholly changed (the benchmark's worst case)
  // Says the guest's display is rotated (the frames stay unrotated, as B7 sends them).
  b7::FrameRotation rotation{b7::FrameRotation::k0};
  const std::atomic<bool>* stop{nullptr};
  std::function<void(const CaptureLoopStats&)> every_second;
};

Result<CaptureLoopStats> run_capture_loop(CaptureSource& source, Producer& producer,
                                          const CaptureLoopOptions& options);

}  // namespace periscope::capture
