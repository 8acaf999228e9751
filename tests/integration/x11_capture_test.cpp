// The X11 capture source against a real X server (Xvfb, started here), drawn on with Xlib:
// the first frame must equal what was drawn, pixel for pixel; a small drawing must come back
// as a small damage rect; an idle screen must cost (almost) nothing; the cursor's shape,
// hotspot and moves must arrive. Then periscope-capture-x11 and the headless viewer as two
// processes over /dev/shm: the viewer's picture must be the X screen, cursor included.
// Also the source's pure parts (damage clipping, row bands, cursor un-premultiplying).
#include <gtest/gtest.h>

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "capture_x11/cursor_convert.hpp"
#include "capture_x11/damage_rects.hpp"
#include "capture_x11/x11_handles.hpp"
#include "capture_x11/x11_source.hpp"
#include "image/png_io.hpp"
#include "process_helpers.hpp"
#include "relay/frame_format.hpp"

namespace periscope::testing {
namespace {

using capture::CapturedCursor;
using capture::CapturedFrame;
using capture::CaptureStatus;
using capture::X11Source;
using capture::X11SourceOptions;
using std::chrono::seconds;

constexpr std::uint32_t kWidth = 640;
constexpr std::uint32_t kHeight = 480;

// A private Xvfb on a free display number, stopped when the owner goes.
class Xvfb {
 public:
  static std::optional<Xvfb> start() {
    if (::access("/usr/bin/Xvfb", X_OK) != 0) return std::nullopt;
    for (int attempt = 0; attempt < 20; ++attempt) {
      // A different range from window_test's server, so the two never race for a number.
      const int number = 1000 + static_cast<int>((::getpid() * 13 + attempt * 17) % 3000);
      if (std::filesystem::exists("/tmp/.X" + std::to_string(number) + "-lock")) continue;
      auto server =
          Subprocess::spawn({"/usr/bin/Xvfb", ":" + std::to_string(number), "-screen", "0",
                             std::to_string(kWidth) + "x" + std::to_string(kHeight) + "x24",
                             "-nolisten", "tcp", "-noreset"},
                            "/dev/null", "/dev/null");
      if (!server) continue;
      const std::string socket = "/tmp/.X11-unix/X" + std::to_string(number);
      for (int i = 0; i < 100 && server->running() && !std::filesystem::exists(socket); ++i) {
        ::usleep(50000);
      }
      if (!server->running() || !std::filesystem::exists(socket)) {
        server->terminate();
        continue;
      }
      Xvfb xvfb;
      xvfb.display_ = ":" + std::to_string(number);
      xvfb.server_ = std::move(*server);
      return xvfb;
    }
    return std::nullopt;
  }
  [[nodiscard]] const std::string& display() const { return display_; }
  void stop() { server_.terminate(); }

 private:
  Xvfb() = default;
  std::string display_;
  Subprocess server_;
};

// Draws on the root window with plain Xlib (its own connection, as another X client would)
// and keeps a model of what the screen should show.
class Painter {
 public:
  static std::optional<Painter> connect(const std::string& name) {
    capture::x11::DisplayPtr display(XOpenDisplay(name.c_str()));
    if (!display) return std::nullopt;
    return Painter(std::move(display));
  }
  Painter(Painter&& other) noexcept = default;
  Painter& operator=(Painter&&) noexcept = default;
  Painter(const Painter&) = delete;
  Painter& operator=(const Painter&) = delete;
  ~Painter() {
    if (display_) XFreeGC(display_.get(), gc_);
  }

