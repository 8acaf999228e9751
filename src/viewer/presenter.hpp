#pragma once
// What shows the guest's screen: a window's GL renderer, or a CPU one for tests and benchmarks.
// The view loop (view_core.hpp) drives it; nothing here knows about windows or events, so a
// raw Wayland or Vulkan presenter can be added behind the same interface.
#include <cstdint>
#include <string_view>

#include "common/result.hpp"
#include "image/cursor_planes.hpp"
#include "image/rgba_image.hpp"
#include "relay/frame_ring.hpp"
#include "viewer/scaling.hpp"

namespace periscope::viewer {

struct OutputSize {
  std::uint32_t width{0};
  std::uint32_t height{0};
  friend bool operator==(const OutputSize&, const OutputSize&) = default;
};

struct PresentRequest {
  ScaleMode mode{ScaleMode::kFit};
  bool cursor_visible{false};
  // Top-left of the cursor image on the upright guest picture, in guest pixels.
  std::int32_t cursor_x{0};
  std::int32_t cursor_y{0};
  bool overlay{false};    // draw the overlay image at the top-left corner
  bool status{false};     // show the status image instead of the picture
  bool read_back{false};  // keep what was drawn, for last_read_back()
};

class Presenter {
 public:
  virtual ~Presenter() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;

  // Brings the presenter's copy of the guest screen up to `frame`. `damage` is what changed
  // since the frame uploaded before (nullopt: everything, e.g. a new size or format). Called
  // while the frame is leased from the ring, so it must not keep references to it.
  virtual Status upload(const Frame& frame, const FrameRing::Damage& damage) = 0;
  virtual void set_cursor(const image::CursorPlanes& planes) = 0;
  virtual void set_overlay(const image::RgbaImage& overlay) = 0;
  // A full-output picture ("waiting for the guest", "IVSHMEM too small").
  virtual void set_status(const image::RgbaImage& status) = 0;

  // The size of what present() draws into, in pixels (a window's drawable size).
  [[nodiscard]] virtual OutputSize output_size() const = 0;
  // Draws the picture (or the status), the cursor and the overlay, and shows it.
  virtual Status present(const PresentRequest& request) = 0;
  // What the last present() with read_back drew, top row first.
  [[nodiscard]] virtual const image::RgbaImage& last_read_back() const = 0;
};

}  // namespace periscope::viewer
