// The capture agent and the headless viewer as two processes over a real /dev/shm file.
#include <gtest/gtest.h>

#include <cstdlib>

#include "capture/test_pattern.hpp"
#include "image/png_io.hpp"
#include "process_helpers.hpp"
#include "relay/frame_format.hpp"

namespace periscope::testing {
namespace {

using std::chrono::seconds;
constexpr std::uint64_t kMiB = 1024 * 1024;

std::vector<std::string> capture_args(const std::string& shm, const std::string& size,
                                      const std::string& format, const std::string& fps) {
  return {bin("periscope-capture"), "--shm", shm, "--size", size, "--format", format, "--fps", fps};
}

std::vector<std::string> view_args(const std::string& shm, const std::string& duration_s,
                                   const std::string& stats, const std::string& dump = {}) {
  std::vector<std::string> args = {
      bin("periscope"), "view", "--headless",        "--shm", shm, "--seconds", duration_s,
      "--stats-json",   stats,  "--report-interval", "0"};
  if (!dump.empty()) {
    args.push_back("--dump-frame");
    args.push_back(dump);
  }
  return args;
}

class FormatRoundTrip : public ::testing::TestWithParam<const char*> {};

// What a user sees: the picture the guest drew, in every pixel format, arrives intact.
TEST_P(FormatRoundTrip, DumpedFrameMatchesTheTestPattern) {
  const std::string format = GetParam();
  const auto type = *b7::parse_frame_type(format);
  TempPath shm("fmt-" + format);
  TempPath stats("fmt-" + format + ".json", "/tmp");
  TempPath dump("fmt-" + format + ".png", "/tmp");
  shm.resize(32 * kMiB);
  auto agent = Subprocess::spawn(capture_args(shm.str(), "333x201", format, "100"));
  ASSERT_TRUE(agent);
  const auto viewer = run(view_args(shm.str(), "1.5", stats.str(), dump.str()), seconds(20));
  ASSERT_EQ(viewer.status, 0) << viewer.output;
  EXPECT_EQ(agent->terminate(), 0);

  const auto json = read_json(stats.str());
  EXPECT_GT(json["frames"].get<int>(), 50) << json.dump(2);
  EXPECT_GT(json["damage_frames"].get<int>(), 40) << "later frames travel as damage only";
  EXPECT_EQ(json["rejected_messages"].get<int>(), 0);
  EXPECT_EQ(json["session_restarts"].get<int>(), 0);
  EXPECT_EQ(json["last_frame"]["format"], format);
  // The shape arrives; a viewer that subscribes while the agent posts it may get it twice
  // (the post and the re-post for the new subscriber), as with B7.
  EXPECT_GE(json["cursor_shapes"].get<int>(), 1);
  EXPECT_LE(json["cursor_shapes"].get<int>(), 2);

  auto image = image::read_png(dump.str());
  ASSERT_TRUE(image) << image.error().message;
  ASSERT_EQ(image->width, 333U);
  ASSERT_EQ(image->height, 201U);
  const capture::TestPattern::Options options{333, 201, 100, type};
  const std::uint64_t index = json["last_frame"]["serial"].get<std::uint64_t>() - 1;
  const int cx = json["cursor"]["x"].get<int>();
  const int cy = json["cursor"]["y"].get<int>();
  int mismatches = 0;
  for (std::uint32_t y = 0; y < image->height; ++y) {
    for (std::uint32_t x = 0; x < image->width; ++x) {
      const int dx = static_cast<int>(x) - cx;
      const int dy = static_cast<int>(y) - cy;
      if (dx >= 0 && dx < 32 && dy >= 0 && dy < 32) continue;  // under the cursor
      const auto want = capture::TestPattern::expected_rgba(options, index, x, y);
      const auto got = image->at(x, y);
      if (got.r != want[0] || got.g != want[1] || got.b != want[2]) ++mismatches;
    }
  }
  EXPECT_EQ(mismatches, 0) << "frame index " << index;
  // And the cursor is drawn where it was reported: its outline is not the background.
}

INSTANTIATE_TEST_SUITE_P(AllFormats, FormatRoundTrip,
                         ::testing::Values("bgra", "rgba", "rgba10", "rgba16f", "bgr32", "rgb24"));

TEST(CaptureAgent, ExplainsAMissingRegion) {
  const auto r = run(
      capture_args("/dev/shm/periscope-test-does-not-exist", "640x480", "bgra", "30"), seconds(10));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("does not exist"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("truncate -s 16M"), std::string::npos) << r.output;
}

TEST(CaptureAgent, SaysWhichSizeIsNeeded) {
  TempPath shm("small");
  shm.resize(16 * kMiB);
  const auto r = run(capture_args(shm.str(), "2560x1440", "bgra", "30"), seconds(10));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("needs 64 MiB"), std::string::npos) << r.output;
  TempPath tiny("tiny");
  tiny.resize(1 * kMiB);
  const auto t = run(capture_args(tiny.str(), "1920x1080", "bgra", "30"), seconds(10));
  EXPECT_EQ(t.status, 1);
  EXPECT_NE(t.output.find("needs 32 MiB"), std::string::npos) << t.output;
}

TEST(CaptureAgent, RejectsBadSizes) {
  TempPath shm("badsize");
  shm.resize(32 * kMiB);
  for (const char* size : {"0x480", "640x", "abc", "20000x10", "640x480x2"}) {
    const auto r = run(capture_args(shm.str(), size, "bgra", "30"), seconds(10));
    EXPECT_EQ(r.status, 2) << size;
    EXPECT_NE(r.output.find("bad size"), std::string::npos) << r.output;
  }
}

// A region too small for the frame: the top arrives, flagged truncated, and the viewer says
// which size is needed by the spec's rule.
TEST(Relay, TruncatedFramesSayTheSizeNeeded) {
  TempPath shm("trunc");
  TempPath stats("trunc.json", "/tmp");
  shm.resize(16 * kMiB);
  auto args = capture_args(shm.str(), "1920x1080", "bgra", "60");
  args.push_back("--allow-truncated");
  auto agent = Subprocess::spawn(args);
  ASSERT_TRUE(agent);
  const auto viewer = run(view_args(shm.str(), "1.5", stats.str()), seconds(20));
  ASSERT_EQ(viewer.status, 0) << viewer.output;
  const auto json = read_json(stats.str());
  EXPECT_GT(json["truncated_frames"].get<int>(), 10);
  EXPECT_TRUE(json["last_frame"]["truncated"].get<bool>());
  EXPECT_EQ(json["last_frame"]["needed_region_bytes"].get<std::uint64_t>(), 32 * kMiB);
}

// The guest's agent restarts (a guest reboot, a crash): the viewer notices the new session
// and carries on with it.
TEST(Relay, ViewerFollowsAProducerRestart) {
  TempPath shm("restart");
  TempPath stats("restart.json", "/tmp");
  shm.resize(32 * kMiB);
  auto viewer = Subprocess::spawn(view_args(shm.str(), "4", stats.str()));
  ASSERT_TRUE(viewer);
  {
    auto agent = Subprocess::spawn(capture_args(shm.str(), "640x480", "bgra", "60"));
    ASSERT_TRUE(agent);
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    EXPECT_EQ(agent->terminate(), 0);
  }
  auto agent = Subprocess::spawn(capture_args(shm.str(), "800x600", "bgra", "60"));
  ASSERT_TRUE(agent);
  ASSERT_EQ(viewer->wait_for(seconds(20)), std::optional<int>(0));
  const auto json = read_json(stats.str());
  EXPECT_GE(json["sessions"].get<int>(), 2) << json.dump(2);
  EXPECT_GE(json["session_restarts"].get<int>(), 1);
  EXPECT_EQ(json["last_frame"]["width"].get<int>(), 800);
  EXPECT_LT(json["last_frame"]["age_ms"].get<double>(), 500.0);
}

// The README's first command: the demo runs, shows frames and leaves nothing behind.
// The two-process form of the demo (what `periscope demo` falls back to without QEMU; the VM
// form is in demo_vm_test.cpp).
TEST(Demo, HeadlessPatternDemoRunsAndCleansUp) {
  TempPath stats("demo.json", "/tmp");
  const auto r = run({bin("periscope"), "demo", "--guest", "pattern", "--headless", "--seconds",
                      "2", "--stats-json", stats.str()},
                     seconds(30));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("frames"), std::string::npos);
  const auto json = read_json(stats.str());
  EXPECT_GT(json["frames"].get<int>(), 60);
  EXPECT_EQ(json["latency_source"], "post-clock");
  // The pattern demo's region is periscope-demo-<pid>.ivshmem; a VM demo test running beside
  // this one (ctest -j) owns periscope-demo-vm-* and checks its own cleanup.
  for (const auto& entry : std::filesystem::directory_iterator("/dev/shm")) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("periscope-demo-vm-", 0) == 0) continue;
    EXPECT_EQ(name.find("periscope-demo-"), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace periscope::testing