  // Fills a rectangle with 0xRRGGBB (on a depth-24 TrueColor screen the pixel value is the
  // colour) and waits until the server has drawn it.
  void fill(int x, int y, int w, int h, std::uint32_t rgb) {
    XSetForeground(display_.get(), gc_, rgb);
    XFillRectangle(display_.get(), root_, gc_, x, y, static_cast<unsigned>(w),
                   static_cast<unsigned>(h));
    XSync(display_.get(), False);
    for (int row = std::max(y, 0); row < std::min<int>(y + h, kHeight); ++row) {
      for (int col = std::max(x, 0); col < std::min<int>(x + w, kWidth); ++col) {
        model_[static_cast<std::size_t>(row) * kWidth + static_cast<std::size_t>(col)] = rgb;
      }
    }
  }
  [[nodiscard]] std::pair<int, int> pointer() const {
    Window root = 0;
    Window child = 0;
    int x = 0;
    int y = 0;
    int wx = 0;
    int wy = 0;
    unsigned int buttons = 0;
    XQueryPointer(display_.get(), root_, &root, &child, &x, &y, &wx, &wy, &buttons);
    return {x, y};
  }
  void warp(int x, int y) {
    XWarpPointer(display_.get(), None, root_, 0, 0, 0, 0, x, y);
    XSync(display_.get(), False);
  }
  // A 16x16 core cursor: rows 0..11 visible (mask set), the left 8 columns foreground
  // (red), the rest background (blue); rows 12..15 transparent. Hotspot (3, 5).
  // With `solid`, every pixel is visible and red.
  void set_test_cursor(bool solid) {
    std::array<unsigned char, 32> source{};
    std::array<unsigned char, 32> mask{};
    for (int row = 0; row < 16; ++row) {
      // Bitmaps are LSB first: bit 0 of byte 0 is the top-left pixel.
      source[static_cast<std::size_t>(row) * 2] = 0xFF;
      source[static_cast<std::size_t>(row) * 2 + 1] = solid ? 0xFF : 0x00;
      const unsigned char m = (solid || row < 12) ? 0xFF : 0x00;
      mask[static_cast<std::size_t>(row) * 2] = m;
      mask[static_cast<std::size_t>(row) * 2 + 1] = m;
    }
    Display* d = display_.get();
    const Pixmap source_map =
        XCreateBitmapFromData(d, root_, reinterpret_cast<char*>(source.data()), 16, 16);
    const Pixmap mask_map =
        XCreateBitmapFromData(d, root_, reinterpret_cast<char*>(mask.data()), 16, 16);
    XColor red{};
    red.red = 0xFFFF;
    XColor blue{};
    blue.blue = 0xFFFF;
    const Cursor cursor = XCreatePixmapCursor(d, source_map, mask_map, &red, &blue, 3, 5);
    XDefineCursor(d, root_, cursor);
    XFreeCursor(d, cursor);
    XFreePixmap(d, source_map);
    XFreePixmap(d, mask_map);
    XSync(d, False);
  }
  [[nodiscard]] std::uint32_t expected(std::uint32_t x, std::uint32_t y) const {
    return model_[static_cast<std::size_t>(y) * kWidth + x];
  }

 private:
  explicit Painter(capture::x11::DisplayPtr display)
      : display_(std::move(display)),
        root_(DefaultRootWindow(display_.get())),
        gc_(XCreateGC(display_.get(), root_, 0, nullptr)),
        model_(std::size_t{kWidth} * kHeight, 0) {}

