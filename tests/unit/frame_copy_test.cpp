// The copy behind the write pointer gives up on a hostile pointer instead of hanging.
#include "relay/frame_copy.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace periscope::b7 {
namespace {

using std::chrono::milliseconds;

TEST(FrameCopy, CopiesWhatThePointerReleased) {
  std::vector<std::byte> src(4096, std::byte{7});
  std::vector<std::byte> dst(4096);
  std::uint32_t wp_value = 4096;
  const CopyLimits limits{milliseconds(10), Clock::now() + milliseconds(100)};
  ASSERT_TRUE(copy_behind_wp(std::atomic_ref(wp_value), src.data(), dst.data(), 4096, limits));
  EXPECT_EQ(src, dst);
}

TEST(FrameCopy, APointerFlippingBackAndForthIsAStall) {
  std::vector<std::byte> src(4096);
  std::vector<std::byte> dst(4096);
  alignas(4) std::uint32_t wp_value = 0;
  std::atomic<bool> stop{false};
  std::thread guest([&] {
    for (std::uint32_t i = 0; !stop; ++i) {
      std::atomic_ref(wp_value).store(i % 2);
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  });
  const TimePoint start = Clock::now();
  const CopyLimits limits{milliseconds(10), start + milliseconds(10'000)};
  auto result = copy_behind_wp(std::atomic_ref(wp_value), src.data(), dst.data(), 4096, limits);
  const auto took = Clock::now() - start;
  stop = true;
  guest.join();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kTimeout);
  EXPECT_LT(took, milliseconds(500)) << "the stall timer must not restart on a backward move";
}

TEST(FrameCopy, ASlowCreepingPointerMeetsTheDeadline) {
  std::vector<std::byte> src(1 << 20);
  std::vector<std::byte> dst(1 << 20);
  alignas(4) std::uint32_t wp_value = 0;
  std::atomic<bool> stop{false};
  std::thread guest([&] {
    while (!stop) {
      std::atomic_ref(wp_value).fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  const TimePoint start = Clock::now();
  const CopyLimits limits{milliseconds(10), start + milliseconds(100)};
  auto result = copy_behind_wp(std::atomic_ref(wp_value), src.data(), dst.data(), 1 << 20, limits);
  const auto took = Clock::now() - start;
  stop = true;
  guest.join();
  ASSERT_FALSE(result);
  EXPECT_LT(took, milliseconds(400));
}

}  // namespace
}  // namespace periscope::b7
