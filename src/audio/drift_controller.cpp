#include "audio/drift_controller.hpp"

#include <algorithm>
#include <cmath>

namespace periscope::audio {

namespace {

double seconds(Nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

DriftController::DriftController(DriftControllerOptions options) : options_(options) {
  const double window_s = std::max(seconds(options_.window), 1e-3);
  const double windows = std::round(seconds(options_.averaging) / window_s);
  windows_ =
      std::clamp<std::size_t>(static_cast<std::size_t>(std::max(windows, 1.0)), 1, kMaxWindows);
}

void DriftController::observe(Nanoseconds latency, Nanoseconds now) {
  if (!measuring_) {
    restart(latency, now);
    return;
  }
  const std::int64_t now_ns = now.count();
  if (now_ns > last_ns_) {
    const double dt = static_cast<double>(now_ns - last_ns_) * 1e-9;
    weighted_sum_ += last_latency_s_ * dt;
    window_s_ += dt;
    last_ns_ = now_ns;
  }
  last_latency_s_ = seconds(latency);
  if (window_s_ >= seconds(options_.window)) close_window();
}

void DriftController::restart(Nanoseconds latency, Nanoseconds now) {
  measuring_ = true;
  last_ns_ = now.count();
  last_latency_s_ = seconds(latency);
  weighted_sum_ = 0.0;
  window_s_ = 0.0;
  // Playback (re)starts with its mean level at the target (the instantaneous level is above or
  // below it with the sawtooth): pretend the averaging time behind us held the target, so the
  // loop reacts to what happens from now on, not to where in the sawtooth we started.
  const double window_s = seconds(options_.window);
  const double target_s = seconds(options_.target_latency);
  ring_s_.fill(window_s);
  ring_sum_.fill(target_s * window_s);
  ring_at_ = 0;
  smoothed_s_ = target_s;
  // The proportional part belonged to the old level; the drift learnt is still true.
  correction_ = std::clamp(integral_, -options_.max_correction, options_.max_correction);
}

void DriftController::reset() {
  measuring_ = false;
  weighted_sum_ = window_s_ = smoothed_s_ = last_latency_s_ = 0.0;
  integral_ = correction_ = 0.0;
}

Nanoseconds DriftController::smoothed_latency() const {
  return std::chrono::duration_cast<Nanoseconds>(std::chrono::duration<double>(smoothed_s_));
}

void DriftController::close_window() {
  const double dt = window_s_;
  ring_sum_[ring_at_] = weighted_sum_;
  ring_s_[ring_at_] = window_s_;
  ring_at_ = (ring_at_ + 1) % windows_;
  weighted_sum_ = 0.0;
  window_s_ = 0.0;
  double sum = 0.0;
  double span_s = 0.0;
  for (std::size_t i = 0; i < windows_; ++i) {
    sum += ring_sum_[i];
    span_s += ring_s_[i];
  }
  smoothed_s_ = sum / span_s;
  const double error_s = smoothed_s_ - seconds(options_.target_latency);
  const double limit = options_.max_correction;
  integral_ = std::clamp(integral_ + options_.integral_per_s2 * error_s * dt, -limit, limit);
  correction_ = std::clamp(options_.proportional_per_s * error_s + integral_, -limit, limit);
}

}  // namespace periscope::audio
