// The PI loop on the buffer's fill level.
#include "audio/drift_controller.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace periscope::audio {
namespace {

Nanoseconds ms(double v) {
  return Nanoseconds(std::llround(v * 1e6));
}

TEST(DriftController, AtTheTargetNothingMoves) {
  DriftController c;
  for (int i = 0; i <= 1000; ++i) c.observe(ms(20), ms(i * 5));
  EXPECT_NEAR(c.correction(), 0.0, 1e-12);
  EXPECT_NEAR(c.drift_estimate(), 0.0, 1e-12);
  EXPECT_NEAR(to_ms(c.smoothed_latency()), 20.0, 1e-6);
}

TEST(DriftController, TooMuchBufferedMeansConsumeFasterAndNeverBeyondTheLimit) {
  DriftController c;
  c.restart(ms(20), ms(0));
  for (int i = 1; i <= 100; ++i) c.observe(ms(25), ms(i * 5));
  EXPECT_GT(c.correction(), 0.0);
  DriftController low;
  low.restart(ms(20), ms(0));
  for (int i = 1; i <= 100; ++i) low.observe(ms(15), ms(i * 5));
  EXPECT_LT(low.correction(), 0.0);
  DriftController far;
  far.restart(ms(20), ms(0));
  for (int i = 1; i <= 10000; ++i) far.observe(ms(500), ms(i * 5));
  EXPECT_EQ(far.correction(), 0.01);
  EXPECT_EQ(far.drift_estimate(), 0.01) << "the integral is clamped too (no wind-up)";
}

TEST(DriftController, LevelIsWeightedByHowLongItHeld) {
  // One 100 ms window, averaged alone: 10 ms for 90 ms then 40 ms for 10 ms is 13 ms.
  DriftControllerOptions o;
  o.averaging = o.window;
  DriftController c(o);
  c.restart(ms(10), ms(0));
  c.observe(ms(40), ms(90));
  c.observe(ms(40), ms(100));
  EXPECT_NEAR(to_ms(c.smoothed_latency()), 13.0, 1e-6);
}

TEST(DriftController, LearnsTheDriftInClosedLoop) {
  // The plant: the level grows by (drift - correction) seconds per second.
  for (const double drift : {0.005, -0.005, 0.0092}) {
    DriftController c;
    double level_s = 0.020;
    for (int step = 0; step < 60 * 200; ++step) {  // a minute in 5 ms steps
      level_s += (drift - c.correction()) * 0.005;
      c.observe(Nanoseconds(std::llround(level_s * 1e9)), ms(step * 5.0));
    }
    EXPECT_NEAR(c.drift_estimate(), drift, 1e-5) << drift;
    EXPECT_NEAR(level_s, 0.020, 1e-5) << drift;
  }
}

TEST(DriftController, RestartKeepsTheDriftResetForgetsIt) {
  DriftController c;
  double level_s = 0.020;
  for (int step = 0; step < 60 * 200; ++step) {
    level_s += (0.004 - c.correction()) * 0.005;
    c.observe(Nanoseconds(std::llround(level_s * 1e9)), ms(step * 5.0));
  }
  c.restart(ms(30), ms(1e6));
  EXPECT_NEAR(c.correction(), 0.004, 1e-4) << "the proportional part is gone, the drift is not";
  EXPECT_NEAR(to_ms(c.smoothed_latency()), 20.0, 1e-9) << "restarts at the target";
  c.reset();
  EXPECT_EQ(c.correction(), 0.0);
  EXPECT_EQ(c.drift_estimate(), 0.0);
}

}  // namespace
}  // namespace periscope::audio
