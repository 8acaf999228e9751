#include "viewer/headless_view.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "common/file_bytes.hpp"
#include "common/log.hpp"
#include "common/mapped_region.hpp"
#include "image/cursor_blend.hpp"
#include "image/frame_to_rgba.hpp"
#include "image/png_io.hpp"
#include "viewer/receiver.hpp"
#include "viewer/stats_report.hpp"
#include "viewer/view_source.hpp"

namespace periscope::viewer {

int run_headless_view(const HeadlessViewOptions& options) {
  auto source = open_view_source(options.shm_path, options.post_clock_path);
  if (!source) {
    spdlog::error("{}", source.error().message);
    return 1;
  }
  const MappedRegion& region = source->region;

  Receiver receiver(SharedRegion(region.bytes()), ReceiverOptions{}, source->clock(), nullptr);
  const TimePoint start = Clock::now();
  const TimePoint deadline =
      options.seconds ? start + from_seconds(*options.seconds) : TimePoint::max();
  receiver.start();
  spdlog::info("viewing {} ({:.1f} MiB) headless", options.shm_path,
               static_cast<double>(region.size()) / (1024.0 * 1024.0));

  ReceiverStats previous;
  TimePoint previous_at = start;
  const Nanoseconds interval = from_seconds(options.report_interval_s);
  TimePoint next_report = start + interval;
  while (true) {
    const TimePoint now = Clock::now();
    if (options.stop && options.stop->load()) break;
    if (now >= deadline) break;
    if (options.report_interval_s > 0 && now >= next_report) {
      ReceiverStats current = receiver.snapshot();
      std::fputs((stats_line(current, previous, now - previous_at) + "\n").c_str(), stdout);
      std::fflush(stdout);
      previous = std::move(current);
      previous_at = now;
      next_report += interval;
    }
    TimePoint wake = now + Milliseconds(20);
    if (deadline < wake) wake = deadline;
    precise_sleep(wake - now);
  }
  receiver.stop();
  const TimePoint end = Clock::now();
  const ReceiverStats stats = receiver.snapshot();
  const nlohmann::json json = stats_to_json(stats, end - start, end);

  int exit_code = 0;
  if (!options.stats_json_path.empty()) {
    if (auto written = write_text_atomic(options.stats_json_path, json.dump(2) + "\n"); !written) {
      spdlog::error("{}", written.error().message);
      exit_code = 1;
    }
  }
  if (!options.dump_frame_path.empty()) {
    if (const auto& frame = receiver.final_frame()) {
      image::RgbaImage picture = image::frame_to_rgba(frame->info, frame->pixels);
      image::make_opaque(picture);
      image::draw_cursor(picture, receiver.final_cursor());
      if (auto written = image::write_png(options.dump_frame_path, picture); !written) {
        spdlog::error("{}", written.error().message);
        exit_code = 1;
      }
    } else {
      spdlog::error("no frame was received, so none was written to {}", options.dump_frame_path);
      exit_code = 1;
    }
  }
  const bool posted = stats.post_to_memory.count() > 0;
  const LatencyHistogram& latency = posted ? stats.post_to_memory : stats.seen_to_memory;
  std::fputs(fmt::format("{} frames in {:.1f} s, {:.1f} updates/s; latency ({}) p50 {:.2f} "
                         "p99 {:.2f} max {:.2f} ms; {} rejected messages; {} session restarts\n",
                         stats.consumer.frames, json["duration_s"].get<double>(),
                         json["updates_per_second"].get<double>(),
                         posted ? "posted->memory" : "seen->memory", to_ms(latency.percentile(0.5)),
                         to_ms(latency.percentile(0.99)), to_ms(latency.max()),
                         stats.consumer.rejected_messages, stats.consumer.session_restarts)
                 .c_str(),
             stdout);
  return exit_code;
}

}  // namespace periscope::viewer
