#include "viewer/software_presenter.hpp"

#include <algorithm>

#include "image/blend.hpp"
#include "image/frame_to_rgba.hpp"

namespace periscope::viewer {

Status SoftwarePresenter::upload(const Frame& frame, const FrameRing::Damage& /*damage*/) {
  ++uploads_;
  // The reference converts everything: simple and obviously right, not fast.
  if (compose_) {
    picture_ = image::frame_to_rgba(frame.info, frame.pixels);
    image::make_opaque(picture_);
  }
  return {};
}

void SoftwarePresenter::set_cursor(const image::CursorPlanes& planes) {
  if (compose_) cursor_ = planes;
}

void SoftwarePresenter::set_overlay(const image::RgbaImage& overlay) {
  if (compose_) overlay_ = overlay;
}

void SoftwarePresenter::set_status(const image::RgbaImage& status) {
  if (compose_) status_ = status;
}

Status SoftwarePresenter::present(const PresentRequest& request) {
  ++presents_;
  if (compose_ && request.read_back) {
    read_back_ = compose_output(size_, picture_, cursor_ ? &*cursor_ : nullptr, &overlay_, &status_,
                                request);
  }
  return {};
}

image::RgbaImage compose_output(OutputSize size, const image::RgbaImage& picture,
                                const image::CursorPlanes* cursor, const image::RgbaImage* overlay,
                                const image::RgbaImage* status, const PresentRequest& request) {
  image::RgbaImage out = image::RgbaImage::filled(size.width, size.height, image::kOpaqueBlack);
  if (request.status && status != nullptr && status->valid()) {
    image::blend_over(out, *status, 0, 0);
  } else if (picture.valid() && picture.width > 0) {
    image::RgbaImage shown = picture;
    if (request.cursor_visible && cursor != nullptr) {
      image::apply_cursor_planes(shown, *cursor, request.cursor_x, request.cursor_y);
    }
    const input::PictureRect r =
        picture_rect(request.mode, size.width, size.height, picture.width, picture.height);
    for (std::int64_t oy = std::max(0, r.y);
         oy < std::min<std::int64_t>(r.y + r.height, size.height); ++oy) {
      // The guest pixel whose area holds this output pixel's centre.
      const auto gy = static_cast<std::uint32_t>(
          ((2 * (oy - r.y) + 1) * std::int64_t{shown.height}) / (2 * std::int64_t{r.height}));
      for (std::int64_t ox = std::max(0, r.x);
           ox < std::min<std::int64_t>(r.x + r.width, size.width); ++ox) {
        const auto gx = static_cast<std::uint32_t>(
            ((2 * (ox - r.x) + 1) * std::int64_t{shown.width}) / (2 * std::int64_t{r.width}));
        out.set(static_cast<std::uint32_t>(ox), static_cast<std::uint32_t>(oy), shown.at(gx, gy));
      }
    }
  }
  if (request.overlay && overlay != nullptr && overlay->valid()) {
    image::blend_over(out, *overlay, kOverlayMargin, kOverlayMargin);
  }
  return out;
}

}  // namespace periscope::viewer
