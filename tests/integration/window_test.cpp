// The real viewer window on a virtual X server (Xvfb, started here), fed by the capture agent's
// test pattern over /dev/shm: its screenshots must show the pattern, in place, in every pixel
// format, scaling mode and rotation, with the cursor where the guest put it.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "../unit/fake_qmp_server.hpp"
#include "capture/test_pattern.hpp"
#include "image/cursor_blend.hpp"
#include "image/frame_to_rgba.hpp"
#include "image/png_io.hpp"
#include "process_helpers.hpp"
#include "relay/frame_format.hpp"
#include "viewer/scaling.hpp"

namespace periscope::testing {
namespace {

using std::chrono::seconds;
constexpr std::uint64_t kMiB = 1024 * 1024;

// One Xvfb for the whole suite; DISPLAY points at it for every program the tests start.
class XvfbEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (::access("/usr/bin/Xvfb", X_OK) != 0) return;  // tests skip and say why
    for (int attempt = 0; attempt < 20 && !server_; ++attempt) {
      const int display = 100 + static_cast<int>((::getpid() + attempt * 7) % 800);
      if (std::filesystem::exists("/tmp/.X" + std::to_string(display) + "-lock")) continue;
      auto server = Subprocess::spawn({"/usr/bin/Xvfb", ":" + std::to_string(display), "-screen",
                                       "0", "1280x1024x24", "-nolisten", "tcp", "-noreset"},
                                      "/dev/null", "/dev/null");
      if (!server) continue;
      const std::string socket = "/tmp/.X11-unix/X" + std::to_string(display);
      for (int i = 0; i < 100 && !std::filesystem::exists(socket); ++i) {
        ::usleep(50000);
      }
      if (!std::filesystem::exists(socket)) {
        server->terminate();
        continue;
      }
      display_ = ":" + std::to_string(display);
      server_.emplace(std::move(*server));
    }
    if (server_) ::setenv("DISPLAY", display_.c_str(), 1);
    ::unsetenv("WAYLAND_DISPLAY");
  }
  void TearDown() override {
    if (server_) server_->terminate();
  }
  static bool available() { return !display_.empty(); }

 private:
  static inline std::string display_;
  std::optional<Subprocess> server_;
};

const auto* const kXvfb = ::testing::AddGlobalTestEnvironment(new XvfbEnvironment);

#define REQUIRE_XVFB()                                                    \
  if (!XvfbEnvironment::available()) {                                    \
    GTEST_SKIP() << "Xvfb is not installed: run scripts/install-deps.sh"; \
  }

// In sanitizer builds the viewer's leak check is off while it has a window: Mesa and D-Bus
// (loaded by SDL) keep allocations to the end, and Mesa unloads its driver first, so they
// cannot even be suppressed by name. Our code on this path is leak-checked by the unit tests
// (the view loop, presenters' CPU side) and the headless integration tests.
class WindowProcessEnvironment {
 public:
  WindowProcessEnvironment() {
    const char* asan = std::getenv("ASAN_OPTIONS");
    saved_ = asan != nullptr ? std::optional<std::string>(asan) : std::nullopt;
    const std::string options = (saved_ ? *saved_ + ":" : std::string()) + "detect_leaks=0";
    ::setenv("ASAN_OPTIONS", options.c_str(), 1);
  }
  WindowProcessEnvironment(const WindowProcessEnvironment&) = delete;
  WindowProcessEnvironment& operator=(const WindowProcessEnvironment&) = delete;
  ~WindowProcessEnvironment() {
    if (saved_) {
      ::setenv("ASAN_OPTIONS", saved_->c_str(), 1);
    } else {
      ::unsetenv("ASAN_OPTIONS");
    }
  }

 private:
  std::optional<std::string> saved_;
};

struct Scene {
  std::string format{"bgra"};
  std::string scale{"fit"};
  int rotate{0};
  std::uint32_t guest_w{333};
  std::uint32_t guest_h{201};
  std::uint32_t window_w{800};
  std::uint32_t window_h{600};
};

