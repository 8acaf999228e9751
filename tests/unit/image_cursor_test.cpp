#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <utility>
#include <vector>

#include "image/cursor_blend.hpp"

namespace periscope::image {
namespace {

constexpr Rgba kScreen{10, 200, 60, 255};

CursorState cursor_at(std::int32_t x, std::int32_t y, b7::CursorType type, std::uint32_t width,
                      std::uint32_t height, std::uint32_t pitch, std::vector<std::byte> pixels) {
  CursorState cursor;
  cursor.visible = true;
  cursor.x = x;
  cursor.y = y;
  CursorShape shape;
  shape.type = type;
  shape.width = width;
  shape.height = height;
  shape.pitch = pitch;
  shape.pixels = std::move(pixels);
  cursor.shape = std::move(shape);
  return cursor;
}

std::vector<std::byte> bgra(std::initializer_list<std::uint8_t> values) {
  std::vector<std::byte> out;
  for (std::uint8_t v : values) out.push_back(std::byte{v});
  return out;
}

TEST(ImageCursor, ColourBlendsWithStraightAlpha) {
  RgbaImage img = RgbaImage::filled(3, 1, Rgba{0, 0, 200, 255});
  // B, G, R, A: half-transparent orange, fully transparent, fully opaque.
  const auto cursor = cursor_at(0, 0, b7::CursorType::kColor, 3, 1, 12,
                                bgra({0, 100, 200, 128, 9, 9, 9, 0, 1, 2, 3, 255}));
  draw_cursor(img, cursor);
  // round(200*128/255) = 100, round(100*128/255) = 50, round(200*127/255) = 100.
  EXPECT_EQ(img.at(0, 0), (Rgba{100, 50, 100, 255}));
  EXPECT_EQ(img.at(1, 0), (Rgba{0, 0, 200, 255}));
  EXPECT_EQ(img.at(2, 0), (Rgba{3, 2, 1, 255}));
}

TEST(ImageCursor, ColourRaisesAlphaOfTransparentScreen) {
  RgbaImage img = RgbaImage::filled(1, 1, Rgba{0, 0, 0, 0});
  draw_cursor(img, cursor_at(0, 0, b7::CursorType::kColor, 1, 1, 4, bgra({0, 0, 255, 128})));
  EXPECT_EQ(img.at(0, 0), (Rgba{128, 0, 0, 128}));
}

TEST(ImageCursor, MonochromeTruthTable) {
  RgbaImage img = RgbaImage::filled(6, 2, kScreen);
  // Four pixels, MSB first: AND 1 0 0 1, XOR 0 0 1 1. Bits past the width (AND 0, XOR 1,
  // which would paint white) must not be drawn. Height 2 = one AND row + one XOR row.
  const auto cursor =
      cursor_at(0, 0, b7::CursorType::kMonochrome, 4, 2, 1, bgra({0b1001'0000, 0b0011'1111}));
  draw_cursor(img, cursor);
  EXPECT_EQ(img.at(0, 0), kScreen);                     // AND 1 XOR 0: transparent
  EXPECT_EQ(img.at(1, 0), (Rgba{0, 0, 0, 255}));        // AND 0 XOR 0: black
  EXPECT_EQ(img.at(2, 0), (Rgba{255, 255, 255, 255}));  // AND 0 XOR 1: white
  EXPECT_EQ(img.at(3, 0), (Rgba{245, 55, 195, 255}));   // AND 1 XOR 1: inverted
  EXPECT_EQ(img.at(4, 0), kScreen);                     // past the width
  EXPECT_EQ(img.at(0, 1), kScreen);                     // the XOR rows are not a second row
}

TEST(ImageCursor, MonochromeUsesPitchForBothMasks) {
  RgbaImage img = RgbaImage::filled(9, 2, kScreen);
  // 9 pixels wide needs 2 bytes a row; pitch 3 adds padding. Two image rows.
  // AND rows: all ones (transparent) except pixel 8 of row 1. XOR rows: pixel 8 of row 0.
  const auto cursor = cursor_at(0, 0, b7::CursorType::kMonochrome, 9, 4, 3,
                                bgra({0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF,     // AND
                                      0x00, 0x80, 0x00, 0x00, 0x00, 0x00}));  // XOR
  draw_cursor(img, cursor);
  EXPECT_EQ(img.at(8, 0), (Rgba{245, 55, 195, 255}));  // AND 1 XOR 1
  EXPECT_EQ(img.at(8, 1), (Rgba{0, 0, 0, 255}));       // AND 0 XOR 0
  EXPECT_EQ(img.at(7, 1), kScreen);
}

TEST(ImageCursor, MaskedColourReplacesOrXors) {
  RgbaImage img = RgbaImage::filled(2, 1, kScreen);
  // Pixel 0: mask 0, RGB (1, 2, 3) replaces. Pixel 1: mask 0xFF, RGB (255, 15, 0) XORs.
  const auto cursor =
      cursor_at(0, 0, b7::CursorType::kMaskedColor, 2, 1, 8, bgra({3, 2, 1, 0, 0, 15, 255, 0xFF}));
  draw_cursor(img, cursor);
  EXPECT_EQ(img.at(0, 0), (Rgba{1, 2, 3, 255}));
  EXPECT_EQ(img.at(1, 0), (Rgba{10 ^ 255, 200 ^ 15, 60, 255}));
}

TEST(ImageCursor, HiddenOrShapelessDrawsNothing) {
  RgbaImage img = RgbaImage::filled(2, 2, kScreen);
  auto cursor = cursor_at(0, 0, b7::CursorType::kColor, 1, 1, 4, bgra({0, 0, 0, 255}));
  cursor.visible = false;
  draw_cursor(img, cursor);
  EXPECT_EQ(img.at(0, 0), kScreen);
  cursor.visible = true;
  cursor.shape.reset();
  draw_cursor(img, cursor);
  EXPECT_EQ(img.at(0, 0), kScreen);
}

// A 3x3 opaque white cursor placed around a 4x4 image: exactly the overlap changes. The
// shape's buffer is bigger than 3x3 (pitch 16, a fourth row), all white, so an off-by-one
// in the clipping would show up as an extra white row or column.
class ImageCursorClip : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(ImageCursorClip, DrawsOnlyTheOverlap) {
  const auto [cx, cy] = GetParam();
  RgbaImage img = RgbaImage::filled(4, 4, kScreen);
  std::vector<std::byte> white(4 * 16, std::byte{255});
  draw_cursor(img, cursor_at(cx, cy, b7::CursorType::kColor, 3, 3, 16, white));
  for (std::uint32_t y = 0; y < 4; ++y) {
    for (std::uint32_t x = 0; x < 4; ++x) {
      const int ix = static_cast<int>(x);
      const int iy = static_cast<int>(y);
      const bool covered = ix >= cx && ix < cx + 3 && iy >= cy && iy < cy + 3;
      EXPECT_EQ(img.at(x, y), covered ? (Rgba{255, 255, 255, 255}) : kScreen)
          << "cursor at " << cx << "," << cy << " pixel " << x << "," << y;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(ImageEdges, ImageCursorClip,
                         ::testing::Values(std::pair{-2, -2}, std::pair{3, 3}, std::pair{-1, 2},
                                           std::pair{2, -1}, std::pair{-2, 1}, std::pair{1, -2},
                                           std::pair{3, 0}, std::pair{0, 3}, std::pair{1, 1},
                                           std::pair{-3, 0}, std::pair{4, 0}, std::pair{0, -3},
                                           std::pair{0, 4}));

TEST(ImageCursor, ExtremePositionsDoNotOverflow) {
  RgbaImage img = RgbaImage::filled(4, 4, kScreen);
  std::vector<std::byte> white(3 * 3 * 4, std::byte{255});
  constexpr auto kMin = std::numeric_limits<std::int32_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int32_t>::max();
  for (auto [x, y] :
       {std::pair{kMin, kMin}, std::pair{kMax, kMax}, std::pair{kMin, 0}, std::pair{0, kMax}}) {
    draw_cursor(img, cursor_at(x, y, b7::CursorType::kColor, 3, 3, 12, white));
  }
  draw_cursor(img, cursor_at(-1, -1, b7::CursorType::kColor, 0xFFFFFFFFU, 0xFFFFFFFFU, 12, white));
  // Only the 2x2 overlap of the 3x3 shape data is inside the buffer; nothing else changes.
  EXPECT_EQ(img.at(1, 1), (Rgba{255, 255, 255, 255}));
  EXPECT_EQ(img.at(3, 3), kScreen);
}

// Shapes whose size fields promise more bytes than they carry (an exact-size heap buffer so
// the ASan build catches any overread): only pixels whose bytes exist are drawn.
TEST(ImageCursor, ShortShapeNeverReadsPastItsEnd) {
  RgbaImage img = RgbaImage::filled(4, 4, kScreen);
  // 4x4 colour with pitch 16 needs 64 bytes; 20 is one row and one pixel.
  draw_cursor(img, cursor_at(0, 0, b7::CursorType::kColor, 4, 4, 16,
                             std::vector<std::byte>(20, std::byte{255})));
  EXPECT_EQ(img.at(3, 0), (Rgba{255, 255, 255, 255}));
  EXPECT_EQ(img.at(0, 1), (Rgba{255, 255, 255, 255}));
  EXPECT_EQ(img.at(1, 1), kScreen);

  // Monochrome missing its XOR mask: nothing can be drawn.
  RgbaImage mono = RgbaImage::filled(4, 4, kScreen);
  draw_cursor(mono, cursor_at(0, 0, b7::CursorType::kMonochrome, 8, 8, 1,
                              std::vector<std::byte>(4, std::byte{0})));
  EXPECT_EQ(mono.at(0, 0), kScreen);

  // Pitch smaller than a row: pixels beyond the pitch are not read from the next row,
  // although those bytes are in the buffer.
  RgbaImage masked = RgbaImage::filled(4, 2, kScreen);
  draw_cursor(masked, cursor_at(0, 0, b7::CursorType::kMaskedColor, 4, 2, 6,
                                std::vector<std::byte>(12, std::byte{0})));
  EXPECT_EQ(masked.at(0, 0), (Rgba{0, 0, 0, 255}));
  EXPECT_EQ(masked.at(0, 1), (Rgba{0, 0, 0, 255}));
  EXPECT_EQ(masked.at(1, 0), kScreen);
  EXPECT_EQ(masked.at(1, 1), kScreen);

  // No bytes at all, and a zero pitch.
  draw_cursor(img, cursor_at(0, 0, b7::CursorType::kColor, 4, 4, 16, {}));
  draw_cursor(img, cursor_at(0, 0, b7::CursorType::kMaskedColor, 4, 4, 0, bgra({1, 2, 3, 4})));
  EXPECT_EQ(img.at(1, 1), kScreen);
}

}  // namespace
}  // namespace periscope::image
