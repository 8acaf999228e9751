#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <vector>

#include "image/frame_to_rgba.hpp"
#include "image/half_float.hpp"

namespace periscope::image {
namespace {

using b7::FrameInfo;
using b7::FrameRotation;
using b7::FrameType;

FrameInfo make_info(FrameType type, std::uint32_t width, std::uint32_t height,
                    std::uint32_t pitch) {
  FrameInfo info;
  info.type = type;
  info.frame_width = width;
  info.frame_height = height;
  info.data_width = width;
  info.data_height = height;
  info.pitch = pitch;
  info.data_bytes = std::uint64_t{pitch} * height;
  return info;
}

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

void put_le(std::vector<std::byte>& buf, std::size_t at, std::uint64_t value, int n) {
  for (int i = 0; i < n; ++i)
    buf[at + static_cast<std::size_t>(i)] = static_cast<std::byte>(value >> (8 * i));
}

TEST(ImageHalf, ConvertsSpecialAndSubnormalValues) {
  EXPECT_EQ(half_to_float(0x3C00), 1.0F);
  EXPECT_EQ(half_to_float(0x3800), 0.5F);
  EXPECT_EQ(half_to_float(0xC000), -2.0F);
  EXPECT_EQ(half_to_float(0x7BFF), 65504.0F);
  EXPECT_EQ(half_to_float(0x0400), std::ldexp(1.0F, -14));     // smallest normal
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0F, -24));     // smallest subnormal
  EXPECT_EQ(half_to_float(0x03FF), std::ldexp(1023.0F, -24));  // largest subnormal
  EXPECT_EQ(half_to_float(0x0000), 0.0F);
  EXPECT_TRUE(std::signbit(half_to_float(0x8000)));
  EXPECT_EQ(half_to_float(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(half_to_float(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(half_to_float(0x7E00)));
}

// A pitch larger than the row (12 > 2 * 4): the padding must be skipped, not shown.
TEST(ImageFrame, BgraSwapsToRgba) {
  const FrameInfo info = make_info(FrameType::kBgra, 2, 2, 12);
  const auto px = bytes({1, 2,  3,  4,  5,  6,  7,  8,  99, 99, 99, 99,  //
                         9, 10, 11, 12, 13, 14, 15, 16, 99, 99, 99, 99});
  const RgbaImage img = frame_to_rgba(info, px);
  ASSERT_EQ(img.width, 2U);
  ASSERT_EQ(img.height, 2U);
  EXPECT_EQ(img.at(0, 0), (Rgba{3, 2, 1, 4}));
  EXPECT_EQ(img.at(1, 0), (Rgba{7, 6, 5, 8}));
  EXPECT_EQ(img.at(0, 1), (Rgba{11, 10, 9, 12}));
  EXPECT_EQ(img.at(1, 1), (Rgba{15, 14, 13, 16}));
}

TEST(ImageFrame, RgbaIsCopied) {
  const FrameInfo info = make_info(FrameType::kRgba, 2, 2, 12);
  const auto px = bytes({1, 2,  3,  4,  5,  6,  7,  8,  99, 99, 99, 99,  //
                         9, 10, 11, 12, 13, 14, 15, 16, 99, 99, 99, 99});
  const RgbaImage img = frame_to_rgba(info, px);
  EXPECT_EQ(img.at(0, 0), (Rgba{1, 2, 3, 4}));
  EXPECT_EQ(img.at(1, 0), (Rgba{5, 6, 7, 8}));
  EXPECT_EQ(img.at(0, 1), (Rgba{9, 10, 11, 12}));
  EXPECT_EQ(img.at(1, 1), (Rgba{13, 14, 15, 16}));
}

std::uint32_t rgba10(std::uint32_t r, std::uint32_t g, std::uint32_t b, std::uint32_t a) {
  return r | (g << 10) | (b << 20) | (a << 30);
}

TEST(ImageFrame, Rgba10ScalesWithRounding) {
  const FrameInfo info = make_info(FrameType::kRgba10, 3, 1, 16);
  std::vector<std::byte> px(16, std::byte{0xEE});
  // round(v * 255 / 1023): 3 -> 1, 511 -> 127, 513 -> 128, 2 -> 0; alpha 2 bits: 1 -> 85.
  put_le(px, 0, rgba10(3, 511, 513, 1), 4);
  put_le(px, 4, rgba10(1023, 0, 2, 2), 4);
  put_le(px, 8, rgba10(0, 1023, 0, 3), 4);
  const RgbaImage img = frame_to_rgba(info, px);
  EXPECT_EQ(img.at(0, 0), (Rgba{1, 127, 128, 85}));
  EXPECT_EQ(img.at(1, 0), (Rgba{255, 0, 0, 170}));
  EXPECT_EQ(img.at(2, 0), (Rgba{0, 255, 0, 255}));
}

TEST(ImageFrame, Rgba16fClampsAndEncodesSrgb) {
  const FrameInfo info = make_info(FrameType::kRgba16f, 3, 1, 32);
  std::vector<std::byte> px(32, std::byte{0});
  auto pixel = [&](std::size_t x, std::uint16_t r, std::uint16_t g, std::uint16_t b,
                   std::uint16_t a) {
    put_le(px, x * 8, r, 2);
    put_le(px, x * 8 + 2, g, 2);
    put_le(px, x * 8 + 4, b, 2);
    put_le(px, x * 8 + 6, a, 2);
  };
  pixel(0, 0x3800, 0x3C00, 0x4000, 0x3800);  // 0.5, 1.0, 2.0 | alpha 0.5 (linear: 128)
  pixel(1, 0x0000, 0xBC00, 0x7C00, 0x3C00);  // 0, -1, +inf | alpha 1
  pixel(2, 0x7E00, 0x5BD0, 0x3400, 0x4400);  // NaN, 250.0, 0.25 | alpha 4.0
  const RgbaImage img = frame_to_rgba(info, px);
  EXPECT_EQ(img.at(0, 0), (Rgba{188, 255, 255, 128}));
  EXPECT_EQ(img.at(1, 0), (Rgba{0, 0, 255, 255}));
  // sRGB(0.25) = 1.055 * 0.25^(1/2.4) - 0.055 = 0.5371 -> 137.
  EXPECT_EQ(img.at(2, 0), (Rgba{0, 255, 137, 255}));
}

// Five 24-bit pixels are 15 bytes in 4 texels (16 bytes); the pitch adds 4 more bytes.
std::vector<std::byte> packed_rows() {
  std::vector<std::byte> px(40, std::byte{0xEE});
  for (std::size_t row = 0; row < 2; ++row)
    for (std::size_t i = 0; i < 15; ++i)
      px[row * 20 + i] = static_cast<std::byte>(row * 100 + i + 1);
  return px;
}

FrameInfo packed_info(FrameType type) {
  FrameInfo info = make_info(type, 5, 2, 20);
  info.data_width = 4;
  return info;
}

TEST(ImageFrame, Bgr32PackedFivePixels) {
  const RgbaImage img = frame_to_rgba(packed_info(FrameType::kBgr32), packed_rows());
  ASSERT_EQ(img.width, 5U);
  EXPECT_EQ(img.at(0, 0), (Rgba{3, 2, 1, 255}));
  EXPECT_EQ(img.at(1, 0), (Rgba{6, 5, 4, 255}));
  EXPECT_EQ(img.at(2, 0), (Rgba{9, 8, 7, 255}));
  EXPECT_EQ(img.at(3, 0), (Rgba{12, 11, 10, 255}));
  EXPECT_EQ(img.at(4, 0), (Rgba{15, 14, 13, 255}));
  EXPECT_EQ(img.at(0, 1), (Rgba{103, 102, 101, 255}));
  EXPECT_EQ(img.at(4, 1), (Rgba{115, 114, 113, 255}));
}

TEST(ImageFrame, Rgb24PackedFivePixels) {
  const RgbaImage img = frame_to_rgba(packed_info(FrameType::kRgb24), packed_rows());
  ASSERT_EQ(img.width, 5U);
  EXPECT_EQ(img.at(0, 0), (Rgba{1, 2, 3, 255}));
  EXPECT_EQ(img.at(1, 0), (Rgba{4, 5, 6, 255}));
  EXPECT_EQ(img.at(3, 0), (Rgba{10, 11, 12, 255}));
  EXPECT_EQ(img.at(4, 0), (Rgba{13, 14, 15, 255}));
  EXPECT_EQ(img.at(0, 1), (Rgba{101, 102, 103, 255}));
  EXPECT_EQ(img.at(4, 1), (Rgba{113, 114, 115, 255}));
}

// Stored 3x2, pixels labelled by their red value:  1 2 3
//                                                  4 5 6
class ImageRotation : public ::testing::Test {
 protected:
  static RgbaImage rotate(FrameRotation rotation) {
    FrameInfo info = make_info(FrameType::kRgba, 3, 2, 12);
    info.rotation = rotation;
    std::vector<std::byte> px(24, std::byte{0});
    for (std::size_t i = 0; i < 6; ++i) {
      px[i * 4] = static_cast<std::byte>(i + 1);
      px[i * 4 + 3] = std::byte{255};
    }
    return frame_to_rgba(info, px);
  }
  static std::vector<int> labels(const RgbaImage& img) {
    std::vector<int> out;
    for (std::uint32_t y = 0; y < img.height; ++y)
      for (std::uint32_t x = 0; x < img.width; ++x) out.push_back(img.at(x, y).r);
    return out;
  }
};

TEST_F(ImageRotation, None) {
  const RgbaImage img = rotate(FrameRotation::k0);
  ASSERT_EQ(img.width, 3U);
  EXPECT_EQ(labels(img), (std::vector<int>{1, 2, 3, 4, 5, 6}));
}

TEST_F(ImageRotation, Clockwise90PutsTopLeftTopRight) {
  const RgbaImage img = rotate(FrameRotation::k90);
  ASSERT_EQ(img.width, 2U);
  ASSERT_EQ(img.height, 3U);
  EXPECT_EQ(img.at(1, 0).r, 1);
  EXPECT_EQ(labels(img), (std::vector<int>{4, 1, 5, 2, 6, 3}));
}

TEST_F(ImageRotation, Rotate180PutsTopLeftBottomRight) {
  const RgbaImage img = rotate(FrameRotation::k180);
  ASSERT_EQ(img.width, 3U);
  ASSERT_EQ(img.height, 2U);
  EXPECT_EQ(img.at(2, 1).r, 1);
  EXPECT_EQ(labels(img), (std::vector<int>{6, 5, 4, 3, 2, 1}));
}

TEST_F(ImageRotation, Clockwise270PutsTopLeftBottomLeft) {
  const RgbaImage img = rotate(FrameRotation::k270);
  ASSERT_EQ(img.width, 2U);
  ASSERT_EQ(img.height, 3U);
  EXPECT_EQ(img.at(0, 2).r, 1);
  EXPECT_EQ(labels(img), (std::vector<int>{3, 6, 2, 5, 1, 4}));
}

TEST(ImageFrame, TruncatedRowsAreOpaqueBlack) {
  FrameInfo info = make_info(FrameType::kRgba, 2, 4, 8);
  info.data_height = 2;  // the region held only the top two rows
  // Bytes past the stored rows exist in the span but must not be shown.
  std::vector<std::byte> px(32, std::byte{200});
  const RgbaImage img = frame_to_rgba(info, px);
  ASSERT_EQ(img.height, 4U);
  for (std::uint32_t x = 0; x < 2; ++x) {
    EXPECT_EQ(img.at(x, 1), (Rgba{200, 200, 200, 200}));
    EXPECT_EQ(img.at(x, 2), kOpaqueBlack);
    EXPECT_EQ(img.at(x, 3), kOpaqueBlack);
  }
}

// The span is an exact-size heap copy so the ASan build catches any read past it.
RgbaImage convert_short(const FrameInfo& info, std::size_t size, std::byte fill) {
  const std::vector<std::byte> px(size, fill);
  return frame_to_rgba(info, px);
}

TEST(ImageFrame, ShortSpanNeverReadsPastItsEnd) {
  // 4x4 BGRA needs 64 bytes; give it one row and one pixel and a half.
  const RgbaImage img =
      convert_short(make_info(FrameType::kBgra, 4, 4, 16), 16 + 4 + 2, std::byte{7});
  EXPECT_EQ(img.at(3, 0), (Rgba{7, 7, 7, 7}));
  EXPECT_EQ(img.at(0, 1), (Rgba{7, 7, 7, 7}));
  EXPECT_EQ(img.at(1, 1), kOpaqueBlack);
  EXPECT_EQ(img.at(3, 3), kOpaqueBlack);

  for (FrameType type : {FrameType::kBgra, FrameType::kRgba, FrameType::kRgba10,
                         FrameType::kRgba16f, FrameType::kBgr32, FrameType::kRgb24}) {
    for (std::size_t size : {0U, 1U, 5U, 17U, 39U}) {
      const RgbaImage out = convert_short(make_info(type, 5, 3, 40), size, std::byte{0x55});
      EXPECT_EQ(out.at(4, 2), kOpaqueBlack) << static_cast<int>(type) << " size " << size;
    }
  }
  // An empty span with no data pointer at all.
  const RgbaImage empty = frame_to_rgba(make_info(FrameType::kRgba, 2, 2, 8), {});
  EXPECT_EQ(empty.at(0, 0), kOpaqueBlack);
}

TEST(ImageFrame, PitchSmallerThanRowOrHugeStaysInBounds) {
  // Pitch 6 holds one whole BGRA pixel per row; the rest of each row is black.
  const RgbaImage narrow = convert_short(make_info(FrameType::kBgra, 3, 2, 6), 12, std::byte{9});
  EXPECT_EQ(narrow.at(0, 1), (Rgba{9, 9, 9, 9}));
  EXPECT_EQ(narrow.at(1, 1), kOpaqueBlack);
  // A pitch so large that row 1 starts far past the span (and y * pitch overflows 32 bits).
  const RgbaImage wide =
      convert_short(make_info(FrameType::kRgba, 2, 3, 0xFFFFFFF0U), 8, std::byte{3});
  EXPECT_EQ(wide.at(1, 0), (Rgba{3, 3, 3, 3}));
  EXPECT_EQ(wide.at(0, 2), kOpaqueBlack);
}

TEST(ImageFrame, InvalidTypeIsBlackAndEmptyFrameIsEmpty) {
  const RgbaImage img = convert_short(make_info(FrameType::kInvalid, 2, 2, 8), 16, std::byte{1});
  EXPECT_EQ(img.at(1, 1), kOpaqueBlack);
  const RgbaImage none = convert_short(make_info(FrameType::kRgba, 0, 0, 0), 0, std::byte{1});
  EXPECT_EQ(none.width, 0U);
  EXPECT_TRUE(none.rgba.empty());
}

}  // namespace
}  // namespace periscope::image