struct Shot {
  image::RgbaImage picture;
  nlohmann::json stats;
};

// Runs the agent and the windowed viewer until it has shown a few frames and saved a shot.
Shot take_screenshot(const Scene& scene, const std::vector<std::string>& extra = {}) {
  const WindowProcessEnvironment environment;
  const std::string tag = scene.format + "-" + scene.scale + "-" + std::to_string(scene.rotate);
  TempPath shm("win-" + tag);
  TempPath stats("win-" + tag + ".json", "/tmp");
  TempPath png("win-" + tag + ".png", "/tmp");
  shm.resize(32 * kMiB);
  auto agent =
      Subprocess::spawn({bin("periscope-capture"), "--shm", shm.str(), "--size",
                         fmt::format("{}x{}", scene.guest_w, scene.guest_h), "--format",
                         scene.format, "--fps", "30", "--rotate", std::to_string(scene.rotate)});
  EXPECT_TRUE(agent);
  std::vector<std::string> args = {bin("periscope"),  "view",
                                   "--shm",           shm.str(),
                                   "--scale",         scene.scale,
                                   "--window-width",  std::to_string(scene.window_w),
                                   "--window-height", std::to_string(scene.window_h),
                                   "--screenshot",    png.str(),
                                   "--after-frames",  "4",
                                   "--seconds",       "30",
                                   "--stats-json",    stats.str()};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto viewer = run(args, seconds(40));
  if (agent) agent->terminate();
  EXPECT_EQ(viewer.status, 0) << viewer.output;
  Shot shot;
  if (viewer.status != 0) return shot;
  shot.stats = read_json(stats.str());
  auto picture = image::read_png(png.str());
  EXPECT_TRUE(picture) << (picture ? "" : picture.error().message);
  if (picture) shot.picture = std::move(*picture);
  return shot;
}

// The upright guest picture the shot must show: the pattern frame it reports, converted by the
// CPU reference, with the cursor drawn where the shot says it was.
image::RgbaImage expected_picture(const Scene& scene, const nlohmann::json& info) {
  const auto type = *b7::parse_frame_type(scene.format);
  const capture::TestPattern::Options options{scene.guest_w, scene.guest_h, 30, type};
  const std::uint64_t index = info["serial"].get<std::uint64_t>() - 1;
  const auto bytes = capture::TestPattern::render_frame(options, index);
  b7::FrameInfo frame;
  frame.type = type;
  frame.frame_width = scene.guest_w;
  frame.frame_height = scene.guest_h;
  frame.data_height = scene.guest_h;
  frame.pitch = capture::TestPattern::pitch_bytes(options);
  frame.rotation = static_cast<b7::FrameRotation>(scene.rotate / 90);
  image::RgbaImage picture = image::frame_to_rgba(frame, bytes);
  CursorShape shape;
  shape.width = shape.height = capture::TestPattern::kCursorSize;
  shape.pitch = shape.width * 4;
  const auto pixels = capture::TestPattern::cursor_shape_bgra();
  shape.pixels.assign(pixels.begin(), pixels.end());
  image::draw_cursor(
      picture, CursorState{info["cursor"]["visible"].get<bool>(), info["cursor"]["x"].get<int>(),
                           info["cursor"]["y"].get<int>(), shape, 1});
  return picture;
}

bool close(image::Rgba a, image::Rgba b, int tolerance) {
  return std::abs(a.r - b.r) <= tolerance && std::abs(a.g - b.g) <= tolerance &&
         std::abs(a.b - b.b) <= tolerance;
}

struct Comparison {
  std::uint64_t compared{0};
  std::uint64_t mismatches{0};
  std::uint64_t picture_pixels{0};
  std::string first;
};

