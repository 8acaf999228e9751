#pragma once
// Captures a Linux framebuffer device (/dev/fb0): the guest's text console or anything drawn
// on it. There is no change notification for fbdev, so it polls: each poll compares the live
// picture with the last copy tile by tile (tile_diff.hpp) and sends only what changed. It
// polls at `max_fps` while the screen changes and at `idle_fps` after a second of stillness,
// so an idle console costs a few reads per second.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture/capture_source.hpp"
#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace periscope::capture {

struct FbdevOptions {
  std::string device{"/dev/fb0"};
  double max_fps{60};
  double idle_fps{20};
};

// What FBIOGET_VSCREENINFO/FSCREENINFO said, reduced to what capture needs.
struct FbdevMode {
  std::uint32_t width{0};
  std::uint32_t height{0};
  std::uint32_t bits_per_pixel{0};
  std::uint32_t line_length_bytes{0};
  std::uint32_t red_offset{0};
  std::uint32_t green_offset{0};
  std::uint32_t blue_offset{0};
  std::uint32_t y_offset{0};      // panning: the visible picture starts this many rows down
  std::uint64_t memory_bytes{0};  // smem_len
  friend bool operator==(const FbdevMode&, const FbdevMode&) = default;
};

// The B7 format a mode maps to without conversion, or an error naming what is unsupported.
Result<b7::FrameType> frame_type_for(const FbdevMode& mode);

class FbdevSource final : public CaptureSource {
 public:
  static Result<std::unique_ptr<FbdevSource>> open(const FbdevOptions& options);
  FbdevSource(const FbdevSource&) = delete;
  FbdevSource& operator=(const FbdevSource&) = delete;
  ~FbdevSource() override;

  [[nodiscard]] std::string_view name() const override { return "fbdev"; }
  CaptureStatus capture_frame(Nanoseconds timeout, CapturedFrame& frame) override;
  // The console has no pointer of its own.
  std::optional<CapturedCursor> poll_cursor() override { return std::nullopt; }
  [[nodiscard]] const FbdevMode& mode() const { return mode_; }

 private:
  explicit FbdevSource(FbdevOptions options, UniqueFd fd);
  Status map_current_mode();
  void unmap();

  FbdevOptions options_;
  UniqueFd fd_;
  FbdevMode mode_;
  b7::FrameType type_{b7::FrameType::kBgra};
  const std::byte* mapping_{nullptr};
  std::size_t mapping_bytes_{0};
  std::vector<std::byte> copy_;  // the last picture sent, width*4 bytes per row
  std::uint64_t frames_{0};
  [[nodiscard]] Nanoseconds poll_period() const;

  TimePoint next_poll_{};
  std::uint32_t unchanged_polls_{0};  // since the last change
};

}  // namespace periscope::capture
