#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "image/blend.hpp"

namespace periscope::image {
namespace {

constexpr Rgba kBlack{0, 0, 0, 255};
constexpr Rgba kWhite{255, 255, 255, 255};

// A source whose every pixel differs, so a test can tell which source pixel landed where.
RgbaImage numbered(std::uint32_t w, std::uint32_t h) {
  RgbaImage image = RgbaImage::filled(w, h, kWhite);
  for (std::uint32_t y = 0; y < h; ++y) {
    for (std::uint32_t x = 0; x < w; ++x) {
      image.set(
          x, y,
          Rgba{static_cast<std::uint8_t>(10 + x), static_cast<std::uint8_t>(100 + y), 7, 255});
    }
  }
  return image;
}

// Every pixel of `image` inside [x0, x1) x [y0, y1) is `inside`, every other is `outside`.
void expect_rect(const RgbaImage& image, std::uint32_t x0, std::uint32_t y0, std::uint32_t x1,
                 std::uint32_t y1, Rgba inside, Rgba outside) {
  for (std::uint32_t y = 0; y < image.height; ++y) {
    for (std::uint32_t x = 0; x < image.width; ++x) {
      const bool in = x >= x0 && x < x1 && y >= y0 && y < y1;
      EXPECT_EQ(image.at(x, y), in ? inside : outside) << "at " << x << "," << y;
    }
  }
}

TEST(BlendOver, OpaqueSourceReplacesRgbAndKeepsDestinationAlpha) {
  RgbaImage dst = RgbaImage::filled(3, 2, Rgba{10, 20, 30, 200});
  const RgbaImage src = RgbaImage::filled(1, 1, Rgba{200, 100, 50, 255});
  blend_over(dst, src, 1, 1);
  expect_rect(dst, 1, 1, 2, 2, Rgba{200, 100, 50, 200}, Rgba{10, 20, 30, 200});
}

TEST(BlendOver, TransparentSourceLeavesDestinationUnchanged) {
  RgbaImage dst = RgbaImage::filled(2, 2, Rgba{10, 20, 30, 255});
  const RgbaImage src = RgbaImage::filled(2, 2, Rgba{255, 255, 255, 0});
  blend_over(dst, src, 0, 0);
  expect_rect(dst, 0, 0, 0, 0, kBlack, Rgba{10, 20, 30, 255});
}

TEST(BlendOver, HalfAlphaRoundsToNearest) {
  RgbaImage dst = RgbaImage::filled(1, 1, Rgba{0, 255, 0, 255});
  const RgbaImage src = RgbaImage::filled(1, 1, Rgba{255, 0, 1, 128});
  blend_over(dst, src, 0, 0);
  // r: 255*128/255 = 128; g: 255*127/255 = 127; b: 1*128/255 = 0.502 -> 1 (not truncated to 0).
  EXPECT_EQ(dst.at(0, 0), (Rgba{128, 127, 1, 255}));

  RgbaImage mixed = RgbaImage::filled(1, 1, Rgba{100, 100, 100, 255});
  blend_over(mixed, RgbaImage::filled(1, 1, Rgba{200, 0, 255, 64}), 0, 0);
  // (200*64 + 100*191)/255 = 125.1; (100*191)/255 = 74.9; (255*64 + 100*191)/255 = 138.9
  EXPECT_EQ(mixed.at(0, 0), (Rgba{125, 75, 139, 255}));
}

TEST(BlendOver, PlacesSourcePixelsAtTheOffset) {
  RgbaImage dst = RgbaImage::filled(5, 4, kBlack);
  const RgbaImage src = numbered(2, 3);
  blend_over(dst, src, 2, 1);
  for (std::uint32_t y = 0; y < 3; ++y) {
    for (std::uint32_t x = 0; x < 2; ++x) EXPECT_EQ(dst.at(x + 2, y + 1), src.at(x, y));
  }
  EXPECT_EQ(dst.at(1, 1), kBlack);
  EXPECT_EQ(dst.at(4, 1), kBlack);
  EXPECT_EQ(dst.at(2, 0), kBlack);
}

TEST(BlendOver, ClipsOnTheLeftAndTopWithTheRightSourcePixels) {
  RgbaImage dst = RgbaImage::filled(4, 4, kBlack);
  const RgbaImage src = numbered(3, 3);
  blend_over(dst, src, -1, -2);
  EXPECT_EQ(dst.at(0, 0), src.at(1, 2));
  EXPECT_EQ(dst.at(1, 0), src.at(2, 2));
  EXPECT_EQ(dst.at(2, 0), kBlack);
  EXPECT_EQ(dst.at(0, 1), kBlack);
}

TEST(BlendOver, ClipsOnEverySide) {
  struct Case {
    std::int32_t x, y;
    std::uint32_t x0, y0, x1, y1;  // the covered part of the 4x4 destination
  };
  const Case cases[] = {
      {-1, 1, 0, 1, 2, 4},   // left
      {2, 1, 2, 1, 4, 4},    // right
      {1, -2, 1, 0, 4, 1},   // top
      {1, 3, 1, 3, 4, 4},    // bottom
      {-2, -2, 0, 0, 1, 1},  // top-left corner
      {3, 3, 3, 3, 4, 4},    // bottom-right corner
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << "at " << c.x << "," << c.y);
    RgbaImage dst = RgbaImage::filled(4, 4, kBlack);
    blend_over(dst, RgbaImage::filled(3, 3, kWhite), c.x, c.y);
    expect_rect(dst, c.x0, c.y0, c.x1, c.y1, kWhite, kBlack);
  }
}

TEST(BlendOver, SourceLargerThanDestinationCoversItAll) {
  RgbaImage dst = RgbaImage::filled(3, 2, kBlack);
  blend_over(dst, RgbaImage::filled(10, 10, kWhite), -4, -5);
  expect_rect(dst, 0, 0, 3, 2, kWhite, kBlack);
}

TEST(BlendOver, WhollyOutsideChangesNothing) {
  constexpr std::int32_t kMax = std::numeric_limits<std::int32_t>::max();
  constexpr std::int32_t kMin = std::numeric_limits<std::int32_t>::min();
  const std::int32_t positions[][2] = {{4, 0},    {-3, 0},   {0, 4},       {0, -3},
                                       {-3, -3},  {4, 4},    {kMax, kMax}, {kMin, kMin},
                                       {kMax, 0}, {0, kMin}, {kMin + 1, 0}};
  for (const auto& p : positions) {
    SCOPED_TRACE(testing::Message() << "at " << p[0] << "," << p[1]);
    RgbaImage dst = RgbaImage::filled(4, 4, kBlack);
    blend_over(dst, RgbaImage::filled(3, 3, kWhite), p[0], p[1]);
    expect_rect(dst, 0, 0, 0, 0, kWhite, kBlack);
  }
}

TEST(BlendOver, EmptyOrInvalidImagesAreIgnored) {
  RgbaImage dst = RgbaImage::filled(2, 2, kBlack);
  blend_over(dst, RgbaImage{}, 0, 0);
  blend_over(dst, RgbaImage::filled(0, 5, kWhite), 0, 0);
  RgbaImage bad_src;  // claims a size its buffer does not have
  bad_src.width = 2;
  bad_src.height = 2;
  blend_over(dst, bad_src, 0, 0);
  expect_rect(dst, 0, 0, 0, 0, kWhite, kBlack);

  RgbaImage empty_dst;
  blend_over(empty_dst, RgbaImage::filled(2, 2, kWhite), 0, 0);
  EXPECT_TRUE(empty_dst.rgba.empty());
  RgbaImage bad_dst;
  bad_dst.width = 3;
  bad_dst.height = 3;
  blend_over(bad_dst, RgbaImage::filled(2, 2, kWhite), 0, 0);
  EXPECT_TRUE(bad_dst.rgba.empty());
}

}  // namespace
}  // namespace periscope::image
