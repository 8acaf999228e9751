#pragma once
// A synthetic capture source: a static background plus a moving box and a 7-segment frame
// counter, in any KVMFR pixel format. It is what the demo shows and what screenshot tests check
// pixel by pixel, so every pixel is a pure function of (options, frame index, x, y), published
// as expected_rgba(); the renderer and that function share one definition.
//
// Layout (w x h frame, integer division throughout):
//  - top half (y < h/2): 8 vertical colour bars, bar = x*8/w: white, yellow, cyan, green,
//    magenta, red, blue, black;
//  - bottom half: grey ramp x*255/(w-1), with 1-pixel azure grid lines where x%64==0 or y%64==0;
//  - box: orange, max(1,w/8) x max(1,h/8) at y = h/4 - height/2, moving right by max(1,w/160)
//    pixels per frame and wrapping so it always lies wholly inside the frame;
//  - counter: 8 decimal digits (frame index mod 10^8, leading zeros) as green 7-segment digits
//    on a black panel, panel top-left at (w/16, 5h/8), clipped to the frame. Digit height
//    dh = max(7,h/16), segment thickness t = max(1,dh/8), digit width dw = max(3t,dh/2), 2t
//    between digits, t of panel around them; segments overlap at the corners.
// Priority: box over counter over background. Alpha is always 255.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "capture/capture_source.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "relay/layout.hpp"

namespace periscope::capture {

class TestPattern final : public CaptureSource {
 public:
  struct Options {
    std::uint32_t width{0};
    std::uint32_t height{0};
    double fps{60.0};  // <= 0: a frame per call, no pacing
    b7::FrameType type = b7::FrameType::kBgra;
  };

  static constexpr std::uint32_t kMaxDimension = 16384;
  static constexpr std::uint32_t kCounterDigits = 8;
  static constexpr std::uint32_t kCursorSize = 32;

  // Rejects sizes of 0 or above kMaxDimension, an invalid frame type and a non-finite fps.
  [[nodiscard]] static Status validate(const Options& options);
  [[nodiscard]] static Result<std::unique_ptr<TestPattern>> create(const Options& options);

  // Throws std::invalid_argument when validate() fails; create() is the non-throwing way.
  explicit TestPattern(const Options& options);

  [[nodiscard]] std::string_view name() const override { return "test-pattern"; }
  // Paces at options.fps, then renders the next frame (only its damage, after frame 0).
  CaptureStatus capture_frame(Nanoseconds timeout, CapturedFrame& frame) override;
  // First call: the shape and position; later calls: the position, when it moved.
  // May run on another thread than capture_frame (it only reads the frame count).
  std::optional<CapturedCursor> poll_cursor() override;

  // ---- the pattern as pure functions, for tests and screenshot checks ----
  // The 8-bit RGBA at (x, y) in frame `frame_index`, cursor not included.
  static std::array<std::uint8_t, 4> expected_rgba(const Options& options,
                                                   std::uint64_t frame_index, std::uint32_t x,
                                                   std::uint32_t y);
  // Where the moving box is in frame `frame_index`.
  static b7::DamageRect box_rect(const Options& options, std::uint64_t frame_index);
  // The counter panel's bounding box, clipped to the frame (the same in every frame).
  static b7::DamageRect counter_rect(const Options& options);
  // What frame `frame_index` (> 0) reports as damage; empty for frame 0 (= everything).
  static std::vector<b7::DamageRect> damage(const Options& options, std::uint64_t frame_index);
  // Top-left of the cursor image (= its hotspot, which is (0,0)) while frame `frame_index` is
  // the latest: a circle of radius min(w,h)/4 around the centre, one turn per 240 frames.
  static std::pair<int, int> cursor_position(const Options& options, std::uint64_t frame_index);
  // The cursor image: kCursorSize x kCursorSize straight-alpha BGRA, pitch kCursorSize*4.
  static std::span<const std::byte> cursor_shape_bgra();
  // Frame `frame_index` stored in options.type and drawn from scratch, pitch_bytes() per row
  // (the padding of packed 24-bit rows is zero): what capture_frame's buffer must equal.
  static std::vector<std::byte> render_frame(const Options& options, std::uint64_t frame_index);
  // Bytes per row of the stored frame in options.type (24-bit types: ceil(w*3/4) texels).
  static std::uint32_t pitch_bytes(const Options& options);

 private:
  // Draws `rects` (all of the frame when empty) of frame `frame_index` into `buffer`.
  static void render(const Options& options, std::span<std::byte> buffer,
                     std::span<const b7::DamageRect> rects, std::uint64_t frame_index);

  Options options_;
  std::uint32_t pitch_{0};
  std::vector<std::byte> buffer_;
  Nanoseconds period_{0};
  std::optional<TimePoint> next_due_;     // empty until the first frame
  std::atomic<std::uint64_t> frames_{0};  // frames produced; poll_cursor reads it
  bool cursor_shape_sent_{false};
  std::pair<int, int> last_cursor_{0, 0};
};

}  // namespace periscope::capture
