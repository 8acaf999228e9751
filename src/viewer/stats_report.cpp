#include "viewer/stats_report.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include "relay/frame_format.hpp"

namespace periscope::viewer {

nlohmann::json latency_to_json(const LatencyHistogram& h) {
  if (h.count() == 0) return nullptr;
  return {{"count", h.count()},
          {"p50", to_ms(h.percentile(0.50))},
          {"p90", to_ms(h.percentile(0.90))},
          {"p99", to_ms(h.percentile(0.99))},
          {"max", to_ms(h.max())},
          {"mean", to_ms(h.mean())}};
}

nlohmann::json stats_to_json(const ReceiverStats& s, Nanoseconds elapsed, TimePoint now) {
  const double seconds = to_ms(elapsed) / 1000.0;
  const auto& c = s.consumer;
  nlohmann::json j;
  j["duration_s"] = seconds;
  j["frames"] = c.frames;
  j["damage_frames"] = c.damage_frames;
  j["updates_per_second"] = seconds > 0 ? static_cast<double>(c.frames) / seconds : 0.0;
  j["bytes_copied"] = c.bytes_copied;
  j["reposts_skipped"] = c.reposts_skipped;
  j["cursor_updates"] = c.cursor_updates;
  j["cursor_shapes"] = c.cursor_shapes;
  j["rejected_messages"] = c.rejected_messages;
  j["wp_stalls"] = c.wp_stalls;
  j["truncated_frames"] = c.truncated_frames;
  j["sessions"] = c.sessions;
  j["session_restarts"] = c.session_restarts;
  j["resubscriptions"] = c.resubscriptions;
  j["last_error"] = c.last_error;
  j["in_session"] = s.running;
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  j["max_rss_kib"] = usage.ru_maxrss;  // peak resident memory: bounded whatever the guest writes
  // "posted -> fully in our memory" needs the producer's post clock (same host only).
  j["latency_ms"] = latency_to_json(s.post_to_memory);
  j["latency_source"] = s.post_to_memory.count() > 0 ? "post-clock" : "none";
  j["post_clock_misses"] = s.post_clock_misses;
  j["seen_to_memory_ms"] = latency_to_json(s.seen_to_memory);
  if (s.last_frame) {
    const auto& f = *s.last_frame;
    j["last_frame"] = {{"serial", f.serial},
                       {"width", f.frame_width},
                       {"height", f.frame_height},
                       {"format", b7::frame_type_name(f.type)},
                       {"truncated", (f.flags & b7::kFrameFlagTruncated) != 0},
                       {"needed_region_bytes",
                        b7::recommended_region_bytes(f.frame_width, f.frame_height,
                                                     f.type == b7::FrameType::kRgba16f ? 8 : 4)},
                       {"age_ms", s.last_frame_at ? to_ms(now - *s.last_frame_at) : -1.0}};
  } else {
    j["last_frame"] = nullptr;
  }
  j["cursor"] = {{"visible", s.cursor.visible},
                 {"x", s.cursor.x},
                 {"y", s.cursor.y},
                 {"shapes", s.cursor.shape_serial}};
  if (s.session) {
    const auto& k = s.session->kvmfr;
    j["session"] = {{"id", fmt::format("{:08x}", s.session->session_id)},
                    {"hostver", k.hostver},
                    {"features", k.features},
                    {"capture", k.vm ? k.vm->capture : ""},
                    {"os", k.os ? std::string(b7::os_type_name(k.os->os)) : ""},
                    {"os_name", k.os ? k.os->name : ""}};
  } else {
    j["session"] = nullptr;
  }
  return j;
}

std::string stats_line(const ReceiverStats& s, const ReceiverStats& previous,
                       Nanoseconds interval) {
  const double seconds = to_ms(interval) / 1000.0;
  const auto rate = [&](std::uint64_t now, std::uint64_t before) {
    return seconds > 0 ? static_cast<double>(now - before) / seconds : 0.0;
  };
  const auto& lat = s.post_to_memory.count() > 0 ? s.post_to_memory : s.seen_to_memory;
  std::string line = fmt::format(
      "{}  frames {} ({:.1f}/s)  cursor {:.0f}/s  latency{} p50 {:.2f} p99 {:.2f} max {:.2f} ms"
      "  rejected {}  restarts {}",
      s.running ? "live   " : "waiting", s.consumer.frames,
      rate(s.consumer.frames, previous.consumer.frames),
      rate(s.consumer.cursor_updates, previous.consumer.cursor_updates),
      s.post_to_memory.count() > 0 ? "" : " (seen->memory)", to_ms(lat.percentile(0.5)),
      to_ms(lat.percentile(0.99)), to_ms(lat.max()), s.consumer.rejected_messages,
      s.consumer.session_restarts);
  if (s.last_frame && (s.last_frame->flags & b7::kFrameFlagTruncated) != 0) {
    line += fmt::format(
        "  TRUNCATED: IVSHMEM too small, use {} MiB",
        b7::recommended_region_bytes(s.last_frame->frame_width, s.last_frame->frame_height, 4) /
            (1024 * 1024));
  }
  return line;
}

}  // namespace periscope::viewer
