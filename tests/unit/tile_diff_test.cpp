#include "capture/tile_diff.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace periscope::capture {
namespace {

struct Planes {
  std::uint32_t width;
  std::uint32_t height;
  std::vector<std::byte> live;
  std::vector<std::byte> copy;
  Planes(std::uint32_t w, std::uint32_t h)
      : width(w), height(h), live(std::size_t{w} * h * 4), copy(std::size_t{w} * h * 4) {}
  void paint(std::uint32_t x, std::uint32_t y, std::uint32_t w, std::uint32_t h, std::uint8_t v) {
    for (std::uint32_t r = y; r < y + h; ++r) {
      std::memset(live.data() + (std::size_t{r} * width + x) * 4, v, std::size_t{w} * 4);
    }
  }
  std::vector<b7::DamageRect> diff(std::size_t max_rects = b7::kMaxDamageRects) {
    return copy_changed_tiles({live.data(), width * 4}, {copy.data(), width * 4},
                              {.width = width, .height = height}, max_rects);
  }
};

bool covers(const std::vector<b7::DamageRect>& rects, std::uint32_t x, std::uint32_t y) {
  for (const auto& r : rects) {
    if (x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height) return true;
  }
  return false;
}

TEST(TileDiff, UnchangedPictureHasNoDamage) {
  Planes p(256, 128);
  EXPECT_TRUE(p.diff().empty());
}

TEST(TileDiff, OneChangedPixelDamagesOneTileAndIsCopied) {
  Planes p(256, 128);
  p.paint(70, 20, 1, 1, 0x55);
  const auto rects = p.diff();
  ASSERT_EQ(rects.size(), 1u);
  EXPECT_EQ(rects[0].x, 64u);
  EXPECT_EQ(rects[0].y, 16u);
  EXPECT_EQ(rects[0].width, 64u);
  EXPECT_EQ(rects[0].height, 16u);
  EXPECT_EQ(p.live, p.copy);
  EXPECT_TRUE(p.diff().empty()) << "a second look finds nothing new";
}

TEST(TileDiff, ALineOfTextIsOneThinRectangle) {
  Planes p(1024, 768);
  p.paint(0, 0, 600, 16, 0xAA);  // the demo VM's banner line
  const auto rects = p.diff();
  ASSERT_EQ(rects.size(), 1u);
  EXPECT_EQ(rects[0].x, 0u);
  EXPECT_EQ(rects[0].width, 640u);
  EXPECT_EQ(rects[0].height, 16u);
}

TEST(TileDiff, ABlockSpanningBandsMergesDownwards) {
  Planes p(256, 128);
  p.paint(64, 10, 100, 50, 0x11);  // columns 64..163 -> tiles 64..191, rows 10..59 -> bands 0..3
  const auto rects = p.diff();
  ASSERT_EQ(rects.size(), 1u);
  EXPECT_EQ(rects[0].x, 64u);
  EXPECT_EQ(rects[0].y, 0u);
  EXPECT_EQ(rects[0].width, 128u);
  EXPECT_EQ(rects[0].height, 64u);
}

TEST(TileDiff, EdgesSmallerThanATileAreClipped) {
  Planes p(100, 20);  // 64 + 36 columns, 16 + 4 rows
  p.paint(99, 19, 1, 1, 0x7F);
  const auto rects = p.diff();
  ASSERT_EQ(rects.size(), 1u);
  EXPECT_EQ(rects[0].x, 64u);
  EXPECT_EQ(rects[0].y, 16u);
  EXPECT_EQ(rects[0].width, 36u);
  EXPECT_EQ(rects[0].height, 4u);
  EXPECT_EQ(p.live, p.copy);
}

TEST(TileDiff, ScatteredChangesAreAllCoveredOrBoundedByOneBox) {
  Planes p(1024, 768);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> points;
  // 8 per band, in every other tile column and every other band: 192 separate tiles.
  for (std::uint32_t i = 0; i < 192; ++i) points.emplace_back((i % 8) * 128 + 5, (i / 8) * 32 + 3);
  for (auto [x, y] : points) p.paint(x, y, 1, 1, 0xFF);
  const auto many = p.diff(1000);
  EXPECT_GT(many.size(), 64u);
  for (auto [x, y] : points) EXPECT_TRUE(covers(many, x, y)) << x << "," << y;
  EXPECT_EQ(p.live, p.copy);

  for (auto [x, y] : points) p.paint(x, y, 1, 1, 0x01);
  const auto bounded = p.diff();
  ASSERT_EQ(bounded.size(), 1u) << "more than kMaxDamageRects become their bounding box";
  for (auto [x, y] : points) EXPECT_TRUE(covers(bounded, x, y));
}

}  // namespace
}  // namespace periscope::capture