  capture::x11::DisplayPtr display_;
  Window root_;
  GC gc_;
  std::vector<std::uint32_t> model_;
};

// Pixels of `frame` (BGRA) that differ from the painter's model, with the first one described.
struct Mismatch {
  std::size_t count{0};
  std::string first;
};
Mismatch compare(const CapturedFrame& frame, const Painter& painter) {
  Mismatch out;
  for (std::uint32_t y = 0; y < frame.height; ++y) {
    for (std::uint32_t x = 0; x < frame.width; ++x) {
      const std::byte* p = frame.pixels.data() + std::size_t{y} * frame.pitch + std::size_t{x} * 4;
      const std::uint32_t rgb = painter.expected(x, y);
      const bool same = p[0] == std::byte(rgb & 0xFF) && p[1] == std::byte((rgb >> 8) & 0xFF) &&
                        p[2] == std::byte((rgb >> 16) & 0xFF) && p[3] == std::byte{0xFF};
      if (!same && out.count++ == 0) {
        out.first = fmt::format("({}, {}): BGRA {:02x}{:02x}{:02x}{:02x}, expected {:06x}", x, y,
                                static_cast<int>(p[0]), static_cast<int>(p[1]),
                                static_cast<int>(p[2]), static_cast<int>(p[3]), rgb);
      }
    }
  }
  return out;
}

// Calls capture_frame until it gives a frame or `within` has passed.
CaptureStatus next_frame(X11Source& source, CapturedFrame& frame, Nanoseconds within) {
  const TimePoint deadline = Clock::now() + within;
  CaptureStatus status = CaptureStatus::kTimeout;
  while (Clock::now() < deadline) {
    status = source.capture_frame(Milliseconds(100), frame);
    if (status != CaptureStatus::kTimeout) return status;
  }
  return status;
}

// Polls the cursor (letting capture_frame wait for X events in between) until `accept` takes
// an update or `within` has passed.
template <typename Accept>
std::optional<CapturedCursor> wait_for_cursor(X11Source& source, Accept accept,
                                              Nanoseconds within) {
  const TimePoint deadline = Clock::now() + within;
  CapturedFrame frame;
  while (Clock::now() < deadline) {
    if (auto cursor = source.poll_cursor(); cursor && accept(*cursor)) return cursor;
    source.capture_frame(Milliseconds(50), frame);
  }
  return std::nullopt;
}

Nanoseconds thread_cpu_time() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return seconds(ts.tv_sec) + Nanoseconds(ts.tv_nsec);
}

// One Xvfb for the tests of this file.
class X11Capture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = Xvfb::start(); }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override {
    if (!server_) GTEST_SKIP() << "Xvfb is not installed: run scripts/install-deps.sh";
    painter_ = Painter::connect(server_->display());
    ASSERT_TRUE(painter_) << "cannot connect to " << server_->display();
    // A known background with a few colours that differ in every channel.
    painter_->fill(0, 0, kWidth, kHeight, 0x204060);
    painter_->fill(10, 20, 100, 50, 0xFF0000);
    painter_->fill(200, 100, 64, 64, 0x00FF00);
    painter_->fill(400, 300, 123, 77, 0x0000FF);
    painter_->fill(kWidth - 1, kHeight - 1, 1, 1, 0xFFFFFF);
    painter_->warp(kWidth / 2, kHeight / 2);
  }

  std::unique_ptr<X11Source> open_source(bool use_shm = true) {
    auto source = X11Source::open({.display = server_->display(), .use_shm = use_shm});
    EXPECT_TRUE(source) << source.error().message;
    return source ? std::move(*source) : nullptr;
  }

  static inline std::optional<Xvfb> server_;
  std::optional<Painter> painter_;
};

TEST_F(X11Capture, FirstFrameIsTheScreenExactly) {
  for (const bool use_shm : {true, false}) {
    SCOPED_TRACE(use_shm ? "MIT-SHM" : "XGetImage");
    auto source = open_source(use_shm);
    ASSERT_TRUE(source);
    EXPECT_EQ(source->uses_shm(), use_shm);  // Xvfb on this host accepts our segment
    CapturedFrame frame;
    ASSERT_EQ(source->capture_frame(seconds(2), frame), CaptureStatus::kOk);
    EXPECT_EQ(frame.type, b7::FrameType::kBgra);
    EXPECT_EQ(frame.width, kWidth);
    EXPECT_EQ(frame.height, kHeight);
    EXPECT_EQ(frame.pitch, kWidth * 4);
    EXPECT_TRUE(frame.damage.empty()) << "the first frame is the whole screen";
    EXPECT_EQ(frame.index, 0U);
    const Mismatch mismatch = compare(frame, *painter_);
    EXPECT_EQ(mismatch.count, 0U) << "first: " << mismatch.first;
  }
}

TEST_F(X11Capture, ASmallDrawingIsASmallDamageRect) {
  for (const bool use_shm : {true, false}) {
    SCOPED_TRACE(use_shm ? "MIT-SHM" : "XGetImage");
    auto source = open_source(use_shm);
    ASSERT_TRUE(source);
    CapturedFrame frame;
    ASSERT_EQ(source->capture_frame(seconds(2), frame), CaptureStatus::kOk);

    const std::uint32_t colour = use_shm ? 0xC0FFEE : 0xBADA55;
    painter_->fill(300, 40, 20, 10, colour);
    ASSERT_EQ(next_frame(*source, frame, seconds(2)), CaptureStatus::kOk);
    EXPECT_EQ(frame.index, 1U);
    ASSERT_FALSE(frame.damage.empty()) << "a small change must not be sent as everything";
    std::uint64_t area = 0;
    for (const b7::DamageRect& r : frame.damage) area += std::uint64_t{r.width} * r.height;
    EXPECT_LT(area, std::uint64_t{kWidth} * kHeight / 20) << "damage far larger than the change";
    // Every changed pixel lies in some damage rect.
    for (std::uint32_t y = 40; y < 50; ++y) {
      for (std::uint32_t x = 300; x < 320; ++x) {
        const bool covered = std::any_of(frame.damage.begin(), frame.damage.end(), [&](auto& r) {
          return x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height;
        });
        ASSERT_TRUE(covered) << "(" << x << ", " << y << ") changed but is not in the damage";
      }
    }
    const Mismatch mismatch = compare(frame, *painter_);
    EXPECT_EQ(mismatch.count, 0U) << "first: " << mismatch.first;
  }
}

