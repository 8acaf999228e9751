// The whole path with a real VM: the demo VM (Debian kernel, busybox, the static capture agent)
// boots under QEMU/TCG with an ivshmem-plain device on a /dev/shm file; the host viewer reads
// what the guest's agent writes there. Each test boots its own VM (about 20-60 s under TCG on a
// loaded 2-core machine), so there are few of them and each checks several things.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <thread>

#include "common/subprocess.hpp"
#include "image/png_io.hpp"
#include "input/qmp_client.hpp"
#include "process_helpers.hpp"
#include "vm/qemu_vm.hpp"

namespace periscope {
namespace {

using testing::bin;
using testing::read_file;
using testing::read_json;
using testing::TempPath;

constexpr auto kBootBound = std::chrono::seconds(240);

std::string vm_dir() {
  return executable_dir() + "/../demo-vm";
}

// The build makes the demo VM whenever it can (PERISCOPE_DEMO_VM_BUILT); only sanitizer builds,
// which cannot link the static agent, go without, and skip.
#define REQUIRE_DEMO_VM()                                                                    \
  do {                                                                                       \
    if (!PERISCOPE_DEMO_VM_BUILT) GTEST_SKIP() << "this build does not make the demo VM";    \
    ASSERT_TRUE(std::filesystem::exists(vm_dir() + "/initrd.img")) << vm_dir();              \
    ASSERT_FALSE(vm::find_program("qemu-system-x86_64").empty()) << "QEMU is not installed"; \
  } while (0)

// A private directory for a VM's QMP socket and serial log, removed at the end.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/periscope-vm-test-XXXXXX";
    path_ = ::mkdtemp(name);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] const std::string& str() const { return path_; }

 private:
  std::string path_;
};

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Waits until the serial log holds `what` at least `times` times.
bool serial_shows(const std::string& log, const std::string& what, std::size_t times,
                  Nanoseconds timeout) {
  const TimePoint deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (count_of(read_file(log), what) >= times) return true;
    std::this_thread::sleep_for(Milliseconds(200));
  }
  return false;
}

vm::QemuVmConfig demo_config(const TempDir& dir, const std::string& shm, std::uint64_t shm_bytes) {
  vm::QemuVmConfig c;
  c.kernel = vm_dir() + "/vmlinuz";
  c.initrd = vm_dir() + "/initrd.img";
  c.kernel_cmdline = "console=tty0 console=ttyS0 vga=0x344 quiet";
  c.accelerator = vm::Accelerator::kTcg;
  c.shm_path = shm;
  c.shm_bytes = shm_bytes;
  c.qmp_socket = dir.str() + "/qmp.sock";
  c.serial_log = dir.str() + "/serial.log";
  return c;
}

// Whether a QEMU process whose command line names `text` is still alive.
bool qemu_runs_with(const std::string& text) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string cmdline = read_file(entry.path().string() + "/cmdline");
    if (cmdline.find("qemu-system") != std::string::npos &&
        cmdline.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// QEMU's own messages, for a failure report.
std::string qemu_log(const vm::QemuVmConfig& config) {
  return read_file(config.serial_log + ".qemu");
}

bool banner_blue(const image::Rgba& p) {
  return p.r == 0 && p.g == 0 && p.b == 0xAA;
}

TEST(DemoVm, DemoCommandShowsTheGuestConsoleWithDamageOnlyUpdatesAndCleansUp) {
  REQUIRE_DEMO_VM();
  TempDir dir;
  const std::string png = dir.str() + "/frame.png";
  const std::string json = dir.str() + "/stats.json";
  const std::string serial = dir.str() + "/serial.log";
  const auto r =
      testing::run({bin("periscope"), "demo", "--headless", "--accel", "tcg", "--seconds", "4",
                    "--dump-frame", png, "--stats-json", json, "--serial-log", serial},
                   kBootBound + std::chrono::seconds(30));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("booting the demo VM under TCG"), std::string::npos) << r.output;

  // What the guest's console showed: line 1 is the init's banner, white on the VGA palette's
  // blue, across the first 16 pixel rows; below it the screen is mostly black.
  auto picture = image::read_png(png);
  ASSERT_TRUE(picture) << picture.error().message;
  ASSERT_EQ(picture->width, 1024u);
  ASSERT_EQ(picture->height, 768u);
  std::size_t blue = 0;
  for (std::uint32_t y = 0; y < 16; ++y) {
    for (std::uint32_t x = 0; x < 1024; ++x) blue += banner_blue(picture->at(x, y)) ? 1u : 0u;
  }
  EXPECT_GT(blue, 16u * 400u) << "the banner is missing from the dumped frame";
  std::size_t lit_low = 0;
  for (std::uint32_t y = 600; y < 768; ++y) {
    for (std::uint32_t x = 0; x < 1024; ++x) {
      const auto p = picture->at(x, y);
      lit_low += (p.r | p.g | p.b) != 0 ? 1u : 0u;
    }
  }
  EXPECT_EQ(lit_low, 0u) << "the bottom of the idle console should be black";

  // An idle console (a banner redrawn every second, a blinking text cursor) sends small damage,
  // not whole frames: after the first frame, far less than a frame's bytes per update.
  const auto stats = read_json(json);
  const auto frames = stats["frames"].get<std::uint64_t>();
  EXPECT_GE(frames, 3u) << stats.dump(2);
  // Full frames: the first, and the newest re-posted whole when the viewer subscribes.
  EXPECT_GE(stats["damage_frames"].get<std::uint64_t>() + 2, frames);
  const std::uint64_t frame_bytes = 1024 * 768 * 4;
  EXPECT_LT(stats["bytes_copied"].get<std::uint64_t>(), frame_bytes + frames * frame_bytes / 8)
      << stats.dump(2);
  EXPECT_EQ(stats["last_frame"]["truncated"], false);

  // Nothing left behind: no QEMU of ours, no shared-memory file, no private directory.
  EXPECT_FALSE(qemu_runs_with(serial)) << "QEMU still runs";
  for (const auto& entry : std::filesystem::directory_iterator("/dev/shm")) {
    EXPECT_EQ(entry.path().filename().string().find("periscope-demo-vm-"), std::string::npos)
        << entry.path();
  }
}

