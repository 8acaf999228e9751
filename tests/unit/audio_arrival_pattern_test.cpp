// ArrivalPattern: datagrams grouped into bursts, the typical burst.
#include "audio/arrival_pattern.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>

#include "audio_signals.hpp"

namespace periscope::audio {
namespace {

constexpr std::size_t kPacketFrames = 288;
constexpr double kRateHz = 48000.0;
constexpr double kPacketSpacingS = 2e-5;

Nanoseconds at(double seconds) {
  return Nanoseconds(std::llround(seconds * 1e9));
}

TEST(ArrivalPattern, ASteadySenderSendsBurstsOfOneDatagram) {
  ArrivalPattern p;
  test::Rng rng(3);
  for (int i = 0; i < 100; ++i) {
    const double t = i * 0.006 + rng.uniform(-0.002, 0.002);
    EXPECT_TRUE(p.add(kPacketFrames, at(0.003 + t), kRateHz)) << i;
  }
  EXPECT_DOUBLE_EQ(p.burst_frames(), 288.0);
}

TEST(ArrivalPattern, ACaptureQuantumCutIntoDatagramsIsOneBurst) {
  // 1024 frames every 21.33 ms, as 288-frame datagrams: 3, 4, 3, 4, 4 ... (the remainder waits).
  ArrivalPattern p;
  std::size_t pending = 0;
  for (int q = 0; q < 50; ++q) {
    pending += 1024;
    const double t = q * 1024 / kRateHz;
    for (int i = 0; pending >= kPacketFrames; ++i, pending -= kPacketFrames) {
      EXPECT_EQ(p.add(kPacketFrames, at(t + i * kPacketSpacingS), kRateHz), i == 0);
    }
    EXPECT_EQ(p.last_burst_start(), at(t));
  }
  EXPECT_NEAR(p.burst_frames(), 1024.0, 288.0 / 2);
}

TEST(ArrivalPattern, AFirstBunchIsLeftOutOnceThreeBurstsAreSeen) {
  // The receiving thread woke 100 ms late: 17 datagrams read at once, then one every 6 ms.
  ArrivalPattern p;
  for (int i = 0; i < 17; ++i) p.add(kPacketFrames, at(0.1), kRateHz);
  EXPECT_EQ(p.bursts(), 1U);
  EXPECT_DOUBLE_EQ(p.burst_frames(), 17 * 288.0) << "nothing to compare it with yet";
  p.add(kPacketFrames, at(0.106), kRateHz);
  p.add(kPacketFrames, at(0.112), kRateHz);
  EXPECT_EQ(p.bursts(), 3U);
  EXPECT_DOUBLE_EQ(p.burst_frames(), 288.0);
}

TEST(ArrivalPattern, AOneOffBacklogDoesNotMakeASenderBursty) {
  ArrivalPattern p;
  for (int i = 0; i < 20; ++i) p.add(kPacketFrames, at(i * 0.006), kRateHz);
  for (int i = 0; i < 21; ++i) p.add(kPacketFrames, at(0.2), kRateHz);  // after a stall
  EXPECT_DOUBLE_EQ(p.burst_frames(), 288.0) << "the largest of the last bursts is left out";
  p.reset();
  EXPECT_EQ(p.burst_frames(), 0.0);
  EXPECT_EQ(p.bursts(), 0U);
}

}  // namespace
}  // namespace periscope::audio
