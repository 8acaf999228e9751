#include "common/latency_histogram.hpp"

#include <gtest/gtest.h>

namespace periscope {
namespace {

TEST(LatencyHistogram, PercentilesWithinOnePointSixPercent) {
  LatencyHistogram h;
  for (int i = 1; i <= 10000; ++i) h.add(Microseconds(i));  // 1 us .. 10 ms uniform
  EXPECT_EQ(h.count(), 10000U);
  const double p50 = static_cast<double>(h.percentile(0.5).count());
  const double p99 = static_cast<double>(h.percentile(0.99).count());
  EXPECT_NEAR(p50, 5'000'000.0, 5'000'000.0 * 0.016);
  EXPECT_NEAR(p99, 9'900'000.0, 9'900'000.0 * 0.016);
  EXPECT_EQ(h.max(), Microseconds(10000));
  EXPECT_EQ(h.min(), Microseconds(1));
  EXPECT_NEAR(static_cast<double>(h.mean().count()), 5'000'500.0, 1.0);
}

TEST(LatencyHistogram, EmptyAndSingle) {
  LatencyHistogram h;
  EXPECT_EQ(h.percentile(0.99).count(), 0);
  h.add(Nanoseconds(12345));
  EXPECT_EQ(h.percentile(0.5), Nanoseconds(12345));
  EXPECT_EQ(h.percentile(1.0), Nanoseconds(12345));
}

}  // namespace
}  // namespace periscope
