#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "viewer/overlay.hpp"

namespace periscope::viewer {
namespace {

using image::Rgba;
using image::RgbaImage;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const TextRenderer& font() {
  static const TextRenderer text = [] {
    auto opened = TextRenderer::open(16, kDefaultFontPath);
    if (!opened) {
      ADD_FAILURE() << opened.error().message;
      std::abort();
    }
    return std::move(*opened);
  }();
  return text;
}

OverlayModel busy_model() {
  OverlayModel model;
  model.updates_per_s = 143.9;
  model.presented_per_s = 144.0;
  model.latency_p50_ms = 1.23;
  model.latency_p99_ms = 3.4;
  model.latency_history_ms = {1.0, 2.0, 3.0, 2.5};
  model.guest_width = 2560;
  model.guest_height = 1440;
  model.format = "BGRA";
  model.input = "input: captured";
  return model;
}

bool is_bar(Rgba p) {
  return p == kOverlayBar || p == kOverlaySlowBar;
}

// The topmost graph row of the bar `age` frames old, in its left column; nullopt when the
// column holds no bar pixel.
std::optional<std::uint32_t> bar_top(const RgbaImage& image, const OverlayLayout& layout,
                                     std::size_t age) {
  const std::uint32_t x = layout.bar_x(age);
  for (std::uint32_t y = layout.graph_y; y < layout.graph_y + layout.graph_height; ++y) {
    if (is_bar(image.at(x, y))) return y;
  }
  return std::nullopt;
}

int count_pixels(const RgbaImage& image, Rgba colour) {
  int n = 0;
  for (std::uint32_t y = 0; y < image.height; ++y) {
    for (std::uint32_t x = 0; x < image.width; ++x) n += image.at(x, y) == colour ? 1 : 0;
  }
  return n;
}

TEST(Overlay, SizeComesFromTheFontNotTheModel) {
  const OverlayLayout layout = overlay_layout(font());
  EXPECT_GT(layout.width, 300U);  // about 360 at 16 px
  EXPECT_LT(layout.width, 420U);
  EXPECT_GE(layout.graph_height, 50U);  // about 60 at 16 px
  EXPECT_LT(layout.graph_y + layout.graph_height, layout.height);

  OverlayModel huge = busy_model();
  huge.updates_per_s = 1e300;
  huge.latency_p99_ms = kInf;
  huge.latency_p50_ms = kNaN;
  huge.guest_width = 4294967295U;
  huge.format = std::string(500, 'F');
  huge.input = "input: view only (no --qmp) and a great deal more text than fits on one line";
  huge.latency_history_ms.assign(100000, 1e12);
  for (const OverlayModel& model : {OverlayModel{}, busy_model(), huge}) {
    const RgbaImage image = render_overlay(model, font());
    ASSERT_TRUE(image.valid());
    EXPECT_EQ(image.width, layout.width);
    EXPECT_EQ(image.height, layout.height);
  }
  const auto larger = TextRenderer::open(32, kDefaultFontPath);
  ASSERT_TRUE(larger);
  EXPECT_GT(overlay_layout(*larger).width, layout.width);
  EXPECT_GT(overlay_layout(*larger).height, layout.height);
}

TEST(Overlay, PanelIsDarkAndThreeQuartersOpaque) {
  const RgbaImage image = render_overlay(busy_model(), font());
  for (std::size_t i = 3; i < image.rgba.size(); i += 4) ASSERT_EQ(image.rgba[i], 192) << i;
  const Rgba corner = image.at(0, 0);
  EXPECT_LT(corner.r + corner.g + corner.b, 120);
}

TEST(Overlay, TextShowsTheModel) {
  OverlayModel other = busy_model();
  other.updates_per_s = 59.9;
  const RgbaImage a = render_overlay(busy_model(), font());
  const RgbaImage b = render_overlay(other, font());
  const OverlayLayout layout = overlay_layout(font());
  // Only the second text line differs.
  const auto line = static_cast<std::uint32_t>(font().line_height());
  int differing = 0;
  for (std::uint32_t y = 0; y < layout.graph_y; ++y) {
    for (std::uint32_t x = 0; x < layout.width; ++x) {
      if (a.at(x, y) == b.at(x, y)) continue;
      ++differing;
      EXPECT_GE(y, layout.padding + line);
      EXPECT_LT(y, layout.padding + 2 * line);
    }
  }
  EXPECT_GT(differing, 20);
}

TEST(Overlay, LargerLatencyDrawsATallerSlowBarInItsColumn) {
  OverlayModel model = busy_model();
  model.latency_history_ms = {2, 2, 2, 30, 10, 2};  // newest last
  const RgbaImage image = render_overlay(model, font());
  const OverlayLayout layout = overlay_layout(font());

  EXPECT_EQ(layout.bar_x(0) + layout.bar_width, layout.graph_x + layout.graph_width);
  const auto small = bar_top(image, layout, 0);
  const auto medium = bar_top(image, layout, 1);
  const auto large = bar_top(image, layout, 2);
  ASSERT_TRUE(small && medium && large);
  EXPECT_LT(*large, *medium);
  EXPECT_LT(*medium, *small);
  // Scale: 30 ms needs the 50 ms top; ceil(30 / 50 * height) rows.
  const auto rows = static_cast<std::uint32_t>(std::ceil(30.0 / 50.0 * layout.graph_height));
  EXPECT_EQ(*large, layout.graph_y + layout.graph_height - rows);

  const std::uint32_t bottom = layout.graph_y + layout.graph_height - 1;
  EXPECT_EQ(image.at(layout.bar_x(2), bottom), kOverlaySlowBar);  // over one 60 Hz frame
  EXPECT_EQ(image.at(layout.bar_x(1), bottom), kOverlayBar);
  EXPECT_EQ(image.at(layout.bar_x(0), bottom), kOverlayBar);
  // Each bar fills its own columns; no bar left of the oldest value.
  EXPECT_EQ(image.at(layout.bar_x(2) + layout.bar_width - 1, bottom), kOverlaySlowBar);
  EXPECT_EQ(image.at(layout.bar_x(3) + layout.bar_width - 1, bottom), kOverlayBar);
  EXPECT_FALSE(bar_top(image, layout, 6));
}

TEST(Overlay, ScaleGrowsWithTheLargestShownValue) {
  EXPECT_EQ(overlay_graph_top_ms(std::vector<double>{}), 20);
  EXPECT_EQ(overlay_graph_top_ms(std::vector<double>{5, 16.7}), 20);
  EXPECT_EQ(overlay_graph_top_ms(std::vector<double>{21}), 50);
  EXPECT_EQ(overlay_graph_top_ms(std::vector<double>{120, 3}), 200);
  EXPECT_EQ(overlay_graph_top_ms(std::vector<double>{200.5}), 500);
  EXPECT_EQ(overlay_graph_top_ms(std::vector<double>{999}), 1000);
  EXPECT_EQ(overlay_graph_top_ms(std::vector<double>{1001}), 2000);
  EXPECT_EQ(overlay_graph_top_ms(std::vector<double>{kInf, kNaN, -4}), 20);
  EXPECT_GE(overlay_graph_top_ms(std::vector<double>{1e300}), 1e9);  // and returns

  // The same 40 ms bar is shorter once a 400 ms frame widens the scale.
  const OverlayLayout layout = overlay_layout(font());
  OverlayModel model = busy_model();
  model.latency_history_ms = {40};
  const auto alone = bar_top(render_overlay(model, font()), layout, 0);
  model.latency_history_ms = {40, 400};
  const RgbaImage with_spike = render_overlay(model, font());
  const auto beside_spike = bar_top(with_spike, layout, 1);
  ASSERT_TRUE(alone && beside_spike);
  EXPECT_GT(*beside_spike, *alone);
  EXPECT_EQ(overlay_graph_top_ms(std::vector<double>{40, 400}), 500);
  const auto rows = static_cast<std::uint32_t>(std::ceil(400.0 / 500.0 * layout.graph_height));
  EXPECT_EQ(bar_top(with_spike, layout, 0), layout.graph_y + layout.graph_height - rows);
}

TEST(Overlay, OnlyTheNewestValuesThatFitAreShown) {
  const OverlayLayout layout = overlay_layout(font());
  OverlayModel model = busy_model();
  model.latency_history_ms.assign(50, 1000.0);  // too old to be shown
  model.latency_history_ms.resize(50 + layout.bar_count(), 2.0);
  const RgbaImage image = render_overlay(model, font());
  EXPECT_EQ(count_pixels(image, kOverlaySlowBar), 0);
  EXPECT_TRUE(bar_top(image, layout, layout.bar_count() - 1));

  model.latency_history_ms.back() = 1000.0;
  EXPECT_EQ(bar_top(render_overlay(model, font()), layout, 0), layout.graph_y);
}

TEST(Overlay, EmptyHistoryDrawsNoBars) {
  OverlayModel model = busy_model();
  model.latency_history_ms.clear();
  const RgbaImage image = render_overlay(model, font());
  EXPECT_EQ(count_pixels(image, kOverlayBar), 0);
  EXPECT_EQ(count_pixels(image, kOverlaySlowBar), 0);
  EXPECT_EQ(count_pixels(render_overlay(busy_model(), font()), kOverlaySlowBar), 0);
  EXPECT_GT(count_pixels(render_overlay(busy_model(), font()), kOverlayBar), 0);
}

TEST(Overlay, NonFiniteAndNegativeLatenciesDoNotBreakTheGraph) {
  OverlayModel model = busy_model();
  model.latency_history_ms = {kNaN, -5, kInf, 0};
  const RgbaImage image = render_overlay(model, font());
  const OverlayLayout layout = overlay_layout(font());
  EXPECT_FALSE(bar_top(image, layout, 0));               // 0
  EXPECT_EQ(bar_top(image, layout, 1), layout.graph_y);  // +inf: full height
  EXPECT_FALSE(bar_top(image, layout, 2));               // negative
  EXPECT_FALSE(bar_top(image, layout, 3));               // NaN
}

// Pixels of a status screen that are not its background (taken from a corner).
struct TextPixels {
  int count{0};
  double mean_x{0}, mean_y{0};
  std::uint32_t min_x{UINT32_MAX}, max_x{0};
};

TextPixels text_pixels(const RgbaImage& image, Rgba background) {
  TextPixels t;
  for (std::uint32_t y = 0; y < image.height; ++y) {
    for (std::uint32_t x = 0; x < image.width; ++x) {
      if (image.at(x, y) == background) continue;
      ++t.count;
      t.mean_x += x;
      t.mean_y += y;
      t.min_x = std::min(t.min_x, x);
      t.max_x = std::max(t.max_x, x);
    }
  }
  if (t.count > 0) {
    t.mean_x /= t.count;
    t.mean_y /= t.count;
  }
  return t;
}

void expect_opaque(const RgbaImage& image) {
  for (std::size_t i = 3; i < image.rgba.size(); i += 4) ASSERT_EQ(image.rgba[i], 255) << i;
}

TEST(OverlayStatusScreen, ExactSizeOpaqueWithTextNearTheCentre) {
  const RgbaImage image = render_status_screen(
      "Waiting for the guest…", "Start the VM with the IVSHMEM device", 800, 600, font());
  ASSERT_TRUE(image.valid());
  EXPECT_EQ(image.width, 800U);
  EXPECT_EQ(image.height, 600U);
  expect_opaque(image);
  const Rgba background = image.at(0, 0);
  EXPECT_LT(background.r + background.g + background.b, 120);
  const TextPixels t = text_pixels(image, background);
  EXPECT_GT(t.count, 200);
  EXPECT_NEAR(t.mean_x, 400, 30);
  EXPECT_NEAR(t.mean_y, 300, font().line_height());
}

TEST(OverlayStatusScreen, HeadlineAloneIsCentredAndBold) {
  const RgbaImage image = render_status_screen("IVSHMEM too small", "", 640, 200, font());
  const Rgba background = image.at(0, 0);
  const TextPixels t = text_pixels(image, background);
  EXPECT_NEAR(t.mean_x, 320, 10);
  EXPECT_NEAR(t.mean_y, 100, 6);
  // Bold: wider than the same words in the regular weight.
  const TextPixels regular =
      text_pixels(render_status_screen("", "IVSHMEM too small", 640, 200, font()), background);
  EXPECT_GT(t.count, regular.count);
  EXPECT_EQ(t.max_x - t.min_x, regular.max_x - regular.min_x + 1);
}

TEST(OverlayStatusScreen, LongDetailIsWrappedInsideTheMargins) {
  std::string detail;
  for (int i = 0; i < 12; ++i) detail += "the region must be at least 64 MiB ";
  const RgbaImage image = render_status_screen("IVSHMEM too small", detail, 400, 400, font());
  expect_opaque(image);
  const TextPixels t = text_pixels(image, image.at(0, 0));
  EXPECT_GT(t.count, 1000);
  const auto margin = static_cast<std::uint32_t>(font().pixel_height());
  EXPECT_GE(t.min_x, margin);
  EXPECT_LT(t.max_x, 400 - margin);
}

TEST(OverlayStatusScreen, OddSizesDoNotCrash) {
  const std::pair<std::uint32_t, std::uint32_t> sizes[] = {
      {1, 1}, {3000, 20}, {20, 3000}, {1, 3000}, {0, 0}, {0, 10}, {37, 5}, {300, 60}};
  const std::string detail(300, 'x');
  for (const auto& [w, h] : sizes) {
    SCOPED_TRACE(testing::Message() << w << "x" << h);
    const RgbaImage image =
        render_status_screen("Waiting for the guest…", detail + " a b c\n\nd", w, h, font());
    ASSERT_TRUE(image.valid());
    EXPECT_EQ(image.width, w);
    EXPECT_EQ(image.height, h);
    expect_opaque(image);
  }
  const RgbaImage wide = render_status_screen("Waiting", "", 3000, 20, font());
  EXPECT_GT(text_pixels(wide, wide.at(0, 0)).count, 20);
}

}  // namespace
}  // namespace periscope::viewer