// Every window pixel: black outside the picture; inside, the guest pixel under its centre
// (whole-pixel modes) or a colour between those of the guest pixels around it (smooth modes).
Comparison compare(const Scene& scene, const Shot& shot) {
  Comparison c;
  const auto& info = shot.stats["screenshot"];
  const image::RgbaImage want = expected_picture(scene, info);
  const auto mode = *viewer::parse_scale_mode(scene.scale);
  const input::PictureRect r =
      viewer::picture_rect(mode, shot.picture.width, shot.picture.height, want.width, want.height);
  EXPECT_EQ(info["picture"]["x"].get<int>(), r.x);
  EXPECT_EQ(info["picture"]["width"].get<int>(), r.width);
  const bool smooth = viewer::scale_mode_is_smooth(mode);
  const bool cursor_visible = info["cursor"]["visible"].get<bool>();
  const std::int64_t cursor_x = info["cursor"]["x"].get<int>();
  const std::int64_t cursor_y = info["cursor"]["y"].get<int>();
  const int tolerance = smooth ? 2 : (scene.format == "rgba16f" ? 1 : 0);
  for (std::uint32_t oy = 0; oy < shot.picture.height; ++oy) {
    for (std::uint32_t ox = 0; ox < shot.picture.width; ++ox) {
      const image::Rgba got = shot.picture.at(ox, oy);
      const auto x = static_cast<std::int64_t>(ox) - r.x;
      const auto y = static_cast<std::int64_t>(oy) - r.y;
      std::optional<image::Rgba> expect;
      if (x < 0 || y < 0 || x >= r.width || y >= r.height) {
        expect = image::kOpaqueBlack;
      } else {
        ++c.picture_pixels;
        const double u = (static_cast<double>(x) + 0.5) * want.width / r.width;
        const double v = (static_cast<double>(y) + 0.5) * want.height / r.height;
        if (!smooth) {
          expect = want.at(static_cast<std::uint32_t>(u), static_cast<std::uint32_t>(v));
        } else {
          // Filtering mixes the guest pixels around the sample point (and a rasteriser's
          // coordinates are a little off): the result must lie within the colours of the 3x3
          // guest pixels around it, per channel, give or take the tolerance.
          const auto cx = static_cast<std::int64_t>(u);
          const auto cy = static_cast<std::int64_t>(v);
          // The window blends the cursor over the filtered picture, the reference filters the
          // picture with the cursor in it: at the cursor's soft edges the two differ, so the
          // cursor is checked exactly in the whole-pixel modes and left out here.
          if (cursor_visible && cx + 1 >= cursor_x && cx - 1 < cursor_x + 32 &&
              cy + 1 >= cursor_y && cy - 1 < cursor_y + 32) {
            continue;
          }
          image::Rgba lo{255, 255, 255, 255};
          image::Rgba hi{0, 0, 0, 0};
          for (std::int64_t ny = cy - 1; ny <= cy + 1; ++ny) {
            for (std::int64_t nx = cx - 1; nx <= cx + 1; ++nx) {
              const auto px =
                  static_cast<std::uint32_t>(std::clamp<std::int64_t>(nx, 0, want.width - 1));
              const auto py =
                  static_cast<std::uint32_t>(std::clamp<std::int64_t>(ny, 0, want.height - 1));
              const image::Rgba n = want.at(px, py);
              lo = {std::min(lo.r, n.r), std::min(lo.g, n.g), std::min(lo.b, n.b), 255};
              hi = {std::max(hi.r, n.r), std::max(hi.g, n.g), std::max(hi.b, n.b), 255};
            }
          }
          ++c.compared;
          const auto within = [&](int g, int l, int h) {
            return g >= l - tolerance && g <= h + tolerance;
          };
          if (!within(got.r, lo.r, hi.r) || !within(got.g, lo.g, hi.g) ||
              !within(got.b, lo.b, hi.b)) {
            if (c.mismatches++ == 0) {
              c.first = fmt::format("at ({}, {}): got {},{},{} outside {},{},{}..{},{},{}", ox, oy,
                                    got.r, got.g, got.b, lo.r, lo.g, lo.b, hi.r, hi.g, hi.b);
            }
          }
          continue;
        }
      }
      if (!expect) continue;
      ++c.compared;
      if (!close(got, *expect, tolerance)) {
        if (c.mismatches++ == 0) {
          c.first = fmt::format("at ({}, {}): got {},{},{} want {},{},{}", ox, oy, got.r, got.g,
                                got.b, expect->r, expect->g, expect->b);
        }
      }
    }
  }
  return c;
}

