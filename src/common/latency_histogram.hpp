#pragma once
// Latency percentiles over runs of any length in fixed memory: a log-linear histogram with 64
// sub-buckets per power of two of nanoseconds (relative error under 1.6%), exact min/max/mean.
#include <array>
#include <cstdint>

#include "common/clock.hpp"

namespace periscope {

class LatencyHistogram {
 public:
  void add(Nanoseconds sample);
  void clear() { *this = LatencyHistogram{}; }

  [[nodiscard]] std::uint64_t count() const { return count_; }
  // The value below which `fraction` (0..1) of the samples lie; zero when empty.
  [[nodiscard]] Nanoseconds percentile(double fraction) const;
  [[nodiscard]] Nanoseconds max() const { return Nanoseconds(max_ns_); }
  [[nodiscard]] Nanoseconds min() const { return Nanoseconds(count_ ? min_ns_ : 0); }
  [[nodiscard]] Nanoseconds mean() const;

 private:
  static constexpr int kSubBits = 6;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = (64 - kSubBits) * kSub + kSub;
  static int bucket_of(std::uint64_t ns);
  static std::uint64_t bucket_upper(int bucket);

  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_{0};
  std::uint64_t min_ns_{UINT64_MAX};
  std::uint64_t max_ns_{0};
  long double sum_ns_{0};
};

}  // namespace periscope
