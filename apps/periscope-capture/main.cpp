// periscope-capture: the guest-side capture agent. Writes frames and the cursor into an
// IVSHMEM region in the Looking Glass B7 format. Here it also runs on the host against a
// /dev/shm file, for the demo, tests and benchmarks.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "capture/agent_run.hpp"
#include "capture/fbdev_source.hpp"
#include "capture/test_pattern.hpp"
#include "common/dimensions.hpp"
#include "common/log.hpp"
#include "relay/frame_format.hpp"

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int /*signal*/) {
  g_stop.store(true);
}

struct AgentOptions {
  std::string shm_path;
  std::optional<std::string> device_address;
  std::string source_name{"auto"};
  std::string fbdev{"/dev/fb0"};
  std::string size_text{"1920x1080"};
  double fps{60};
  double idle_fps{20};
  std::string format_name{"bgra"};
  std::optional<double> seconds;
  bool allow_truncated{false};
  std::string post_clock_path;
  bool full_damage{false};
  int rotate_degrees{0};
};

struct OpenedSource {
  std::unique_ptr<periscope::capture::CaptureSource> source;
  periscope::FrameDesc first_frame;  // the size the region must hold now
};

// The capture source by name. "auto" is the framebuffer only in a guest, i.e. when the shared
// memory is found rather than named: on a host (`--shm /dev/shm/...`: the demo, tests,
// benchmarks) /dev/fb0 is the host's own console, never what is meant.
periscope::Result<OpenedSource> open_source(AgentOptions& o) {
  using namespace periscope;
  if (o.source_name == "auto") {
    o.source_name =
        o.shm_path.empty() && ::access(o.fbdev.c_str(), R_OK) == 0 ? "fbdev" : "test-pattern";
  }
  if (o.source_name == "fbdev") {
    auto fb =
        capture::FbdevSource::open({.device = o.fbdev, .max_fps = o.fps, .idle_fps = o.idle_fps});
    if (!fb) return tl::unexpected(fb.error());
    auto type = capture::frame_type_for((*fb)->mode());
    const FrameDesc desc{*type, (*fb)->mode().width, (*fb)->mode().height};
    o.format_name = std::string(b7::frame_type_name(*type));
    o.size_text = fmt::format("{}x{}", desc.width, desc.height);
    return OpenedSource{std::move(*fb), desc};
  }
  if (o.source_name != "test-pattern") {
    return fail(ErrorCode::kInvalidArgument,
                "unknown --source '{}': one of auto, fbdev, test-pattern", o.source_name);
  }
  auto size = parse_dimensions(o.size_text);
  if (!size) return tl::unexpected(size.error());
  auto type = b7::parse_frame_type(o.format_name);
  if (!type) {
    return fail(ErrorCode::kInvalidArgument,
                "bad --format '{}': one of bgra, rgba, rgba10, rgba16f, bgr32, rgb24",
                o.format_name);
  }
  auto pattern = capture::TestPattern::create({size->width, size->height, o.fps, *type});
  if (!pattern) return tl::unexpected(pattern.error());
  return OpenedSource{std::move(*pattern), FrameDesc{*type, size->width, size->height}};
}

int run(AgentOptions o) {
  using namespace periscope;
  auto opened = open_source(o);
  if (!opened) {
    spdlog::error("{}", opened.error().message);
    return opened.error().code == ErrorCode::kInvalidArgument ? 2 : 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  capture::AgentRunOptions run;
  run.shm_path = o.shm_path;
  run.device_address = o.device_address;
  run.source_label = o.source_name;
  run.seconds = o.seconds;
  run.allow_truncated = o.allow_truncated;
  run.post_clock_path = o.post_clock_path;
  run.full_damage = o.full_damage;
  run.rotation = static_cast<b7::FrameRotation>(o.rotate_degrees / 90);
  run.stop = &g_stop;
  return capture::run_agent(*opened->source, opened->first_frame, run);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "periscope-capture: send a screen to the host over IVSHMEM in the Looking Glass "
      "B7 format"};
  AgentOptions o;
  std::string device;
  std::string log_level = "info";
  app.add_option("--shm", o.shm_path,
                 "shared memory to write: a /dev/shm file, /dev/kvmfr0, or an IVSHMEM BAR "
                 "(/sys/bus/pci/devices/<address>/resource2); default: found in this guest "
                 "(/dev/kvmfr0, else the IVSHMEM PCI device 1af4:1110, the largest if several)");
  app.add_option("--device", device, "the IVSHMEM PCI device to use, e.g. 0000:00:03.0");
  app.add_option("--source", o.source_name,
                 "what to capture: fbdev (the framebuffer: console or fbdev desktop), "
                 "test-pattern, or auto (fbdev when --shm is not given, i.e. in a guest, and "
                 "--fbdev exists; else the pattern)")
      ->capture_default_str();
  app.add_option("--fbdev", o.fbdev, "the framebuffer device")->capture_default_str();
  app.add_option("--size", o.size_text, "frame size WIDTHxHEIGHT (test pattern)")
      ->capture_default_str();
  app.add_option("--fps", o.fps,
                 "frames per second (test pattern; 0 = as fast as possible); the poll rate "
                 "while the framebuffer changes (fbdev)")
      ->capture_default_str();
  app.add_option("--idle-fps", o.idle_fps,
                 "fbdev: the slowest poll rate, reached by doubling the wait after each poll that "
                 "finds no change (what an idle screen costs)")
      ->capture_default_str();
  app.add_option("--format", o.format_name,
                 "pixel format: bgra rgba rgba10 rgba16f bgr32 rgb24 (test pattern)")
      ->capture_default_str();
  app.add_option("--rotate", o.rotate_degrees,
                 "say the guest's display is rotated clockwise by 0, 90, 180 or 270 degrees")
      ->check(CLI::IsMember({0, 90, 180, 270}))
      ->capture_default_str();
  app.add_option("--seconds", o.seconds, "stop after this many seconds (default: until Ctrl-C)");
  app.add_flag("--allow-truncated", o.allow_truncated,
               "send the top of frames too big for the region, flagged as truncated");
  app.add_option("--post-clock", o.post_clock_path,
                 "record each frame's post time in this file (same-host latency measurement)");
  app.add_flag("--full-damage", o.full_damage, "send every frame as wholly changed (benchmarks)");
  app.add_option("--log-level", log_level, "trace debug info warn error off")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (!device.empty()) o.device_address = device;
  periscope::init_logging("periscope-capture", log_level);
  return run(std::move(o));
}
