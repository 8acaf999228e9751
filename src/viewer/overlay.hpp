#pragma once
// The viewer's stats overlay and status screens as CPU images: the GL presenter uploads them as
// textures, the headless presenter blends them onto the frame (image::blend_over). Pure
// functions of their inputs (and the font), so tests can check their pixels.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "image/rgba_image.hpp"
#include "viewer/text_renderer.hpp"

namespace periscope::viewer {

struct OverlayModel {
  double updates_per_s{0};                      // frames received from the guest per second
  double presented_per_s{0};                    // frames shown per second
  double latency_p50_ms{0}, latency_p99_ms{0};  // receive->present over the last second
  // One value per presented frame, oldest first (the graph; only the newest values that fit
  // are drawn).
  std::vector<double> latency_history_ms;
  std::uint32_t guest_width{0}, guest_height{0};
  std::string format;  // "BGRA", "RGBA16F"...
  std::string input;   // e.g. "input: captured", "input: view only (no --qmp)"
};

// Where render_overlay puts things; depends on the font only, so the overlay's size does not
// change from frame to frame.
struct OverlayLayout {
  std::uint32_t width{0}, height{0};
  std::uint32_t padding{0};  // around the text and the graph
  std::uint32_t graph_x{0}, graph_y{0}, graph_width{0}, graph_height{0};  // bars' area
  std::uint32_t bar_width{0};

  // How many history values the graph shows.
  [[nodiscard]] std::size_t bar_count() const { return graph_width / bar_width; }
  // Left column of the bar of the value `age` frames older than the newest (age 0: the newest,
  // at the graph's right edge); the caller keeps age < bar_count().
  [[nodiscard]] std::uint32_t bar_x(std::size_t age) const {
    return graph_x + graph_width - static_cast<std::uint32_t>(age + 1) * bar_width;
  }
};

// The latency that one frame at 60 Hz takes: the graph's guide line; bars above it are drawn
// in kOverlaySlowBar.
inline constexpr double kOverlayFrameAt60HzMs = 1000.0 / 60.0;
inline constexpr image::Rgba kOverlayBar{90, 200, 120, 192};
inline constexpr image::Rgba kOverlaySlowBar{240, 90, 60, 192};

OverlayLayout overlay_layout(const TextRenderer& text);

// The graph's full-height value: the smallest of 20, 50, 100, 200, 500, 1000... ms that holds
// every finite value shown, so the 60 Hz line stays visible and the scale does not jitter.
double overlay_graph_top_ms(std::span<const double> shown_ms);

// A dark panel, 75% opaque (straight alpha; text and bars share the panel's alpha), of
// overlay_layout(text)'s size: guest size and format, update and present rates, latency
// percentiles, the input line, then a bar graph of the latency history with its scale and a
// line at one 60 Hz frame.
image::RgbaImage render_overlay(const OverlayModel& model, const TextRenderer& text);

// An opaque dark image of exactly width x height with `headline` (bold) and `detail` centred
// below it, for states such as "Waiting for the guest…" or "IVSHMEM too small: use 64 MiB".
// Lines are wrapped at spaces and '\n'; a word wider than the image is clipped, and lines that
// do not fit vertically are left out (the headline's first line is always drawn, clipped).
image::RgbaImage render_status_screen(std::string_view headline, std::string_view detail,
                                      std::uint32_t width, std::uint32_t height,
                                      const TextRenderer& text);

}  // namespace periscope::viewer
