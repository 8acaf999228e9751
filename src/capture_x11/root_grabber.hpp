#pragma once
// Reads rows of the root window back into one BGRA frame buffer: with MIT-SHM the server
// writes straight into a segment we share (no copy on our side, and the segment IS the frame
// buffer); without it (a remote display, or the server refused the attach) XGetImage sends
// the pixels over the socket and we copy them in.
//
// Only whole-width row bands are read: an XShmGetImage whose image header is offset into the
// segment lands its rows in place, so a small change costs a small read, not a full screen.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "capture_x11/x11_handles.hpp"
#include "common/result.hpp"

namespace periscope::capture::x11 {

// The root window of a depth-24 TrueColor, 32-bit little-endian screen (checked by the caller).
struct RootScreen {
  Display* display{nullptr};
  Window root{0};
  Visual* visual{nullptr};
  int depth{24};
  std::uint32_t width{0};
  std::uint32_t height{0};
};

class RootGrabber {
 public:
  // MIT-SHM when `try_shm` and the server accepts the segment, XGetImage otherwise.
  static Result<RootGrabber> create(const RootScreen& screen, bool try_shm);

  // Reads rows [y, y + rows) of the full width into the buffer and makes their alpha opaque
  // (the pad byte of a depth-24 pixel is undefined, B7's BGRA carries alpha). False when the
  // server refused (e.g. the screen shrank under us: a resize event is on its way).
  bool grab_rows(std::uint32_t y, std::uint32_t rows);

  [[nodiscard]] std::span<const std::byte> pixels() const { return pixels_; }
  [[nodiscard]] std::uint32_t pitch() const { return pitch_; }
  [[nodiscard]] bool uses_shm() const { return shm_image_ != nullptr; }

 private:
  RootGrabber() = default;
  bool grab_rows_shm(std::uint32_t y, std::uint32_t rows);
  bool grab_rows_copy(std::uint32_t y, std::uint32_t rows);

  RootScreen screen_;
  ShmSegment shm_;
  BorrowedImagePtr shm_image_;     // set when MIT-SHM is used
  std::vector<std::byte> buffer_;  // the frame buffer when it is not
  std::span<std::byte> pixels_;
  std::uint32_t pitch_{0};
};

}  // namespace periscope::capture::x11
