#pragma once
// What a guest-side capture backend provides: frames in a KVMFR pixel format with the damage
// since the previous frame, and cursor updates. One narrow interface, one file per backend
// (test pattern now; DRM/fbdev and X11 later), each with a test double.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "relay/cursor_image.hpp"
#include "relay/layout.hpp"

namespace periscope::capture {

// Sunshine's lesson: a capture call returns a status, not a bool.
enum class CaptureStatus {
  kOk,       // `frame` holds a new frame
  kTimeout,  // nothing changed within the timeout
  kReinit,   // the source changed (resolution, format): call again, sizes may differ
  kError,    // the source is gone
};

struct CapturedFrame {
  b7::FrameType type{b7::FrameType::kBgra};
  std::uint32_t width{0};  // pixels
  std::uint32_t height{0};
  std::uint32_t pitch{0};              // bytes per row of `pixels`, in the stored layout of `type`
  std::span<const std::byte> pixels;   // valid until the next capture_frame call
  std::vector<b7::DamageRect> damage;  // changed since the previous frame; empty = everything
  std::uint64_t index{0};              // frames produced by this source so far, from 0
};

using CapturedCursorShape = CursorImage;

struct CapturedCursor {
  bool visible{true};
  std::int16_t x{0};  // top-left of the cursor image on the guest screen
  std::int16_t y{0};
  std::optional<CapturedCursorShape> shape;  // present when the shape changed
};

class CaptureSource {
 public:
  virtual ~CaptureSource() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;
  // Waits up to `timeout` for the next frame.
  virtual CaptureStatus capture_frame(Nanoseconds timeout, CapturedFrame& frame) = 0;
  // The cursor's state when it changed since the last call, nullopt otherwise.
  virtual std::optional<CapturedCursor> poll_cursor() = 0;
};

}  // namespace periscope::capture
