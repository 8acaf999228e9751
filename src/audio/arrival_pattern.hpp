#pragma once
// How a sender delivers its audio: one datagram at a time (the Windows driver: 288 frames
// every 6 ms at 48k/16/2) or in bursts (a Linux guest's `audio-send --capture pipewire`: a
// whole PipeWire quantum, 1024 frames every 21.3 ms, cut into 3 or 4 datagrams sent back to
// back). The jitter buffer needs to know which, because its fill level is a sawtooth whose
// teeth are one burst high: where playback starts on that sawtooth, when a silence is a pause
// of the sender, and how much headroom keeps the trough above empty all depend on the burst.
//
// A datagram that arrives within a quarter of a datagram's duration of the one before belongs
// to the same burst (bursts come back to back, microseconds apart; a steady sender's datagrams
// are a whole period apart, give or take its jitter). The typical burst is the mean of the
// last few with the largest and the smallest left out, so a one-off bunch (a sender flushing
// after a stall, or our receiving thread woken late and reading several datagrams at once)
// or an early partial burst does not count, and the alternating 3 and 4 datagrams of a
// capture quantum average to the quantum. With fewer than three bursts seen nothing can be
// left out: the jitter buffer waits for a third before it first starts playing.
#include <array>
#include <cstddef>

#include "common/clock.hpp"

namespace periscope::audio {

class ArrivalPattern {
 public:
  // `frames` frames at `rate_hz` arrived at `arrival` (monotonic). Returns whether they start
  // a new burst.
  bool add(std::size_t frames, Nanoseconds arrival, double rate_hz);
  // Forgets every burst (a new stream, or a new format).
  void reset();

  // Frames in a typical burst (the current one counted, complete or not); 0 before any.
  [[nodiscard]] double burst_frames() const;
  [[nodiscard]] Nanoseconds last_burst_start() const { return burst_start_; }
  [[nodiscard]] Nanoseconds last_arrival() const { return last_arrival_; }
  // Bursts seen since the last reset (the current one counted), up to the history kept + 1.
  [[nodiscard]] std::size_t bursts() const { return current_frames_ == 0 ? 0 : count_ + 1; }

 private:
  static constexpr std::size_t kHistory = 8;  // completed bursts kept

  std::array<double, kHistory> history_{};
  std::size_t count_{0};  // entries of history_ in use
  std::size_t next_{0};   // where the next completed burst goes
  std::size_t current_frames_{0};
  Nanoseconds burst_start_{0};
  Nanoseconds last_arrival_{0};
  Nanoseconds last_duration_{0};  // of the last datagram
};

}  // namespace periscope::audio