void expect_matches(const Scene& scene, const std::vector<std::string>& extra = {}) {
  const Shot shot = take_screenshot(scene, extra);
  ASSERT_TRUE(shot.picture.valid());
  ASSERT_TRUE(shot.stats.contains("screenshot")) << shot.stats.dump(2);
  EXPECT_EQ(shot.picture.width, scene.window_w);
  EXPECT_EQ(shot.picture.height, scene.window_h);
  EXPECT_EQ(shot.stats["presenter"], "gl");
  const Comparison c = compare(scene, shot);
  EXPECT_EQ(c.mismatches, 0U) << c.first << " (" << c.compared << " pixels compared)";
  EXPECT_GT(c.compared, c.picture_pixels * 9 / 10);
}

class WindowFormats : public ::testing::TestWithParam<const char*> {};

TEST_P(WindowFormats, ScreenshotShowsThePatternScaledToFit) {
  REQUIRE_XVFB();
  Scene scene;
  scene.format = GetParam();
  expect_matches(scene);
}

INSTANTIATE_TEST_SUITE_P(AllFormats, WindowFormats,
                         ::testing::Values("bgra", "rgba", "rgba10", "rgba16f", "bgr32", "rgb24"));

class WindowScaling : public ::testing::TestWithParam<const char*> {};

TEST_P(WindowScaling, ScreenshotShowsThePatternInEachMode) {
  REQUIRE_XVFB();
  Scene scene;
  scene.scale = GetParam();
  scene.guest_w = 320;
  scene.guest_h = 200;
  scene.window_w = 700;  // integer: 2x with bars on all sides; native: centred 1:1
  scene.window_h = 500;
  expect_matches(scene);
}

INSTANTIATE_TEST_SUITE_P(Modes, WindowScaling, ::testing::Values("integer", "stretch", "native"));

class WindowRotation : public ::testing::TestWithParam<int> {};

TEST_P(WindowRotation, ScreenshotShowsTheGuestUpright) {
  REQUIRE_XVFB();
  Scene scene;
  scene.rotate = GetParam();
  scene.scale = "integer";
  scene.guest_w = 240;
  scene.guest_h = 160;
  scene.window_w = 500;
  scene.window_h = 500;
  expect_matches(scene);
}

INSTANTIATE_TEST_SUITE_P(Rotations, WindowRotation, ::testing::Values(90, 180, 270));

TEST(Window, ANativePictureLargerThanTheWindowIsCroppedNotShrunk) {
  REQUIRE_XVFB();
  Scene scene;
  scene.scale = "native";
  scene.guest_w = 640;
  scene.guest_h = 400;
  scene.window_w = 300;
  scene.window_h = 200;
  expect_matches(scene);
}

TEST(Window, AOnePixelWindowStillWorks) {
  REQUIRE_XVFB();
  Scene scene;
  scene.window_w = 1;
  scene.window_h = 1;
  const Shot shot = take_screenshot(scene);
  ASSERT_TRUE(shot.picture.valid());
  EXPECT_EQ(shot.picture.width, 1U);
  EXPECT_EQ(shot.picture.height, 1U);
}

TEST(Window, AutoResizeFollowsTheGuest) {
  REQUIRE_XVFB();
  Scene scene;
  scene.scale = "native";
  scene.guest_w = 400;
  scene.guest_h = 300;
  const Shot shot = take_screenshot(scene, {"--auto-resize"});
  ASSERT_TRUE(shot.picture.valid());
  EXPECT_EQ(shot.picture.width, 400U);
  EXPECT_EQ(shot.picture.height, 300U);
  scene.window_w = 400;
  scene.window_h = 300;
  const Comparison c = compare(scene, shot);
  EXPECT_EQ(c.mismatches, 0U) << c.first;
}

