#include "audio/arrival_pattern.hpp"

#include <algorithm>
#include <cmath>

namespace periscope::audio {

bool ArrivalPattern::add(std::size_t frames, Nanoseconds arrival, double rate_hz) {
  const bool same_burst = current_frames_ > 0 && arrival >= last_arrival_ &&
                          arrival - last_arrival_ < last_duration_ / 4;
  if (!same_burst) {
    if (current_frames_ > 0) {
      history_[next_] = static_cast<double>(current_frames_);
      next_ = (next_ + 1) % kHistory;
      count_ = std::min(count_ + 1, kHistory);
    }
    current_frames_ = 0;
    burst_start_ = arrival;
  }
  current_frames_ += frames;
  last_arrival_ = arrival;
  last_duration_ =
      Nanoseconds(std::llround(static_cast<double>(frames) * 1e9 / std::max(rate_hz, 1.0)));
  return !same_burst;
}

void ArrivalPattern::reset() {
  count_ = next_ = current_frames_ = 0;
  burst_start_ = last_arrival_ = last_duration_ = Nanoseconds(0);
}

double ArrivalPattern::burst_frames() const {
  if (current_frames_ == 0) return 0.0;
  double sum = static_cast<double>(current_frames_);
  double lowest = sum;
  double highest = sum;
  for (std::size_t i = 0; i < count_; ++i) {
    sum += history_[i];
    lowest = std::min(lowest, history_[i]);
    highest = std::max(highest, history_[i]);
  }
  const std::size_t n = count_ + 1;
  if (n < 3) return sum / static_cast<double>(n);
  return (sum - lowest - highest) / static_cast<double>(n - 2);
}

}  // namespace periscope::audio