// The whole input path a user has: X key events on the demo's window -> the viewer's QMP
// session -> the VM's PS/2 keyboard -> the guest's console reads the line.
TEST(DemoVm, TypingInTheDemoWindowReachesTheGuest) {
  REQUIRE_DEMO_VM();
  const char* display = std::getenv("DISPLAY");
  if (display == nullptr || *display == '\0' || ::access("/usr/bin/xdotool", X_OK) != 0) {
    GTEST_SKIP() << "needs the suite's Xvfb (window_test.cpp) and xdotool";
  }
  TempDir dir;
  const std::string serial = dir.str() + "/serial.log";
  auto demo = Subprocess::spawn({bin("periscope"), "demo", "--accel", "tcg", "--seconds", "20",
                                 "--serial-log", serial, "--title", "periscope-vm-window-test"},
                                dir.str() + "/demo.log", dir.str() + "/demo.log");
  ASSERT_TRUE(demo);
  ASSERT_TRUE(serial_shows(serial, "capturing fbdev", 1, kBootBound)) << read_file(serial);
  const auto found =
      testing::run({"/usr/bin/xdotool", "search", "--sync", "--name", "periscope-vm-window-test"},
                   std::chrono::seconds(20));
  ASSERT_EQ(found.status, 0) << found.output << read_file(dir.str() + "/demo.log");
  const std::string window = found.output.substr(0, found.output.find('\n'));
  const auto xdo = [](std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/bin/xdotool");
    const auto r = testing::run(args, std::chrono::seconds(20));
    EXPECT_EQ(r.status, 0) << r.output;
  };
  xdo({"windowfocus", "--sync", window});
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the input session's QMP handshake
  xdo({"type", "--delay", "80", "hi window"});
  xdo({"key", "Return"});
  EXPECT_TRUE(serial_shows(serial, "typed: hi window", 1, std::chrono::seconds(30)))
      << read_file(serial) << read_file(dir.str() + "/demo.log");
  EXPECT_EQ(demo->wait_for(std::chrono::seconds(60)), 0) << read_file(dir.str() + "/demo.log");
  EXPECT_FALSE(qemu_runs_with(serial));
}

