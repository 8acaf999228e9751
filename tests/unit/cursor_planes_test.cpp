// The two-plane cursor form (what the GL presenter's shader applies) draws exactly what
// draw_cursor() draws, for every cursor type, including shapes with bytes missing.
#include "image/cursor_planes.hpp"

#include <gtest/gtest.h>

#include <random>

#include "image/cursor_blend.hpp"

namespace periscope::image {
namespace {

RgbaImage random_screen(std::mt19937& rng, std::uint32_t w, std::uint32_t h) {
  RgbaImage image = RgbaImage::filled(w, h, kOpaqueBlack);
  for (std::size_t i = 0; i < image.rgba.size(); ++i)
    if (i % 4 != 3) image.rgba[i] = static_cast<std::uint8_t>(rng());
  return image;
}

CursorShape random_shape(std::mt19937& rng, b7::CursorType type, std::uint32_t w,
                         std::uint32_t h, std::size_t missing_bytes) {
  CursorShape shape;
  shape.type = type;
  shape.width = w;
  shape.height = type == b7::CursorType::kMonochrome ? h * 2 : h;
  shape.pitch = type == b7::CursorType::kMonochrome ? (w + 7) / 8 : w * 4;
  shape.pixels.resize(std::size_t{shape.pitch} * shape.height - missing_bytes);
  for (auto& b : shape.pixels) {
    const auto v = static_cast<std::uint8_t>(rng());
    // Alpha/mask bytes: mostly 0 or 255, as real cursors are, with some in between.
    b = std::byte{v};
  }
  return shape;
}

class CursorPlanesMatch : public ::testing::TestWithParam<b7::CursorType> {};

TEST_P(CursorPlanesMatch, DrawsWhatDrawCursorDraws) {
  std::mt19937 rng(7);  // 32-bit results: fits uint32_t
  int visible = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const auto w = static_cast<std::uint32_t>(1 + rng() % 40);
    const auto h = static_cast<std::uint32_t>(1 + rng() % 40);
    const CursorShape shape = random_shape(rng, GetParam(), w, h, trial % 3 == 0 ? 5 : 0);
    const std::int32_t x = static_cast<std::int32_t>(rng() % 80) - 20;  // clipped on all sides
    const std::int32_t y = static_cast<std::int32_t>(rng() % 80) - 20;
    const RgbaImage screen = random_screen(rng, 60, 50);

    RgbaImage expected = screen;
    draw_cursor(expected, CursorState{true, x, y, shape, 1});
    RgbaImage actual = screen;
    apply_cursor_planes(actual, cursor_planes(shape), x, y);
    ASSERT_EQ(expected.rgba, actual.rgba) << "trial " << trial;
    if (actual.rgba != screen.rgba) ++visible;
  }
  EXPECT_GE(visible, 20) << "most random cursors must change the screen";
}

INSTANTIATE_TEST_SUITE_P(AllTypes, CursorPlanesMatch,
                         ::testing::Values(b7::CursorType::kColor, b7::CursorType::kMonochrome,
                                           b7::CursorType::kMaskedColor));

TEST(CursorPlanes, MonochromeInvertsWhereBothMasksAreSet) {
  CursorShape shape;
  shape.type = b7::CursorType::kMonochrome;
  shape.width = 8;
  shape.height = 2;  // one row of AND, one of XOR
  shape.pitch = 1;
  shape.pixels = {std::byte{0xF0}, std::byte{0xCC}};  // AND 11110000, XOR 11001100
  const CursorPlanes planes = cursor_planes(shape);
  ASSERT_EQ(planes.blend.height, 1U);
  EXPECT_EQ(planes.xor_mask.at(0, 0).a, 255) << "AND 1, XOR 1: invert";
  EXPECT_EQ(planes.blend.at(2, 0).a, 0) << "AND 1, XOR 0: transparent";
  EXPECT_EQ(planes.xor_mask.at(2, 0).a, 0);
  EXPECT_EQ(planes.blend.at(4, 0), (Rgba{255, 255, 255, 255})) << "AND 0, XOR 1: white";
  EXPECT_EQ(planes.blend.at(6, 0), (Rgba{0, 0, 0, 255})) << "AND 0, XOR 0: black";
}

}  // namespace
}  // namespace periscope::image
