#include "viewer/overlay.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "image/blend.hpp"

namespace periscope::viewer {
namespace {

using image::Rgba;
using image::RgbaImage;

// Panel colours: straight alpha, all at the panel's 75% so the guest shows through evenly.
constexpr std::uint8_t kPanelAlpha = 192;
constexpr Rgba kPanel{16, 18, 22, kPanelAlpha};
constexpr Rgba kGraphBackground{36, 40, 48, kPanelAlpha};
constexpr Rgba kGuide{255, 220, 90, kPanelAlpha};
constexpr Rgba kText{232, 232, 232, 255};
constexpr Rgba kDimText{160, 165, 175, 255};

constexpr Rgba kScreen{20, 22, 28, 255};
constexpr Rgba kHeadline{240, 240, 240, 255};
constexpr Rgba kDetail{170, 175, 185, 255};

// The longest line the panel is sized for ("latency p50 123.45 ms  p99 456.78 ms"); longer
// ones are clipped at the panel's edge rather than resizing the panel.
constexpr std::size_t kPanelColumns = 36;
constexpr int kTextLines = 5;

std::uint32_t u32(int value) {
  return static_cast<std::uint32_t>(std::max(value, 0));
}

std::int32_t i32(std::int64_t value) {
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(value, INT32_MIN, INT32_MAX));
}

// Fills [x0, x1) x [y0, y1), clipped to the image.
void fill_rect(RgbaImage& image, std::uint32_t x0, std::uint32_t y0, std::uint32_t x1,
               std::uint32_t y1, Rgba colour) {
  x1 = std::min(x1, image.width);
  y1 = std::min(y1, image.height);
  for (std::uint32_t y = y0; y < y1; ++y) {
    for (std::uint32_t x = x0; x < x1; ++x) image.set(x, y, colour);
  }
}

void draw_text(RgbaImage& image, const TextRenderer& text, std::string_view line, std::int64_t x,
               std::int64_t y, Rgba colour) {
  if (line.empty()) return;
  image::blend_over(image, text.render(line, colour), i32(x), i32(y));
}

// Bar height in rows for a latency: any positive value shows as at least one row, +inf and
// values above the scale as the full height, NaN and negatives as nothing.
std::uint32_t bar_height(double ms, double top_ms, std::uint32_t graph_height) {
  if (!(ms > 0)) return 0;
  const double rows = std::ceil(ms / top_ms * graph_height);
  return rows >= graph_height ? graph_height : static_cast<std::uint32_t>(rows);
}

// The row (from the graph's top) of `ms` on the scale.
std::uint32_t row_of(double ms, double top_ms, std::uint32_t graph_height) {
  return graph_height - bar_height(ms, top_ms, graph_height);
}

void draw_graph(RgbaImage& image, const OverlayLayout& layout, std::span<const double> shown,
                double top_ms) {
  fill_rect(image, layout.graph_x, layout.graph_y, layout.graph_x + layout.graph_width,
            layout.graph_y + layout.graph_height, kGraphBackground);
  const std::uint32_t bottom = layout.graph_y + layout.graph_height;
  for (std::size_t age = 0; age < shown.size(); ++age) {
    const double ms = shown[shown.size() - 1 - age];
    const std::uint32_t h = bar_height(ms, top_ms, layout.graph_height);
    const Rgba colour = ms > kOverlayFrameAt60HzMs ? kOverlaySlowBar : kOverlayBar;
    const std::uint32_t x = layout.bar_x(age);
    fill_rect(image, x, bottom - h, x + layout.bar_width, bottom, colour);
  }
  // Drawn over the bars, so it stays visible where they cross it.
  const std::uint32_t guide =
      layout.graph_y + row_of(kOverlayFrameAt60HzMs, top_ms, layout.graph_height);
  fill_rect(image, layout.graph_x, guide, layout.graph_x + layout.graph_width, guide + 1, kGuide);
}

std::string size_line(const OverlayModel& model) {
  if (model.guest_width == 0 || model.guest_height == 0) return "no frame yet";
  if (model.format.empty()) return fmt::format("{}x{}", model.guest_width, model.guest_height);
  return fmt::format("{}x{} {}", model.guest_width, model.guest_height, model.format);
}

// Splits text into lines no wider than max_width (at spaces; '\n' always breaks). A single
// word wider than max_width gets a line of its own.
std::vector<std::string> wrap(std::string_view text, int max_width, const TextRenderer& renderer,
                              int extra_width) {
  std::vector<std::string> lines;
  while (true) {
    const std::size_t end = text.find('\n');
    const std::string_view paragraph = text.substr(0, end);
    std::string line;
    std::size_t pos = 0;
    while (pos < paragraph.size()) {
      const std::size_t word_end = std::min(paragraph.find(' ', pos), paragraph.size());
      const std::string_view word = paragraph.substr(pos, word_end - pos);
      pos = word_end + 1;
      if (word.empty()) continue;
      std::string candidate = line.empty() ? std::string(word) : line + " " + std::string(word);
      if (!line.empty() && renderer.text_width(candidate) + extra_width > max_width) {
        lines.push_back(std::move(line));
        candidate = std::string(word);
      }
      line = std::move(candidate);
    }
    if (!line.empty()) lines.push_back(std::move(line));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

}  // namespace

OverlayLayout overlay_layout(const TextRenderer& text) {
  const std::uint32_t px = u32(text.pixel_height());
  const std::uint32_t line = u32(text.line_height());
  const std::uint32_t padding = std::max(px / 2, 2U);
  OverlayLayout layout;
  layout.padding = padding;
  layout.width = u32(text.text_width(std::string(kPanelColumns, '0'))) + 2 * padding;
  layout.bar_width = std::max(px / 8, 1U);
  layout.graph_x = padding;
  layout.graph_y = padding + static_cast<std::uint32_t>(kTextLines) * line + padding / 2;
  layout.graph_width = layout.width - 2 * padding;
  layout.graph_height = std::max(px * 15 / 4, 4U);  // 60 rows at 16 px
  layout.height = layout.graph_y + layout.graph_height + padding;
  return layout;
}

double overlay_graph_top_ms(std::span<const double> shown_ms) {
  double max_ms = 0;
  for (const double ms : shown_ms) {
    if (std::isfinite(ms)) max_ms = std::max(max_ms, ms);
  }
  // 20, 50, 100, 200, 500, 1000...: 2, 5, 10 times a power of ten; bounded so that absurd
  // values end the loop.
  constexpr double kMantissas[] = {2, 5, 10};
  double decade = 10;
  for (int i = 0;; ++i) {
    const double top = kMantissas[i % 3] * decade;
    if (top >= max_ms || top >= 1e9) return top;
    if (i % 3 == 2) decade *= 10;
  }
}

RgbaImage render_overlay(const OverlayModel& model, const TextRenderer& text) {
  const OverlayLayout layout = overlay_layout(text);
  RgbaImage image = RgbaImage::filled(layout.width, layout.height, kPanel);

  const std::size_t bars = std::min(layout.bar_count(), model.latency_history_ms.size());
  const auto shown = std::span<const double>(model.latency_history_ms).last(bars);
  const double top_ms = overlay_graph_top_ms(shown);

  const std::string lines[kTextLines] = {
      size_line(model),
      fmt::format("updates {:.1f}/s  shown {:.1f}/s", model.updates_per_s, model.presented_per_s),
      fmt::format("latency p50 {:.2f} ms  p99 {:.2f} ms", model.latency_p50_ms,
                  model.latency_p99_ms),
      model.input,
      fmt::format("graph: top {:g} ms, line {:.1f} ms", top_ms, kOverlayFrameAt60HzMs),
  };
  const std::int64_t line_height = text.line_height();
  for (int i = 0; i < kTextLines; ++i) {
    draw_text(image, text, lines[i], layout.padding, layout.padding + i * line_height,
              i == kTextLines - 1 ? kDimText : kText);
  }
  draw_graph(image, layout, shown, top_ms);
  return image;
}

RgbaImage render_status_screen(std::string_view headline, std::string_view detail,
                               std::uint32_t width, std::uint32_t height,
                               const TextRenderer& text) {
  RgbaImage image = RgbaImage::filled(width, height, kScreen);
  if (width == 0 || height == 0) return image;
  const std::int64_t w = width;
  const std::int64_t h = height;
  const std::int64_t line_height = std::max(text.line_height(), 1);
  const std::int64_t margin = std::min<std::int64_t>(text.pixel_height(), w / 10);
  const int max_width = static_cast<int>(std::min<std::int64_t>(w - 2 * margin, INT32_MAX));

  // The headline is drawn twice, one pixel apart: bold from one font.
  struct Line {
    std::string text;
    bool bold;
  };
  std::vector<Line> lines;
  for (std::string& l : wrap(headline, max_width, text, 1)) lines.push_back({std::move(l), true});
  const std::size_t headline_lines = lines.size();
  for (std::string& l : wrap(detail, max_width, text, 0)) lines.push_back({std::move(l), false});

  // A half-line gap between headline and detail; keep the lines that fit (at least one).
  const std::int64_t gap = headline_lines > 0 ? line_height / 2 : 0;
  std::size_t kept = 0;
  std::int64_t block = 0;
  while (kept < lines.size()) {
    const std::int64_t next = block + line_height + (kept == headline_lines ? gap : 0);
    if (kept > 0 && next > h) break;
    block = next;
    ++kept;
  }

  std::int64_t y = (h - block) / 2;
  for (std::size_t i = 0; i < kept; ++i) {
    if (i == headline_lines) y += gap;
    const Line& line = lines[i];
    const std::int64_t line_width = text.text_width(line.text) + (line.bold ? 1 : 0);
    // Centred; a line too wide for the image starts at the margin and is clipped on the right.
    const std::int64_t x = line_width > w - 2 * margin ? margin : (w - line_width) / 2;
    const RgbaImage rendered = text.render(line.text, line.bold ? kHeadline : kDetail);
    image::blend_over(image, rendered, i32(x), i32(y));
    if (line.bold) image::blend_over(image, rendered, i32(x + 1), i32(y));
    y += line_height;
  }
  return image;
}

}  // namespace periscope::viewer
