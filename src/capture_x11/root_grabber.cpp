#include "capture_x11/root_grabber.hpp"

#include <algorithm>
#include <cstring>

#include "capture_x11/x11_errors.hpp"
#include "common/log.hpp"

namespace periscope::capture::x11 {

namespace {

constexpr std::uint32_t kBytesPerPixel = 4;

void make_opaque(std::span<std::byte> pixels) {
  // Word-wise so the compiler vectorises it: ~1 ms for a 1080p screen.
  for (std::size_t i = 0; i + kBytesPerPixel <= pixels.size(); i += kBytesPerPixel) {
    std::uint32_t word = 0;
    std::memcpy(&word, &pixels[i], sizeof word);
    word |= 0xFF000000U;
    std::memcpy(&pixels[i], &word, sizeof word);
  }
}

// A shared segment the server has attached, with an XImage over it, or nothing.
bool attach_shm(const RootScreen& screen, ShmSegment& segment, BorrowedImagePtr& image) {
  if (XShmQueryExtension(screen.display) == False) {
    spdlog::info("the X server has no MIT-SHM: reading the screen with XGetImage");
    return false;
  }
  // 32 bits per pixel (checked by the caller), rows unpadded: what XShmCreateImage computes.
  const std::size_t bytes = std::size_t{screen.width} * kBytesPerPixel * screen.height;
  if (!segment.create(bytes)) {
    spdlog::info("no System V shared memory ({} bytes): reading the screen with XGetImage", bytes);
    return false;
  }
  // The image keeps a pointer to the segment's info, which lives as long as the segment.
  BorrowedImagePtr header(XShmCreateImage(screen.display, screen.visual,
                                          static_cast<unsigned>(screen.depth), ZPixmap, nullptr,
                                          segment.info(), screen.width, screen.height));
  if (!header || static_cast<std::size_t>(header->bytes_per_line) * screen.height != bytes) {
    return false;
  }
  header->data = segment.info()->shmaddr;
  const ErrorTrap trap(screen.display);
  const bool sent = XShmAttach(screen.display, segment.info()) != False;
  if (!sent || !trap.ok()) {
    // A remote display accepts the request and fails it: the server cannot see our memory.
    spdlog::info(
        "the X server cannot attach our shared memory (remote display?): reading the "
        "screen with XGetImage");
    return false;
  }
  segment.server_attached(screen.display);
  image = std::move(header);
  return true;
}

}  // namespace

Result<RootGrabber> RootGrabber::create(const RootScreen& screen, bool try_shm) {
  RootGrabber grabber;
  grabber.screen_ = screen;
  if (try_shm && attach_shm(screen, grabber.shm_, grabber.shm_image_)) {
    grabber.pitch_ = static_cast<std::uint32_t>(grabber.shm_image_->bytes_per_line);
    grabber.pixels_ = {grabber.shm_.data(), std::size_t{grabber.pitch_} * screen.height};
    return grabber;
  }
  grabber.shm_ = ShmSegment();
  grabber.pitch_ = screen.width * kBytesPerPixel;
  grabber.buffer_.assign(std::size_t{grabber.pitch_} * screen.height, std::byte{0});
  grabber.pixels_ = grabber.buffer_;
  return grabber;
}

bool RootGrabber::grab_rows(std::uint32_t y, std::uint32_t rows) {
  if (rows == 0 || y >= screen_.height) return true;
  rows = std::min(rows, screen_.height - y);
  const bool ok = uses_shm() ? grab_rows_shm(y, rows) : grab_rows_copy(y, rows);
  if (ok) make_opaque(pixels_.subspan(std::size_t{y} * pitch_, std::size_t{rows} * pitch_));
  return ok;
}

bool RootGrabber::grab_rows_shm(std::uint32_t y, std::uint32_t rows) {
  // A copy of the full-screen header, cut to the band: Xlib sends the segment offset
  // (data - shmaddr), so the server writes the rows where they belong.
  XImage band = *shm_image_;
  band.data = shm_image_->data + static_cast<std::ptrdiff_t>(y) * pitch_;
  band.height = static_cast<int>(rows);
  return XShmGetImage(screen_.display, screen_.root, &band, 0, static_cast<int>(y), AllPlanes) !=
         False;
}

bool RootGrabber::grab_rows_copy(std::uint32_t y, std::uint32_t rows) {
  const OwnedImagePtr image(XGetImage(screen_.display, screen_.root, 0, static_cast<int>(y),
                                      screen_.width, rows, AllPlanes, ZPixmap));
  if (!image || image->bits_per_pixel != 32 || image->bytes_per_line < 0 ||
      static_cast<std::uint32_t>(image->bytes_per_line) < pitch_) {
    return false;
  }
  for (std::uint32_t row = 0; row < rows; ++row) {
    std::memcpy(&buffer_[(std::size_t{y} + row) * pitch_],
                image->data + static_cast<std::ptrdiff_t>(row) * image->bytes_per_line, pitch_);
  }
  return true;
}

}  // namespace periscope::capture::x11
