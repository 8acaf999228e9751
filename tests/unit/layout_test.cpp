#include <gtest/gtest.h>

#include "relay/frame_format.hpp"

namespace periscope::b7 {
namespace {

TEST(RegionSize, FollowsTheB7Rule) {
  constexpr std::uint64_t kMiB = 1024 * 1024;
  EXPECT_EQ(recommended_region_bytes(1920, 1080, 4), 32 * kMiB);
  EXPECT_EQ(recommended_region_bytes(2560, 1440, 4), 64 * kMiB);
  EXPECT_EQ(recommended_region_bytes(3840, 2160, 4), 128 * kMiB);
  EXPECT_EQ(recommended_region_bytes(1920, 1080, 8), 64 * kMiB);
  EXPECT_EQ(recommended_region_bytes(3840, 2160, 8), 256 * kMiB);
}

}  // namespace
}  // namespace periscope::b7