TEST(Window, TheOverlayIsDrawnOverThePicture) {
  REQUIRE_XVFB();
  Scene scene;
  const Shot plain = take_screenshot(scene);
  const Shot overlay = take_screenshot(scene, {"--overlay"});
  ASSERT_TRUE(plain.picture.valid() && overlay.picture.valid());
  // The top-left panel darkens what is under it; the pattern outside it is unchanged.
  int darker = 0;
  for (std::uint32_t y = 80; y < 150; ++y) {
    for (std::uint32_t x = 20; x < 90; ++x) {  // white bar under the panel
      const auto a = plain.picture.at(x, y);
      const auto b = overlay.picture.at(x, y);
      if (b.r + b.g + b.b + 60 < a.r + a.g + a.b) ++darker;
    }
  }
  EXPECT_GT(darker, 70 * 70 / 2);
  EXPECT_EQ(plain.picture.at(700, 400), overlay.picture.at(700, 400));
}

TEST(Window, WaitingForTheGuestIsShownInTheWindow) {
  REQUIRE_XVFB();
  const WindowProcessEnvironment environment;
  TempPath shm("win-waiting");
  TempPath png("win-waiting.png", "/tmp");
  shm.resize(32 * kMiB);
  // No agent: the viewer shows its waiting screen; --seconds ends it without a screenshot.
  const auto viewer = run(
      {bin("periscope"), "view", "--shm", shm.str(), "--seconds", "1.5", "--screenshot", png.str()},
      seconds(20));
  EXPECT_EQ(viewer.status, 1) << "no frame was shown, so no screenshot: " << viewer.output;
  EXPECT_NE(viewer.output.find("no screenshot"), std::string::npos) << viewer.output;
}

TEST(Window, WithoutADisplayItSaysToUseHeadless) {
  TempPath shm("win-nodisplay");
  shm.resize(32 * kMiB);
  const char* saved = std::getenv("DISPLAY");
  const std::string display = saved != nullptr ? saved : "";
  ::unsetenv("DISPLAY");
  const auto viewer =
      run({bin("periscope"), "view", "--shm", shm.str(), "--seconds", "1"}, seconds(20));
  if (!display.empty()) ::setenv("DISPLAY", display.c_str(), 1);
  EXPECT_EQ(viewer.status, 2) << viewer.output;
  EXPECT_NE(viewer.output.find("--headless"), std::string::npos) << viewer.output;
}

TEST(Window, AMissingQmpSocketKeepsShowingFrames) {
  REQUIRE_XVFB();
  Scene scene;
  const Shot shot = take_screenshot(scene, {"--qmp", "/tmp/periscope-test-no-such.qmp"});
  ASSERT_TRUE(shot.picture.valid());
  ASSERT_TRUE(shot.stats.contains("input"));
  EXPECT_FALSE(shot.stats["input"]["connected"].get<bool>());
  EXPECT_NE(shot.stats["input"]["last_error"].get<std::string>(), "");
  const Comparison c = compare(scene, shot);
  EXPECT_EQ(c.mismatches, 0U) << c.first;
}

}  // namespace
}  // namespace periscope::testing

