#include "common/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace periscope {

int LatencyHistogram::bucket_of(std::uint64_t ns) {
  if (ns < kSub) return static_cast<int>(ns);
  const int msb = 63 - std::countl_zero(ns);  // >= kSubBits
  const int shift = msb - kSubBits;
  const auto sub = static_cast<int>((ns >> shift) & (kSub - 1));
  return (shift + 1) * kSub + sub;
}

std::uint64_t LatencyHistogram::bucket_upper(int bucket) {
  if (bucket < kSub) return static_cast<std::uint64_t>(bucket);
  const int shift = bucket / kSub - 1;
  const auto sub = static_cast<std::uint64_t>(bucket % kSub);
  return ((std::uint64_t{kSub} | sub) << shift) + ((std::uint64_t{1} << shift) - 1);
}

void LatencyHistogram::add(Nanoseconds sample) {
  const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(sample.count(), 0));
  ++buckets_[static_cast<std::size_t>(bucket_of(ns))];
  ++count_;
  min_ns_ = std::min(min_ns_, ns);
  max_ns_ = std::max(max_ns_, ns);
  sum_ns_ += static_cast<long double>(ns);
}

Nanoseconds LatencyHistogram::percentile(double fraction) const {
  if (count_ == 0) return Nanoseconds(0);
  const auto rank = static_cast<std::uint64_t>(
      std::ceil(std::clamp(fraction, 0.0, 1.0) * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += buckets_[static_cast<std::size_t>(b)];
    if (seen >= std::max<std::uint64_t>(rank, 1)) {
      // The bucket's upper edge, but never beyond what was really seen.
      return Nanoseconds(static_cast<std::int64_t>(std::clamp(bucket_upper(b), min_ns_, max_ns_)));
    }
  }
  return Nanoseconds(static_cast<std::int64_t>(max_ns_));
}

Nanoseconds LatencyHistogram::mean() const {
  if (count_ == 0) return Nanoseconds(0);
  return Nanoseconds(static_cast<std::int64_t>(sum_ns_ / static_cast<long double>(count_)));
}

}  // namespace periscope