TEST_F(X11Capture, AnIdleScreenGivesNoFramesAndCostsAlmostNothing) {
  auto source = open_source();
  ASSERT_TRUE(source);
  CapturedFrame frame;
  ASSERT_EQ(source->capture_frame(seconds(2), frame), CaptureStatus::kOk);
  source->poll_cursor();  // the initial shape and position

  const TimePoint start = Clock::now();
  const Nanoseconds cpu_before = thread_cpu_time();
  int calls = 0;
  while (Clock::now() - start < Milliseconds(500)) {
    EXPECT_EQ(source->capture_frame(Milliseconds(100), frame), CaptureStatus::kTimeout);
    EXPECT_FALSE(source->poll_cursor()) << "the cursor did not change";
    ++calls;
  }
  const Nanoseconds cpu = thread_cpu_time() - cpu_before;
  EXPECT_LE(calls, 6) << "capture_frame returned before its timeout on an idle screen";
  // Five blocked waits and five pointer queries: well under a millisecond of CPU. 20 ms
  // leaves room for a slow, shared CI machine while still catching a busy loop.
  EXPECT_LT(to_ms(cpu), 20.0) << "CPU time spent waiting on an idle screen";
}

TEST_F(X11Capture, TheCursorShapeHotspotAndMovesArrive) {
  auto source = open_source();
  ASSERT_TRUE(source);
  CapturedFrame frame;
  ASSERT_EQ(source->capture_frame(seconds(2), frame), CaptureStatus::kOk);
  auto initial = source->poll_cursor();
  ASSERT_TRUE(initial);
  EXPECT_TRUE(initial->shape) << "the first poll carries the shape";

  painter_->set_test_cursor(/*solid=*/false);
  auto cursor = wait_for_cursor(
      *source, [](const CapturedCursor& c) { return c.shape && c.shape->width == 16; }, seconds(2));
  ASSERT_TRUE(cursor) << "the new cursor shape never arrived";
  const capture::CapturedCursorShape& shape = *cursor->shape;
  EXPECT_EQ(shape.type, b7::CursorType::kColor);
  EXPECT_EQ(shape.height, 16U);
  EXPECT_EQ(shape.pitch, 16U * 4);
  EXPECT_EQ(shape.hotspot_x, 3);
  EXPECT_EQ(shape.hotspot_y, 5);
  EXPECT_TRUE(cursor->visible);
  ASSERT_EQ(shape.pixels.size(), 16U * 16 * 4);
  const auto bgra = [&](int x, int y) {
    const std::byte* p = &shape.pixels[static_cast<std::size_t>(y * 16 + x) * 4];
    return std::array{static_cast<int>(p[0]), static_cast<int>(p[1]), static_cast<int>(p[2]),
                      static_cast<int>(p[3])};
  };
  EXPECT_EQ(bgra(0, 0), (std::array{0, 0, 255, 255})) << "foreground: opaque red";
  EXPECT_EQ(bgra(12, 3), (std::array{255, 0, 0, 255})) << "background: opaque blue";
  EXPECT_EQ(bgra(5, 14), (std::array{0, 0, 0, 0})) << "outside the mask: transparent";
  // B7's position is the image's top-left: the pointer minus the hotspot.
  EXPECT_EQ(cursor->x, static_cast<int>(kWidth / 2) - 3);
  EXPECT_EQ(cursor->y, static_cast<int>(kHeight / 2) - 5);

  // A warp (no input device involved) is seen at the next poll.
  painter_->warp(200, 150);
  cursor = wait_for_cursor(
      *source, [](const CapturedCursor& c) { return c.x == 197 && c.y == 145; }, seconds(2));
  ASSERT_TRUE(cursor) << "the warped pointer's position never arrived";
  EXPECT_FALSE(cursor->shape) << "a move alone does not resend the shape";

  // Input-device motion (XTest relative motion, like a VM's mouse) wakes a capture_frame that
  // would otherwise wait for its whole timeout on this unchanging screen. (`xdotool mousemove`
  // would be a warp, which no input device reports: that is the poll above.)
  const RunResult moved = run({"/usr/bin/env", "DISPLAY=" + server_->display(), "/usr/bin/xdotool",
                               "mousemove_relative", "40", "30"},
                              seconds(10));
  ASSERT_EQ(moved.status, 0) << moved.output;
  const TimePoint start = Clock::now();
  EXPECT_EQ(source->capture_frame(seconds(3), frame), CaptureStatus::kTimeout);
  EXPECT_LT(to_ms(Clock::now() - start), 1000.0) << "pointer motion did not wake the source";
  cursor = source->poll_cursor();
  ASSERT_TRUE(cursor);
  const auto [pointer_x, pointer_y] = painter_->pointer();  // the server's own answer
  EXPECT_NE(pointer_x, 200) << "xdotool did not move the pointer";
  EXPECT_EQ(cursor->x, pointer_x - 3);
  EXPECT_EQ(cursor->y, pointer_y - 5);
}

