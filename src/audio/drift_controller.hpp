#pragma once
// Holds the jitter buffer at its latency target by bending the resampling ratio: a PI loop on
// the buffer's fill level, in time units.
//
// The fill level jumps up at every arrival and down at every output callback, so one reading
// says little. The controller integrates the level over time (each observation holds until
// the next; arrivals and callbacks both report, with their own timestamps), sums it in short
// windows, and runs the loop once per window on the mean of the last `averaging` of them. A
// moving average over a whole second cancels the packet/callback sawtooth and the arrival
// jitter far better than a short window would (its error falls as 1/length), at the price of
// half a second of delay, which the loop below tolerates with ~45 degrees of phase margin.
//
// A sender that delivers in bursts (a PipeWire capture quantum of 21 or 43 ms at once) makes
// the level a sawtooth one burst high; a second holds 23 to 47 of its teeth, and the partial
// one at the ends moves the mean by at most burst x period / (8 x second), 0.2 ms for 43 ms
// bursts (0.02 % of pitch). Windows ending where bursts begin (whole teeth only) were tried
// and measured: they hardly reduced the wobble (the bursts' jitter and the sender's varying
// remainder dominate it) and, at up to 143 ms, lengthened the average and so the learning of
// a drift. The jitter buffer takes care of bursts where it matters: where playback starts.
//
// The integral term learns the clock drift between sender and output and is kept across
// silence gaps (the clocks do not change); the proportional term pulls the level back.
// With e the latency error in seconds and c the correction, e' = drift - c and
// c = kp e + ki integral(e): e'' + kp e' + ki e = 0. kp = 1/s and ki = 0.25/s^2 is critically
// damped with a 2 s time constant: a 0.5 % drift at start-up peaks at about 4 ms of error and
// is gone within 15 s.
#include <array>
#include <cstddef>
#include <cstdint>

#include "common/clock.hpp"

namespace periscope::audio {

struct DriftControllerOptions {
  Nanoseconds target_latency{Milliseconds(20)};
  Nanoseconds window{Milliseconds(100)};      // the loop runs once per window
  Nanoseconds averaging{Milliseconds(1000)};  // on the mean level over this much time
  double proportional_per_s{1.0};             // correction per second of latency error
  double integral_per_s2{0.25};               // correction per second of error, per second
  double max_correction{0.01};                // the ratio never moves more than this
};

class DriftController {
 public:
  explicit DriftController(DriftControllerOptions options = {});

  // The buffered latency from `now` on, until the next observation.
  void observe(Nanoseconds latency, Nanoseconds now);
  // Starts measuring afresh (playback resumed at `latency`, its mean level at the target),
  // keeping the learnt drift.
  void restart(Nanoseconds latency, Nanoseconds now);
  // Forgets everything, the learnt drift included.
  void reset();
  // The level to hold from now on (the jitter buffer raises it for bursty senders).
  void set_target(Nanoseconds target) { options_.target_latency = target; }

  // How much faster than nominal to consume input: step = nominal x (1 + correction).
  [[nodiscard]] double correction() const { return correction_; }
  // What the integral term has learnt: the sender's clock relative to the output's.
  [[nodiscard]] double drift_estimate() const { return integral_; }
  [[nodiscard]] Nanoseconds smoothed_latency() const;
  [[nodiscard]] const DriftControllerOptions& options() const { return options_; }

 private:
  void close_window();

  static constexpr std::size_t kMaxWindows = 64;

  DriftControllerOptions options_;
  bool measuring_{false};
  std::int64_t last_ns_{0};
  double last_latency_s_{0.0};
  double weighted_sum_{0.0};  // latency x seconds in the current window
  double window_s_{0.0};      // seconds in the current window
  // The last windows: latency x seconds and seconds, a ring of `windows_` entries.
  std::array<double, kMaxWindows> ring_sum_{};
  std::array<double, kMaxWindows> ring_s_{};
  std::size_t windows_{1};
  std::size_t ring_at_{0};
  double smoothed_s_{0.0};
  double integral_{0.0};
  double correction_{0.0};
};

}  // namespace periscope::audio
