#include "capture/capture_loop.hpp"

#include "common/log.hpp"
#include "relay/frame_format.hpp"

namespace periscope::capture {

namespace {

Status send_cursor(Producer& producer, const CapturedCursor& cursor) {
  CursorUpdate update;
  update.visible = cursor.visible;
  update.position = {{cursor.x, cursor.y}};
  update.shape = cursor.shape;
  return producer.write_cursor(update);
}

}  // namespace

Result<CaptureLoopStats> run_capture_loop(CaptureSource& source, Producer& producer,
                                          const CaptureLoopOptions& options) {
  CaptureLoopStats stats;
  const TimePoint start = Clock::now();
  TimePoint next_report = start + std::chrono::seconds(1);
  CapturedFrame frame;
  const std::vector<b7::DamageRect> everything;
  std::optional<FrameDesc> previous_desc;
  while (options.stop == nullptr || !options.stop->load(std::memory_order_relaxed)) {
    const TimePoint now = Clock::now();
    stats.elapsed = now - start;
    if (options.duration && stats.elapsed >= *options.duration) break;
    if (options.every_second && now >= next_report) {
      options.every_second(stats);
      next_report += std::chrono::seconds(1);
    }

    switch (source.capture_frame(Milliseconds(100), frame)) {
      case CaptureStatus::kOk: {
        ++stats.frames_captured;
        FrameDesc desc{frame.type, frame.width, frame.height};
        desc.rotation = options.rotation;
        if (!previous_desc || previous_desc->width != desc.width ||
            previous_desc->height != desc.height || previous_desc->type != desc.type) {
          if (!producer.fits(desc)) {
            // Said once per size: the viewer shows the truncated flag, the log says the fix.
            spdlog::warn(
                "a {}x{} frame does not fit the shared memory: sending the top of it, flagged "
                "truncated; the region needs {} MiB",
                desc.width, desc.height,
                b7::recommended_region_bytes(desc.width, desc.height,
                                             desc.type == b7::FrameType::kRgba16f ? 8 : 4) >>
                    20);
          }
          previous_desc = desc;
        }
        auto written = producer.write_frame(desc, frame.pixels.data(), frame.pitch,
                                            options.full_damage ? everything : frame.damage,
                                            options.slot_wait);
        if (!written) return tl::unexpected(written.error());
        switch (written->post) {
          case FramePost::kPosted:
            ++stats.frames_posted;
            break;
          case FramePost::kNoSubscribers:
            ++stats.frames_unwatched;
            break;
          case FramePost::kDropped:
            ++stats.frames_dropped;
            break;
        }
        break;
      }
      case CaptureStatus::kTimeout:
        ++stats.capture_timeouts;
        break;
      case CaptureStatus::kReinit:
        spdlog::info("capture source reinitialised");
        break;
      case CaptureStatus::kError:
        return fail(ErrorCode::kIo, "capture source '{}' failed", source.name());
    }
    if (auto cursor = source.poll_cursor()) {
      if (auto sent = send_cursor(producer, *cursor); !sent) {
        spdlog::warn("cursor: {}", sent.error().message);
      } else {
        ++stats.cursor_updates;
      }
    }
    for (const auto& request : producer.take_cursor_position_requests()) {
      spdlog::debug("viewer asked to move the cursor to {},{} (not supported by '{}')", request.x,
                    request.y, source.name());
    }
  }
  stats.elapsed = Clock::now() - start;
  return stats;
}

}  // namespace periscope::capture