TEST_F(X11Capture, ABlankCursorIsHidden) {
  auto source = open_source();
  ASSERT_TRUE(source);
  CapturedFrame frame;
  ASSERT_EQ(source->capture_frame(seconds(2), frame), CaptureStatus::kOk);
  source->poll_cursor();
  // Programs hide the pointer with an all-transparent cursor.
  capture::x11::DisplayPtr d(XOpenDisplay(server_->display().c_str()));
  ASSERT_TRUE(d);
  const Window root = DefaultRootWindow(d.get());
  std::array<char, 32> zero{};
  const Pixmap empty = XCreateBitmapFromData(d.get(), root, zero.data(), 16, 16);
  XColor black{};
  const Cursor blank = XCreatePixmapCursor(d.get(), empty, empty, &black, &black, 0, 0);
  XDefineCursor(d.get(), root, blank);
  XSync(d.get(), False);
  auto cursor = wait_for_cursor(
      *source, [](const CapturedCursor& c) { return c.shape.has_value(); }, seconds(2));
  ASSERT_TRUE(cursor);
  EXPECT_FALSE(cursor->visible);
  XUndefineCursor(d.get(), root);
  XFreeCursor(d.get(), blank);
  XFreePixmap(d.get(), empty);
  XSync(d.get(), False);
}

TEST(X11CaptureServer, AServerThatGoesAwayIsAnErrorNotAnExit) {
  auto server = Xvfb::start();
  if (!server) GTEST_SKIP() << "Xvfb is not installed: run scripts/install-deps.sh";
  auto source = X11Source::open({.display = server->display()});
  ASSERT_TRUE(source) << source.error().message;
  CapturedFrame frame;
  ASSERT_EQ((*source)->capture_frame(seconds(2), frame), CaptureStatus::kOk);
  server->stop();
  EXPECT_EQ(next_frame(**source, frame, seconds(3)), CaptureStatus::kError);
}

TEST(X11CaptureServer, NoDisplayIsAClearError) {
  auto source = X11Source::open({.display = ":4999"});
  ASSERT_FALSE(source);
  EXPECT_NE(source.error().message.find("cannot open X display ':4999'"), std::string::npos)
      << source.error().message;
}

// periscope-capture-x11 -> /dev/shm -> periscope view --headless: the viewer's last frame (with
// the cursor drawn) is the X screen.
TEST_F(X11Capture, TheViewerShowsTheXScreenWithItsCursor) {
  painter_->set_test_cursor(/*solid=*/true);  // a 16x16 red square, hotspot (3, 5)
  painter_->warp(500, 400);
  TempPath shm("x11-e2e");
  shm.resize(b7::recommended_region_bytes(kWidth, kHeight, 4));
  TempPath log("x11-e2e-agent.log", "/tmp");
  auto agent = Subprocess::spawn({bin("periscope-capture-x11"), "--shm", shm.str(), "--display",
                                  server_->display(), "--seconds", "20"},
                                 log.str(), log.str());
  ASSERT_TRUE(agent) << agent.error().message;
  TempPath png("x11-e2e.png", "/tmp");
  // The viewer starts while the agent runs; a frame drawn meanwhile must arrive too.
  const auto later = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(Milliseconds(1500));
    painter_->fill(50, 400, 40, 30, 0xFFFF00);
  });
  const RunResult view = run({bin("periscope"), "view", "--headless", "--shm", shm.str(),
                              "--seconds", "3", "--dump-frame", png.str()},
                             seconds(20));
  later.wait();
  ASSERT_EQ(view.status, 0) << view.output << "\nagent:\n" << read_file(log.str());
  agent->terminate();
  auto picture = image::read_png(png.str());
  ASSERT_TRUE(picture) << picture.error().message;
  ASSERT_EQ(picture->width, kWidth);
  ASSERT_EQ(picture->height, kHeight);
  std::size_t wrong = 0;
  std::string first;
  for (std::uint32_t y = 0; y < kHeight; ++y) {
    for (std::uint32_t x = 0; x < kWidth; ++x) {
      const bool under_cursor = x >= 497 && x < 513 && y >= 395 && y < 411;
      const std::uint32_t rgb = under_cursor ? 0xFF0000 : painter_->expected(x, y);
      const std::uint8_t* p = &picture->rgba[(std::size_t{y} * kWidth + x) * 4];
      const std::uint32_t got = (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2];
      if ((got != rgb || p[3] != 255) && wrong++ == 0) {
        first = fmt::format("({}, {}): {:06x}/{}, expected {:06x}", x, y, got, p[3], rgb);
      }
    }
  }
  EXPECT_EQ(wrong, 0U) << "first: " << first;
}

