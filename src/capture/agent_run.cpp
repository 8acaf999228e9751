#include "capture/agent_run.hpp"

#include <sys/resource.h>

#include <optional>

#include "capture/capture_loop.hpp"
#include "capture/guest_info.hpp"
#include "capture/ivshmem_discovery.hpp"
#include "common/log.hpp"
#include "common/mapped_region.hpp"
#include "relay/frame_format.hpp"
#include "relay/post_clock.hpp"
#include "relay/producer.hpp"

namespace periscope::capture {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// This process's CPU time between samples, as a share of the wall time.
class CpuMeter {
 public:
  struct Usage {
    double wall_s;
    double cpu_percent;
  };
  CpuMeter() : wall_(Clock::now()), cpu_s_(process_cpu_s()) {}
  Usage sample() {
    const TimePoint now = Clock::now();
    const double cpu = process_cpu_s();
    const double wall = to_ms(now - wall_) / 1000.0;
    const Usage usage{wall, wall > 0 ? 100.0 * (cpu - cpu_s_) / wall : 0.0};
    wall_ = now;
    cpu_s_ = cpu;
    return usage;
  }

 private:
  static double process_cpu_s() {
    rusage r{};
    ::getrusage(RUSAGE_SELF, &r);
    const auto seconds = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(r.ru_utime) + seconds(r.ru_stime);
  }
  TimePoint wall_;
  double cpu_s_;
};

}  // namespace

int run_agent(CaptureSource& source, const FrameDesc& first, const AgentRunOptions& o) {
  const std::string& source_name = o.source_label;
  const std::string_view format_name = b7::frame_type_name(first.type);
  std::string shm_path = o.shm_path;
  const std::uint32_t bytes_per_pixel = first.type == b7::FrameType::kRgba16f ? 8 : 4;
  const std::uint64_t needed =
      b7::recommended_region_bytes(first.width, first.height, bytes_per_pixel);

  if (shm_path.empty()) {
    auto choice = choose_shared_memory(find_ivshmem_devices(), o.device_address);
    if (!choice) {
      spdlog::error("{}", choice.error().message);
      return 1;
    }
    spdlog::info("writing to {}: {}", choice->path, choice->reason);
    shm_path = choice->path;
  }
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
  if (!o.post_clock_path.empty()) {
    auto clock = PostClock::create(o.post_clock_path);
    if (!clock) {
      spdlog::error("{}", clock.error().message);
      return 1;
    }
    post_clock.emplace(std::move(*clock));
  }

  ProducerOptions options;
  options.info = describe_this_machine(source_name);
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
        shm_path, static_cast<double>(region->size()) / kMiB, first.width, first.height,
        format_name, static_cast<double>(needed) / kMiB, bytes_per_pixel);
  };
  if (!producer) {
    spdlog::error("{}", producer.error().message);
    if (producer.error().code == ErrorCode::kTooSmall) too_small();
    return 1;
  }
  if (!(*producer)->fits(first)) {
    too_small();
    if (!o.allow_truncated) {
      spdlog::error(
          "use a larger shared memory region, or --allow-truncated to send the top "
          "of each frame with the truncated flag set");
      return 1;
    }
    spdlog::warn("sending truncated frames: the bottom of the picture is cut off");
  }

  spdlog::info("capturing {} {}x{} {} into {} ({:.1f} MiB, session {:08x})", source_name,
               first.width, first.height, format_name, shm_path,
               static_cast<double>(region->size()) / kMiB, (*producer)->session_id());
  capture::CaptureLoopOptions loop;
  if (o.seconds) {
    loop.duration = from_seconds(*o.seconds);
  }
  loop.stop = o.stop;
  // Every 10 s: what the agent sends and what it costs the guest, so an idle screen's cost is
  // visible in the log (the demo VM's serial console).
  CpuMeter cpu;
  std::uint64_t frames_before = 0;
  int seconds = 0;
  loop.every_second = [&](const CaptureLoopStats& stats) {
    if (++seconds % 10 != 0) return;
    const auto usage = cpu.sample();
    spdlog::info("last 10 s: {:.1f} frames/s posted, {:.1f} % of a CPU",
                 static_cast<double>(stats.frames_posted - frames_before) / usage.wall_s,
                 usage.cpu_percent);
    frames_before = stats.frames_posted;
  };
  loop.full_damage = o.full_damage;
  loop.rotation = o.rotation;
  auto stats = run_capture_loop(source, **producer, loop);
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

}  // namespace periscope::capture
