// A hostile guest, live: while the capture agent and the viewer run, a second process writes
// adversarial values into the region (huge counts, offsets past the end, a lock held, fields
// flipping while read), then the agent is frozen (heartbeat stops). The viewer must not crash,
// hang or grow without bound, and must be showing frames again once the scribbling stops.
#include <gtest/gtest.h>

#include <signal.h>

#include <thread>

#include "process_helpers.hpp"

namespace periscope::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
constexpr std::uint64_t kRegionBytes = 32 * 1024 * 1024;

class HostileGuest : public ::testing::TestWithParam<int> {};

TEST_P(HostileGuest, ViewerSurvivesAndRecovers) {
  const std::string seed = std::to_string(GetParam());
  TempPath shm("hostile-" + seed);
  TempPath stats("hostile-" + seed + ".json", "/tmp");
  shm.resize(kRegionBytes);
  auto agent = Subprocess::spawn({bin("periscope-capture"), "--shm", shm.str(), "--size", "640x480",
                                  "--fps", "60", "--log-level", "error"});
  ASSERT_TRUE(agent);
  const TimePoint start = Clock::now();
  auto viewer = Subprocess::spawn({bin("periscope"), "--log-level", "error", "view", "--headless",
                                   "--shm", shm.str(), "--seconds", "10", "--stats-json",
                                   stats.str(), "--report-interval", "0"});
  ASSERT_TRUE(viewer);

  std::this_thread::sleep_for(seconds(1));
  const auto scribble = run({bin("periscope-test-scribbler"), shm.str(), "4", seed}, seconds(20));
  EXPECT_EQ(scribble.status, 0) << scribble.output;
  EXPECT_TRUE(viewer->running()) << "the viewer died while the guest scribbled";

  // A frozen guest: the heartbeat stops for 1.5 s, then the agent goes on.
  agent->signal(SIGSTOP);
  std::this_thread::sleep_for(milliseconds(1500));
  agent->signal(SIGCONT);

  // --seconds 10 plus a little: an exit much later would mean a wait that is not bounded.
  const auto status = viewer->wait_for(seconds(10) - (Clock::now() - start) + seconds(3));
  ASSERT_TRUE(status.has_value()) << "the viewer hung";
  EXPECT_EQ(*status, 0);
  EXPECT_TRUE(agent->running()) << "the agent died";
  EXPECT_EQ(agent->terminate(), 0);

  const auto json = read_json(stats.str());
  SCOPED_TRACE(json.dump(2));
  // It noticed: lying messages were refused, and sessions restarted (the heartbeat stop alone
  // forces one).
  EXPECT_GT(json["rejected_messages"].get<int>(), 0);
  EXPECT_GE(json["session_restarts"].get<int>(), 1);
  // It recovered: the last frame arrived moments before the end.
  ASSERT_FALSE(json["last_frame"].is_null());
  EXPECT_LT(json["last_frame"]["age_ms"].get<double>(), 500.0);
  EXPECT_TRUE(json["in_session"].get<bool>());
  // Bounded memory, whatever sizes the guest claimed: the mapping (counted once it is read)
  // plus the consumer's three ring buffers, each at most a region's worth (a frame must fit
  // in the region), and change (64 MiB: libraries, and ASan's quarantine in sanitizer builds).
  EXPECT_LT(json["max_rss_kib"].get<std::int64_t>() * 1024,
            static_cast<std::int64_t>(4 * kRegionBytes + 64 * 1024 * 1024));
}

INSTANTIATE_TEST_SUITE_P(Seeds, HostileGuest, ::testing::Values(1, 2));

}  // namespace
}  // namespace periscope::testing
