// Viewers attached while the capture agent starts, over and over: a correct producer that is
// initialising reads as "not ready yet", never as a protocol violation.
#include <gtest/gtest.h>

#include <csignal>
#include <random>
#include <thread>

#include "process_helpers.hpp"

namespace periscope::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::vector<std::string> agent_args(const std::string& shm) {
  return {bin("periscope-capture"), "--shm", shm, "--size", "1920x1080", "--fps", "120"};
}

std::vector<std::string> viewer_args(const std::string& shm, const std::string& seconds_text,
                                     const std::string& stats) {
  return {bin("periscope"), "view", "--headless",        "--shm", shm, "--seconds", seconds_text,
          "--stats-json",   stats,  "--report-interval", "0"};
}

// The agent restarts dozens of times (a guest agent that exits and is started again) while
// one viewer stays attached across all of it, and short-lived viewers start at the moment each
// agent does, so they attach while it initialises. Each agent is also paused now and then for
// 15-35 ms (SIGSTOP: what a descheduled guest or vCPU looks like), at random, from its first
// instructions on, so some pauses land in its initialisation and some in a frame being written.
// A correct producer does all of this: nobody may count a rejected message.
TEST(RelayAttach, ViewersAttachedWhileTheAgentStartsRejectNothing) {
  constexpr int kRestarts = 30;
  TempPath shm("attach");
  TempPath long_stats("attach-long.json", "/tmp");
  shm.resize(32u << 20);
  auto viewer =
      Subprocess::spawn(viewer_args(shm.str(), "60", long_stats.str()), "/dev/null", "/dev/null");
  ASSERT_TRUE(viewer);
  std::mt19937 rng(std::random_device{}());
  const auto ms = [&](unsigned from, unsigned to) {
    return milliseconds(from + rng() % (to - from));
  };
  std::vector<std::unique_ptr<TempPath>> short_stats;
  std::vector<Subprocess> short_viewers;
  for (int i = 0; i < kRestarts; ++i) {
    auto agent = Subprocess::spawn(agent_args(shm.str()), "/dev/null", "/dev/null");
    ASSERT_TRUE(agent);
    if (i % 3 == 0) {
      short_stats.push_back(
          std::make_unique<TempPath>("attach-" + std::to_string(i) + ".json", "/tmp"));
      auto second = Subprocess::spawn(viewer_args(shm.str(), "0.4", short_stats.back()->str()),
                                      "/dev/null", "/dev/null");
      ASSERT_TRUE(second);
      short_viewers.push_back(std::move(*second));
    }
    for (int pause = 0; pause < 3; ++pause) {
      std::this_thread::sleep_for(ms(0, 50));
      agent->signal(SIGSTOP);
      std::this_thread::sleep_for(ms(15, 35));
      agent->signal(SIGCONT);
    }
    std::this_thread::sleep_for(ms(20, 120));
    ASSERT_EQ(agent->terminate(), 0);
    std::this_thread::sleep_for(ms(0, 20));
  }
  // The last agent runs long enough for every viewer to see it.
  auto agent = Subprocess::spawn(agent_args(shm.str()), "/dev/null", "/dev/null");
  ASSERT_TRUE(agent);
  std::this_thread::sleep_for(milliseconds(600));
  for (auto& second : short_viewers) EXPECT_EQ(second.wait_for(seconds(20)), 0);
  viewer->signal(SIGTERM);
  ASSERT_EQ(viewer->wait_for(seconds(20)), std::optional<int>(0));
  EXPECT_EQ(agent->terminate(), 0);

  const auto json = read_json(long_stats.str());
  EXPECT_EQ(json["rejected_messages"].get<int>(), 0) << json.dump(2);
  EXPECT_GE(json["sessions"].get<int>(), kRestarts / 2) << json.dump(2);
  EXPECT_EQ(json["in_session"], true) << json.dump(2);
  EXPECT_GT(json["frames"].get<int>(), kRestarts) << json.dump(2);
  for (const auto& stats : short_stats) {
    const auto short_json = read_json(stats->str());
    EXPECT_EQ(short_json["rejected_messages"].get<int>(), 0) << short_json.dump(2);
  }
}

}  // namespace
}  // namespace periscope::testing
