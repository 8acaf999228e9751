#include "viewer/view_core.hpp"

#include <fmt/format.h>

#include "common/log.hpp"
#include "image/png_io.hpp"
#include "relay/frame_format.hpp"
#include "viewer/overlay.hpp"
#include "viewer/text_renderer.hpp"

namespace periscope::viewer {

namespace {

constexpr Milliseconds kOverlayPeriod{250};
constexpr std::size_t kHistoryFrames = 480;  // a couple of seconds at 240 Hz
constexpr image::Rgba kStatusBackground{24, 24, 28, 255};

OutputSize upright_size(const b7::FrameInfo& info) {
  const bool swap =
      info.rotation == b7::FrameRotation::k90 || info.rotation == b7::FrameRotation::k270;
  return swap ? OutputSize{info.frame_height, info.frame_width}
              : OutputSize{info.frame_width, info.frame_height};
}

bool truncated(const b7::FrameInfo& info) {
  return (info.flags & b7::kFrameFlagTruncated) != 0;
}

}  // namespace

ViewCore::ViewCore(Presenter& presenter, FrameRing& ring, const FrameFeed& feed,
                   ViewCoreOptions options, const TextRenderer* text)
    : presenter_(presenter), ring_(ring), feed_(feed), options_(std::move(options)), text_(text) {}

void ViewCore::set_mode(ScaleMode mode) {
  options_.mode = mode;
  dirty_ = true;
}

void ViewCore::toggle_overlay() {
  options_.overlay = !options_.overlay;
  next_overlay_ = TimePoint{};  // draw it at once
  dirty_ = true;
}

void ViewCore::set_input_line(std::string line) {
  input_line_ = std::move(line);
}

input::PictureRect ViewCore::picture_rect_in_output() const {
  const OutputSize out = presenter_.output_size();
  return picture_rect(options_.mode, out.width, out.height, guest_size_.width, guest_size_.height);
}

void ViewCore::take_frame(bool& changed) {
  auto lease = ring_.acquire(have_generation_);
  if (!lease) return;
  const Frame& frame = lease->frame();
  // A new size or format means the presenter's copy has nothing to keep.
  const bool reshaped = !info_ || !frame.info.same_format(*info_);
  const FrameRing::Damage& damage = reshaped ? FrameRing::Damage{} : lease->damage();
  const TimePoint start = Clock::now();
  if (auto uploaded = presenter_.upload(frame, damage); !uploaded) {
    ++stats_.upload_errors;
    spdlog::warn("upload failed: {}", uploaded.error().message);
    return;
  }
  stats_.upload_time.add(Clock::now() - start);
  ++stats_.uploads;
  have_generation_ = lease->generation();
  info_ = frame.info;
  guest_size_ = upright_size(frame.info);
  pending_latency_serial_ = frame.info.serial;
  changed = true;
}

void ViewCore::take_cursor(bool& changed) {
  if (auto shape = feed_.shape_if_new(has_shape_ ? shape_serial_ : ~0U)) {
    presenter_.set_cursor(image::cursor_planes(shape->first));
    shape_serial_ = shape->second;
    has_shape_ = true;
    changed = true;
  }
  const CursorPosition position = feed_.cursor();
  if (!(position == cursor_)) {
    // Only a visible cursor, or one that was, changes the picture.
    if (position.visible || cursor_.visible) changed = true;
    cursor_ = position;
  }
}

void ViewCore::update_state(bool& changed) {
  ViewState state = ViewState::kShowing;
  std::string headline;
  std::string detail;
  if (!info_) {
    state = ViewState::kWaiting;
    headline = "Waiting for the guest";
    detail = feed_.in_session()
                 ? "The capture agent is running; waiting for its first frame."
                 : fmt::format(
                       "No capture agent writes to {} yet. Start the Looking Glass host "
                       "(B7) or periscope-capture in the guest.",
                       options_.source_name);
  } else if (truncated(*info_)) {
    state = ViewState::kTooSmall;
    const std::uint64_t needed = b7::recommended_region_bytes(
        info_->frame_width, info_->frame_height, info_->type == b7::FrameType::kRgba16f ? 8 : 4);
    headline = fmt::format("IVSHMEM too small: use {} MiB", needed / (1024 * 1024));
    detail = fmt::format(
        "The guest's {}x{} {} frames do not fit in the shared memory. Give the "
        "ivshmem device {} MiB and restart the VM.",
        info_->frame_width, info_->frame_height, b7::frame_type_name(info_->type),
        needed / (1024 * 1024));
  }
  if (state != state_) {
    if (state == ViewState::kTooSmall) spdlog::warn("{}", headline);
    state_ = state;
    changed = true;
  }
  if (state == ViewState::kShowing) return;
  const OutputSize size = presenter_.output_size();
  const std::string key = headline + '\n' + detail;
  if (key == status_key_ && size == status_size_) return;
  status_key_ = key;
  status_size_ = size;
  if (text_ != nullptr) {
    presenter_.set_status(render_status_screen(headline, detail, size.width, size.height, *text_));
  } else {
    presenter_.set_status(image::RgbaImage::filled(size.width, size.height, kStatusBackground));
  }
  changed = true;
}

void ViewCore::update_overlay(TimePoint now, bool& changed) {
  if (!options_.overlay || text_ == nullptr || now < next_overlay_) return;
  const double seconds =
      overlay_base_at_ == TimePoint{} ? 0.0 : to_ms(now - overlay_base_at_) / 1e3;
  OverlayModel model;
  if (seconds > 0) {
    model.updates_per_s =
        static_cast<double>(feed_.frames_received() - overlay_frames_base_) / seconds;
    model.presented_per_s =
        static_cast<double>(stats_.frames_presented - overlay_presents_base_) / seconds;
  }
  model.latency_p50_ms = to_ms(overlay_latency_.percentile(0.5));
  model.latency_p99_ms = to_ms(overlay_latency_.percentile(0.99));
  model.latency_history_ms.assign(latency_history_ms_.begin(), latency_history_ms_.end());
  if (info_) {
    model.guest_width = guest_size_.width;
    model.guest_height = guest_size_.height;
    model.format = std::string(b7::frame_type_name(info_->type));
  }
  model.input = input_line_;
  presenter_.set_overlay(render_overlay(model, *text_));
  overlay_frames_base_ = feed_.frames_received();
  overlay_presents_base_ = stats_.frames_presented;
  overlay_base_at_ = now;
  overlay_latency_.clear();
  next_overlay_ = now + kOverlayPeriod;
  changed = true;
}

Result<bool> ViewCore::step(TimePoint now) {
  bool changed = dirty_;
  take_frame(changed);
  take_cursor(changed);
  update_state(changed);
  update_overlay(now, changed);
  if (!changed) return false;

  const bool new_frame = pending_latency_serial_.has_value();
  const bool shoot = options_.screenshot_after_frames > 0 && !screenshot_result_ && new_frame &&
                     stats_.frames_presented + 1 >= options_.screenshot_after_frames;
  PresentRequest request;
  request.mode = options_.mode;
  request.cursor_visible = cursor_.visible && has_shape_;
  request.cursor_x = cursor_.x;
  request.cursor_y = cursor_.y;
  request.overlay = options_.overlay && text_ != nullptr;
  request.status = state_ != ViewState::kShowing;
  request.read_back = shoot;
  const TimePoint start = Clock::now();
  if (auto presented = presenter_.present(request); !presented)
    return tl::unexpected(presented.error());
  const TimePoint shown = Clock::now();
  stats_.present_time.add(shown - start);
  ++stats_.presents;
  dirty_ = false;
  if (new_frame) {
    ++stats_.frames_presented;
    if (auto completed = feed_.completed_at(*pending_latency_serial_)) {
      const Nanoseconds latency = shown - *completed;
      stats_.receive_to_present.add(latency);
      overlay_latency_.add(latency);
      latency_history_ms_.push_back(to_ms(latency));
      if (latency_history_ms_.size() > kHistoryFrames) latency_history_ms_.pop_front();
    }
    pending_latency_serial_.reset();
  }
  if (shoot) {
    screenshot_info_ = ScreenshotInfo{info_ ? info_->serial : 0, cursor_, picture_rect_in_output(),
                                      presenter_.output_size()};
    screenshot_result_ = image::write_png(options_.screenshot_path, presenter_.last_read_back());
    if (*screenshot_result_) spdlog::info("screenshot written to {}", options_.screenshot_path);
  }
  return true;
}

}  // namespace periscope::viewer