// ---- what it costs (run by hand: --gtest_also_run_disabled_tests) ----

// CPU seconds (user + system) a process has used so far, from /proc/PID/stat.
double process_cpu_seconds(pid_t pid) {
  std::istringstream stat(read_file("/proc/" + std::to_string(pid) + "/stat"));
  std::string field;
  // The command name (field 2) has no spaces for our programs; utime, stime are 14 and 15.
  double ticks = 0;
  for (int i = 1; i <= 15 && stat >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

struct Phase {
  double cpu_percent{0};
  double frames_per_second{0};
};

// Runs periscope-capture-x11 (with a headless viewer reading, as in real use) for `duration`
// while `paint` runs in a loop on this thread; returns the agent's CPU and frame rate.
template <typename Paint>
Phase measure(const std::string& display, const std::vector<std::string>& extra_args,
              Nanoseconds duration, Paint paint) {
  TempPath shm("x11-cost");
  shm.resize(b7::recommended_region_bytes(1920, 1080, 4));
  TempPath log("x11-cost-agent.log", "/tmp");
  std::vector<std::string> argv{bin("periscope-capture-x11"), "--shm", shm.str(), "--display",
                                display};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  auto agent = Subprocess::spawn(argv, log.str(), log.str());
  EXPECT_TRUE(agent);
  if (!agent) return {};
  auto viewer = Subprocess::spawn(
      {bin("periscope"), "view", "--headless", "--shm", shm.str(), "--report-interval", "0"},
      "/dev/null", "/dev/null");
  std::this_thread::sleep_for(seconds(2));  // both started, first full frame sent
  const double cpu_before = process_cpu_seconds(agent->pid());
  const TimePoint start = Clock::now();
  while (Clock::now() - start < duration) paint();
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = process_cpu_seconds(agent->pid()) - cpu_before;
  agent->terminate();
  if (viewer) viewer->terminate();
  // "N frames in S s: …" covers the whole run (2 s of start-up included: a frame or two).
  const std::string text = read_file(log.str());
  const auto at = text.find(" frames in ");
  std::size_t frames = 0;
  if (at != std::string::npos) {
    const auto begin = text.find_last_of(' ', at - 1);
    frames = std::stoul(text.substr(begin + 1, at - begin - 1));
  }
  return {100.0 * cpu / wall, static_cast<double>(frames) / wall};
}

TEST(X11CaptureCost, DISABLED_IdleAndBusyAt1080p) {
  // A 1920x1080 server of its own.
  if (::access("/usr/bin/Xvfb", X_OK) != 0) GTEST_SKIP() << "no Xvfb";
  const std::string display = ":" + std::to_string(4000 + ::getpid() % 900);
  auto server = Subprocess::spawn(
      {"/usr/bin/Xvfb", display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp", "-noreset"},
      "/dev/null", "/dev/null");
  ASSERT_TRUE(server);
  std::this_thread::sleep_for(seconds(1));
  capture::x11::DisplayPtr d(XOpenDisplay(display.c_str()));
  ASSERT_TRUE(d);
  const Window root = DefaultRootWindow(d.get());
  GC gc = XCreateGC(d.get(), root, 0, nullptr);
  std::uint32_t colour = 0x102030;
  const auto fill = [&](int x, int y, int w, int h) {
    colour = colour * 1664525U + 1013904223U;
    XSetForeground(d.get(), gc, colour & 0xFFFFFFU);
    XFillRectangle(d.get(), root, gc, x, y, static_cast<unsigned>(w), static_cast<unsigned>(h));
    XSync(d.get(), False);
  };
  fill(0, 0, 1920, 1080);
  const auto idle =
      measure(display, {}, seconds(10), [] { std::this_thread::sleep_for(Milliseconds(100)); });
  const auto full = measure(display, {}, seconds(10), [&] {
    fill(0, 0, 1920, 1080);
    std::this_thread::sleep_for(Milliseconds(16));  // a 60 Hz full-screen animation
  });
  const auto full_unpaced =
      measure(display, {"--max-fps", "0"}, seconds(10), [&] { fill(0, 0, 1920, 1080); });
  int x = 0;
  const auto small = measure(display, {}, seconds(10), [&] {
    fill(x, 500, 64, 64);  // a 64x64 box moving at 60 Hz
    x = (x + 8) % (1920 - 64);
    std::this_thread::sleep_for(Milliseconds(16));
  });
  // The source alone, in this process: how long one full-screen 1080p frame takes to read
  // (the painter's fill is outside the timing).
  std::vector<double> read_ms;
  for (const bool use_shm : {true, false}) {
    auto source = X11Source::open({.display = display, .use_shm = use_shm, .max_fps = 0});
    ASSERT_TRUE(source);
    CapturedFrame frame;
    ASSERT_EQ((*source)->capture_frame(seconds(2), frame), CaptureStatus::kOk);
    Nanoseconds total{0};
    constexpr int kFrames = 50;
    for (int i = 0; i < kFrames; ++i) {
      fill(0, 0, 1920, 1080);
      const TimePoint start = Clock::now();
      ASSERT_EQ(next_frame(**source, frame, seconds(2)), CaptureStatus::kOk);
      total += Clock::now() - start;
      ASSERT_TRUE(frame.damage.size() == 1 && frame.damage[0].width == 1920);
    }
    read_ms.push_back(to_ms(total) / kFrames);
  }
  XFreeGC(d.get(), gc);
  d.reset();  // before the server goes, or Xlib reports the lost connection and exits
  std::printf("idle screen:                    agent %5.1f%% CPU, %6.1f frames/s\n",
              idle.cpu_percent, idle.frames_per_second);
  std::printf("full screen at 60 Hz:           agent %5.1f%% CPU, %6.1f frames/s\n",
              full.cpu_percent, full.frames_per_second);
  std::printf("full screen, unpaced painter:   agent %5.1f%% CPU, %6.1f frames/s (--max-fps 0)\n",
              full_unpaced.cpu_percent, full_unpaced.frames_per_second);
  std::printf("64x64 box moving at 60 Hz:      agent %5.1f%% CPU, %6.1f frames/s\n",
              small.cpu_percent, small.frames_per_second);
  std::printf(
      "one full 1080p frame read: %.2f ms with MIT-SHM (%.0f frames/s), %.2f ms with "
      "XGetImage (%.0f frames/s)\n",
      read_ms[0], 1000.0 / read_ms[0], read_ms[1], 1000.0 / read_ms[1]);
  server->terminate();
}

// ---- the pure parts ----

TEST(X11CaptureLogic, DamageIsClippedToTheScreenAndEmptyRectsDropped) {
  const std::vector<capture::x11::ScreenRect> rects{
      {-10, -5, 20, 10}, {630, 470, 50, 50}, {700, 10, 5, 5}, {5, 5, 0, 7}, {100, 100, 3, 4}};
  const auto clipped = capture::x11::clip_damage(rects, 640, 480);
  ASSERT_EQ(clipped.size(), 3U);
  EXPECT_EQ(clipped[0].x, 0U);
  EXPECT_EQ(clipped[0].y, 0U);
  EXPECT_EQ(clipped[0].width, 10U);
  EXPECT_EQ(clipped[0].height, 5U);
  EXPECT_EQ(clipped[1].x, 630U);
  EXPECT_EQ(clipped[1].width, 10U);
  EXPECT_EQ(clipped[1].height, 10U);
  EXPECT_EQ(clipped[2].x, 100U);
  EXPECT_EQ(clipped[2].height, 4U);
}

TEST(X11CaptureLogic, MoreRectsThanAHeaderHoldsBecomeTheirBoundingBox) {
  std::vector<capture::x11::ScreenRect> rects;
  for (int i = 0; i < 65; ++i) rects.push_back({10 + i * 2, 20 + i, 1, 1});
  const auto clipped = capture::x11::clip_damage(rects, 640, 480);
  ASSERT_EQ(clipped.size(), 1U);
  EXPECT_EQ(clipped[0].x, 10U);
  EXPECT_EQ(clipped[0].y, 20U);
  EXPECT_EQ(clipped[0].width, 129U);
  EXPECT_EQ(clipped[0].height, 65U);
  rects.pop_back();
  EXPECT_EQ(capture::x11::clip_damage(rects, 640, 480).size(), 64U) << "64 fit as they are";
}

TEST(X11CaptureLogic, RowBandsAreSortedMergedAndCoverEveryRect) {
  using capture::x11::RowBand;
  const std::vector<b7::DamageRect> rects{
      {0, 300, 5, 10}, {50, 10, 5, 10}, {9, 15, 1, 20}, {7, 40, 1, 1}, {3, 100, 2, 2}};
  EXPECT_EQ(capture::x11::row_bands(rects, 0),
            (std::vector<RowBand>{{10, 25}, {40, 1}, {100, 2}, {300, 10}}));
  EXPECT_EQ(capture::x11::row_bands(rects, 5),
            (std::vector<RowBand>{{10, 31}, {100, 2}, {300, 10}}));
  EXPECT_TRUE(capture::x11::row_bands({}, 32).empty());
}

TEST(X11CaptureLogic, CursorPixelsAreUnpremultipliedToStraightBgra) {
  std::array<std::byte, 4> out{};
  const auto bgra = [&](std::uint32_t argb) {
    capture::x11::unpremultiply_argb(argb, out.data());
    return std::array{static_cast<int>(out[0]), static_cast<int>(out[1]), static_cast<int>(out[2]),
                      static_cast<int>(out[3])};
  };
  EXPECT_EQ(bgra(0xFF123456), (std::array{0x56, 0x34, 0x12, 0xFF})) << "opaque: unchanged";
  EXPECT_EQ(bgra(0x00000000), (std::array{0, 0, 0, 0}));
  EXPECT_EQ(bgra(0x00FFFFFF), (std::array{0, 0, 0, 0})) << "alpha 0: nothing to show";
  // Half-transparent white is stored as 0x80 0x80 0x80 0x80; straight it is white at 0x80.
  EXPECT_EQ(bgra(0x80808080), (std::array{255, 255, 255, 0x80}));
  // 50% of 0x40 red: 0x20 premultiplied -> round(0x20 * 255 / 0x80) = 64.
  EXPECT_EQ(bgra(0x80200000), (std::array{0, 0, 64, 0x80}));
  // A colour above its alpha is malformed: clamped, not wrapped.
  EXPECT_EQ(bgra(0x10FF0000), (std::array{0, 0, 255, 0x10}));
}

TEST(X11CaptureLogic, CursorImagesAreConvertedWholeAndCutTo512) {
  // Xlib hands over one unsigned long per pixel; only the low 32 bits are the pixel.
  std::vector<unsigned long> words(4 * 2, 0);
  words[1] = 0xFF00FF00UL;
  const auto small = capture::x11::convert_xfixes_cursor(words, 4, 2);
  EXPECT_EQ(small.width, 4U);
  EXPECT_EQ(small.height, 2U);
  ASSERT_EQ(small.bgra.size(), 4U * 2 * 4);
  EXPECT_EQ(small.bgra[4 + 1], std::byte{0xFF});
  EXPECT_EQ(small.bgra[4 + 3], std::byte{0xFF});
  EXPECT_TRUE(small.any_visible_pixel);
  EXPECT_FALSE(capture::x11::convert_xfixes_cursor(std::vector<unsigned long>(8, 0), 4, 2)
                   .any_visible_pixel);

  std::vector<unsigned long> big(600 * 520, 0xFFFFFFFFUL);
  const auto cut = capture::x11::convert_xfixes_cursor(big, 600, 520);
  EXPECT_EQ(cut.width, 512U);
  EXPECT_EQ(cut.height, 512U);
  EXPECT_EQ(cut.bgra.size(), 512U * 512 * 4);

  const auto short_reply = capture::x11::convert_xfixes_cursor(words, 40, 40);
  EXPECT_EQ(short_reply.width, 0U) << "fewer words than the size says: no shape";
}

}  // namespace
}  // namespace periscope::testing
