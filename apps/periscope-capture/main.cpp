// periscope-capture: the guest-side capture agent. Writes frames and the cursor into an
// IVSHMEM region in the Looking Glass B7 format. Here it also runs on the host against a
// /dev/shm file, for the demo, tests and benchmarks.
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "capture/capture_loop.hpp"
#include "capture/guest_info.hpp"
#include "capture/test_pattern.hpp"
#include "common/dimensions.hpp"
#include "common/log.hpp"
#include "common/mapped_region.hpp"
#include "relay/frame_format.hpp"
#include "relay/post_clock.hpp"
#include "relay/producer.hpp"

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int /*signal*/) {
  g_stop.store(true);
}

constexpr double kMiB = 1024.0 * 1024.0;

int run(const std::string& shm_path, const std::string& source_name, const std::string& size_text,
        double fps, const std::string& format_name, std::optional<double> seconds,
        bool allow_truncated, const std::string& post_clock_path, bool full_damage,
        int rotate_degrees) {
  using namespace periscope;
  auto size = parse_dimensions(size_text);
  if (!size) {
    spdlog::error("{}", size.error().message);
    return 2;
  }
  auto type = b7::parse_frame_type(format_name);
  if (!type) {
    spdlog::error("bad --format '{}': one of bgra, rgba, rgba10, rgba16f, bgr32, rgb24",
                  format_name);
    return 2;
  }
  if (source_name != "test-pattern") {
    spdlog::error("unknown --source '{}': this build has 'test-pattern'", source_name);
    return 2;
  }
  const std::uint32_t bytes_per_pixel = *type == b7::FrameType::kRgba16f ? 8 : 4;
  const std::uint64_t needed =
      b7::recommended_region_bytes(size->width, size->height, bytes_per_pixel);

  auto region = MappedRegion::open(shm_path, {.writable = true, .create_size_bytes = 0});
  if (!region) {
    spdlog::error("{}", region.error().message);
    if (region.error().code == ErrorCode::kNotFound) {
      spdlog::error(
          "create it first (e.g. `truncate -s {:.0f}M {}`), or pass /dev/kvmfr0 or the "
          "IVSHMEM BAR (/sys/bus/pci/devices/<address>/resource2)",
          static_cast<double>(needed) / kMiB, shm_path);
    }
    return 1;
  }

  std::optional<PostClock> post_clock;
  if (!post_clock_path.empty()) {
    auto clock = PostClock::create(post_clock_path);
    if (!clock) {
      spdlog::error("{}", clock.error().message);
      return 1;
    }
    post_clock.emplace(std::move(*clock));
  }

  ProducerOptions options;
  options.info = capture::describe_this_machine(source_name);
  if (post_clock) {
    options.on_frame_posted = [&](std::uint32_t serial, TimePoint at) {
      post_clock->record(serial, at);
    };
  }
  auto producer = Producer::create(SharedRegion(region->bytes()), std::move(options));
  const auto too_small = [&] {
    spdlog::error(
        "{} is {:.1f} MiB; a {}x{} {} frame needs {:.0f} MiB (B7 rule: W x H x {} x 2 "
        "frames + 10 MiB, rounded up to a power of two)",
        shm_path, static_cast<double>(region->size()) / kMiB, size->width, size->height,
        format_name, static_cast<double>(needed) / kMiB, bytes_per_pixel);
  };
  if (!producer) {
    spdlog::error("{}", producer.error().message);
    if (producer.error().code == ErrorCode::kTooSmall) too_small();
    return 1;
  }
  const FrameDesc desc{*type, size->width, size->height};
  if (!(*producer)->fits(desc)) {
    too_small();
    if (!allow_truncated) {
      spdlog::error(
          "use a larger shared memory region, or --allow-truncated to send the top "
          "of each frame with the truncated flag set");
      return 1;
    }
    spdlog::warn("sending truncated frames: the bottom of the picture is cut off");
  }

  auto source = capture::TestPattern::create({size->width, size->height, fps, *type});
  if (!source) {
    spdlog::error("{}", source.error().message);
    return 2;
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  spdlog::info("capturing {} {}x{} {} at {} fps into {} ({:.1f} MiB, session {:08x})", source_name,
               size->width, size->height, format_name, fps, shm_path,
               static_cast<double>(region->size()) / kMiB, (*producer)->session_id());
  capture::CaptureLoopOptions loop;
  if (seconds) {
    loop.duration = from_seconds(*seconds);
  }
  loop.stop = &g_stop;
  loop.full_damage = full_damage;
  loop.rotation = static_cast<b7::FrameRotation>(rotate_degrees / 90);
  auto stats = capture::run_capture_loop(**source, **producer, loop);
  if (!stats) {
    spdlog::error("{}", stats.error().message);
    return 1;
  }
  const ProducerStats ps = (*producer)->stats();
  spdlog::info(
      "{} frames in {:.1f} s: {} posted, {} without a viewer, {} dropped; {} cursor "
      "updates; {} re-initialisations",
      stats->frames_captured, to_ms(stats->elapsed) / 1000.0, stats->frames_posted,
      stats->frames_unwatched, stats->frames_dropped, stats->cursor_updates, ps.reinitialisations);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "periscope-capture: send a screen to the host over IVSHMEM in the Looking Glass "
      "B7 format"};
  std::string shm;
  std::string source = "test-pattern";
  std::string size = "1920x1080";
  double fps = 60;
  std::string format = "bgra";
  std::optional<double> seconds;
  bool allow_truncated = false;
  std::string post_clock;
  bool full_damage = false;
  int rotate_degrees = 0;
  std::string log_level = "info";
  app.add_option("--shm", shm,
                 "shared memory to write: a /dev/shm file, /dev/kvmfr0, or an IVSHMEM BAR "
                 "(/sys/bus/pci/devices/<address>/resource2)")
      ->required();
  app.add_option("--source", source, "what to capture: test-pattern")->capture_default_str();
  app.add_option("--size", size, "frame size WIDTHxHEIGHT (test pattern)")->capture_default_str();
  app.add_option("--fps", fps, "frames per second (test pattern; 0 = as fast as possible)")
      ->capture_default_str();
  app.add_option("--format", format, "pixel format: bgra rgba rgba10 rgba16f bgr32 rgb24")
      ->capture_default_str();
  app.add_option("--rotate", rotate_degrees,
                 "say the guest's display is rotated clockwise by 0, 90, 180 or 270 degrees")
      ->check(CLI::IsMember({0, 90, 180, 270}))
      ->capture_default_str();
  app.add_option("--seconds", seconds, "stop after this many seconds (default: until Ctrl-C)");
  app.add_flag("--allow-truncated", allow_truncated,
               "send the top of frames too big for the region, flagged as truncated");
  app.add_option("--post-clock", post_clock,
                 "record each frame's post time in this file (same-host latency measurement)");
  app.add_flag("--full-damage", full_damage, "send every frame as wholly changed (benchmarks)");
  app.add_option("--log-level", log_level, "trace debug info warn error off")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  periscope::init_logging("periscope-capture", log_level);
  return run(shm, source, size, fps, format, seconds, allow_truncated, post_clock, full_damage,
             rotate_degrees);
}