TEST(DemoVm, KeysReachTheGuestAndTheViewerFollowsAReboot) {
  REQUIRE_DEMO_VM();
  TempDir dir;
  TempPath shm("vm-keys.ivshmem");
  shm.resize(32u << 20);
  auto vm = vm::QemuVm::start(demo_config(dir, shm.str(), 32u << 20));
  ASSERT_TRUE(vm) << vm.error().message;
  ASSERT_TRUE(vm->wait_for_qmp(std::chrono::seconds(20))) << qemu_log(vm->config());
  const std::string serial = vm->config().serial_log;

  const std::string json = dir.str() + "/view.json";
  auto viewer = Subprocess::spawn(
      {bin("periscope"), "view", "--headless", "--shm", shm.str(), "--stats-json", json},
      dir.str() + "/view.log", dir.str() + "/view.log");
  ASSERT_TRUE(viewer);
  ASSERT_TRUE(serial_shows(serial, "capturing fbdev 1024x768", 1, kBootBound)) << read_file(serial);

  // Typed through QMP input-send-event, as the viewer window sends them: the guest's shell
  // reads the line from its console and reports it on the serial port.
  auto qmp = input::QmpClient::connect(vm->config().qmp_socket);
  ASSERT_TRUE(qmp) << qmp.error().message;
  for (const char* key : {"h", "e", "l", "l", "o", "ret"}) {
    const std::vector<input::InputEvent> press{input::KeyEvent{key, true}};
    const std::vector<input::InputEvent> release{input::KeyEvent{key, false}};
    ASSERT_TRUE(qmp->send_events(press));
    std::this_thread::sleep_for(Milliseconds(30));
    ASSERT_TRUE(qmp->send_events(release));
    std::this_thread::sleep_for(Milliseconds(30));
  }
  EXPECT_TRUE(serial_shows(serial, "typed: hello", 1, std::chrono::seconds(30)))
      << read_file(serial);
  qmp->disconnect();

  // A reboot: the agent comes back with a new session and the viewer follows it by itself.
  ASSERT_TRUE(vm->reset());
  ASSERT_TRUE(serial_shows(serial, "capturing fbdev 1024x768", 2, kBootBound)) << read_file(serial);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  viewer->signal(SIGTERM);
  ASSERT_EQ(viewer->wait_for(std::chrono::seconds(10)), 0) << read_file(dir.str() + "/view.log");
  const auto stats = read_json(json);
  EXPECT_GE(stats["sessions"].get<std::uint64_t>(), 2u) << stats.dump(2);
  EXPECT_EQ(stats["in_session"], true) << stats.dump(2);
  // Frames of the new session arrive: the banner alone changes every second.
  EXPECT_LT(stats["last_frame"]["age_ms"].get<double>(), 2500.0) << stats.dump(2);
  EXPECT_EQ(vm->shut_down(), 0);
}

TEST(DemoVm, TooSmallADeviceSendsTruncatedFramesAndNoDeviceIsExplained) {
  REQUIRE_DEMO_VM();
  // 4 MiB: LGMP fits, but a 1024x768 frame slot would need 3 MiB of the ~2 MiB each gets.
  TempDir dir;
  TempPath shm("vm-small.ivshmem");
  shm.resize(4u << 20);
  auto small = vm::QemuVm::start(demo_config(dir, shm.str(), 4u << 20));
  ASSERT_TRUE(small) << small.error().message;
  // The same guest without any IVSHMEM device, booting alongside.
  TempDir dir2;
  auto none = vm::QemuVm::start(demo_config(dir2, "", 0));
  ASSERT_TRUE(none) << none.error().message;

  const std::string json = dir.str() + "/view.json";
  auto viewer = Subprocess::spawn(
      {bin("periscope"), "view", "--headless", "--shm", shm.str(), "--stats-json", json},
      dir.str() + "/view.log", dir.str() + "/view.log");
  ASSERT_TRUE(viewer);
  const std::string serial = small->config().serial_log;
  ASSERT_TRUE(serial_shows(serial, "capturing fbdev", 1, kBootBound)) << read_file(serial);
  const std::string log = read_file(serial);
  EXPECT_NE(log.find("needs 16 MiB"), std::string::npos) << log;
  std::this_thread::sleep_for(std::chrono::seconds(3));
  viewer->signal(SIGTERM);
  ASSERT_EQ(viewer->wait_for(std::chrono::seconds(10)), 0);
  const auto stats = read_json(json);
  EXPECT_GT(stats["truncated_frames"].get<std::uint64_t>(), 0u) << stats.dump(2);
  EXPECT_EQ(stats["last_frame"]["truncated"], true);
  EXPECT_EQ(stats["last_frame"]["needed_region_bytes"], 16u << 20);

  const std::string serial2 = none->config().serial_log;
  EXPECT_TRUE(serial_shows(serial2, "agent exited with 1", 1, kBootBound)) << read_file(serial2);
  EXPECT_NE(read_file(serial2).find("no IVSHMEM device in this guest"), std::string::npos);
}

}  // namespace
}  // namespace periscope