namespace periscope::testing {
namespace {

bool has_xdotool() {
  return ::access("/usr/bin/xdotool", X_OK) == 0;
}

// A line of the QMP conversation that carries this event.
bool sent(const std::vector<std::string>& lines, const std::string& needle) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

// Real X input events (XTest, through xdotool) on the real window reach a QMP server as the
// exact input-send-event commands QEMU expects; focus loss releases a held key at once.
TEST(WindowInput, KeysMouseAndFocusLossReachQmp) {
  REQUIRE_XVFB();
  if (!has_xdotool()) GTEST_SKIP() << "xdotool is not installed: run scripts/install-deps.sh";
  const WindowProcessEnvironment environment;
  TempPath shm("win-input");
  TempPath log("win-input.log", "/tmp");
  shm.resize(32 * kMiB);
  const std::string socket = input::fake_qmp::unique_socket_path();
  input::fake_qmp::FakeQmpServer qemu(socket, [](input::fake_qmp::Peer& peer) {
    input::fake_qmp::serve_handshake(peer);
    for (;;) {
      const auto command = peer.read_command();
      if (command.is_null()) return;
      peer.reply_return(command);
    }
  });
  auto agent = Subprocess::spawn(
      {bin("periscope-capture"), "--shm", shm.str(), "--size", "320x200", "--fps", "30"});
  ASSERT_TRUE(agent);
  auto viewer = Subprocess::spawn(
      {bin("periscope"), "view", "--shm", shm.str(), "--qmp", socket, "--seconds", "20",
       "--window-width", "640", "--window-height", "480", "--title", "periscope-input-test"},
      log.str(), log.str());
  ASSERT_TRUE(viewer);
  const auto found =
      run({"/usr/bin/xdotool", "search", "--sync", "--name", "periscope-input-test"}, seconds(10));
  ASSERT_EQ(found.status, 0) << found.output << read_file(log.str());
  const std::string window = found.output.substr(0, found.output.find('\n'));
  const auto xdo = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/bin/xdotool");
    const auto r = run(args, seconds(10));
    EXPECT_EQ(r.status, 0) << r.output;
  };
  const auto wait_for = [&](const std::string& needle) {
    for (int i = 0; i < 100; ++i) {
      if (sent(qemu.received(), needle)) return true;
      ::usleep(20000);
    }
    return false;
  };
  xdo({"windowfocus", "--sync", window});
  ASSERT_TRUE(wait_for("query-version")) << "the viewer connects and probes the version";
  xdo({"key", "a"});
  EXPECT_TRUE(
      wait_for(R"({"type":"key","data":{"down":false,"key":{"type":"qcode","data":"a"}}})"));
  EXPECT_TRUE(sent(qemu.received(),
                   R"({"type":"key","data":{"down":true,"key":{"type":"qcode","data":"a"}}})"));
  // The window centre; a 320x200 guest fits as 640x400 at y = 40, so (320, 240) is the middle
  // of the picture: 32767 * 320/639 and 32767 * 200/399 on the tablet.
  xdo({"mousemove", "--window", window, "320", "240"});
  xdo({"click", "1"});
  EXPECT_TRUE(wait_for(R"({"type":"btn","data":{"down":false,"button":"left"}})"));
  EXPECT_TRUE(sent(qemu.received(), R"({"type":"abs","data":{"axis":"x","value":16409}})"));
  EXPECT_TRUE(sent(qemu.received(), R"({"type":"abs","data":{"axis":"y","value":16425}})"));
  xdo({"key", "ctrl+Right"});
  EXPECT_TRUE(wait_for(R"("data":"right"}}})"));
  EXPECT_TRUE(sent(qemu.received(), R"("data":"ctrl"}}})"));

  // Shift held, then the window loses focus (unmapped): shift must be released in the guest at
  // once (SDL reports the held keys going up and the viewer also releases all it pressed).
  xdo({"keydown", "shift"});
  ASSERT_TRUE(wait_for(R"({"down":true,"key":{"type":"qcode","data":"shift"}})"));
  xdo({"windowunmap", "--sync", window});
  EXPECT_TRUE(wait_for(R"({"down":false,"key":{"type":"qcode","data":"shift"}})"))
      << "a key held when focus goes must be released in the guest";
  EXPECT_FALSE(viewer->wait_for(Milliseconds(0))) << "released on focus loss, not at exit";
  run({"/usr/bin/xdotool", "keyup", "shift"}, seconds(5));

  EXPECT_EQ(viewer->terminate(), 0) << read_file(log.str());
  agent->terminate();
  qemu.join();
}

}  // namespace
}  // namespace periscope::testing
