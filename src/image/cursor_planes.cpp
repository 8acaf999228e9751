#include "image/cursor_planes.hpp"

#include <algorithm>
#include <cstddef>

namespace periscope::image {
namespace {

std::uint8_t u8(std::byte b) {
  return std::to_integer<std::uint8_t>(b);
}

// Byte `col` of row `row` of the shape, or nullptr when the guest did not send it.
const std::byte* shape_byte(const CursorShape& shape, std::uint64_t row, std::uint64_t col,
                            std::uint64_t length) {
  if (col + length > shape.pitch) return nullptr;
  const std::uint64_t offset = row * shape.pitch + col;
  if (offset + length > shape.pixels.size()) return nullptr;
  return shape.pixels.data() + offset;
}

constexpr Rgba kClear{0, 0, 0, 0};

}  // namespace

CursorPlanes cursor_planes(const CursorShape& shape) {
  const bool mono = shape.type == b7::CursorType::kMonochrome;
  const std::uint32_t rows = mono ? shape.height / 2 : shape.height;
  CursorPlanes planes{RgbaImage::filled(shape.width, rows, kClear),
                      RgbaImage::filled(shape.width, rows, kClear)};
  for (std::uint32_t y = 0; y < rows; ++y) {
    for (std::uint32_t x = 0; x < shape.width; ++x) {
      if (mono) {
        const auto* and_byte = shape_byte(shape, y, x / 8, 1);
        const auto* xor_byte = shape_byte(shape, y + rows, x / 8, 1);
        if (and_byte == nullptr || xor_byte == nullptr) continue;
        const auto bit = static_cast<unsigned>(7 - x % 8);  // most significant bit first
        const bool keep = ((u8(*and_byte) >> bit) & 1U) != 0;
        const auto value = static_cast<std::uint8_t>(((u8(*xor_byte) >> bit) & 1U) ? 255 : 0);
        if (!keep) {
          planes.blend.set(x, y, Rgba{value, value, value, 255});  // (screen & 0) ^ X = X
        } else if (value != 0) {
          planes.xor_mask.set(x, y, Rgba{255, 255, 255, 255});  // screen ^ 0xFF: inverted
        }
        continue;
      }
      const auto* p = shape_byte(shape, y, std::uint64_t{x} * 4, 4);
      if (p == nullptr) continue;
      const Rgba colour{u8(p[2]), u8(p[1]), u8(p[0]), u8(p[3])};  // stored B, G, R, A/mask
      if (shape.type == b7::CursorType::kColor) {
        planes.blend.set(x, y, colour);
      } else if (colour.a == 0) {
        planes.blend.set(x, y, Rgba{colour.r, colour.g, colour.b, 255});  // replaces
      } else {
        planes.xor_mask.set(x, y, Rgba{colour.r, colour.g, colour.b, 255});
      }
    }
  }
  return planes;
}

void apply_cursor_planes(RgbaImage& image, const CursorPlanes& planes, std::int64_t x,
                         std::int64_t y) {
  const std::int64_t x0 = std::max<std::int64_t>(x, 0);
  const std::int64_t y0 = std::max<std::int64_t>(y, 0);
  const std::int64_t x1 = std::min<std::int64_t>(x + planes.blend.width, image.width);
  const std::int64_t y1 = std::min<std::int64_t>(y + planes.blend.height, image.height);
  for (std::int64_t iy = y0; iy < y1; ++iy) {
    for (std::int64_t ix = x0; ix < x1; ++ix) {
      const auto px = static_cast<std::uint32_t>(ix - x);
      const auto py = static_cast<std::uint32_t>(iy - y);
      const Rgba b = planes.blend.at(px, py);
      const Rgba m = planes.xor_mask.at(px, py);
      std::uint8_t* d = &image.rgba[image.offset(static_cast<std::uint32_t>(ix),
                                                 static_cast<std::uint32_t>(iy))];
      const std::uint32_t a = b.a;
      const std::uint8_t src[3] = {b.r, b.g, b.b};
      const std::uint8_t mask[3] = {m.r, m.g, m.b};
      for (int i = 0; i < 3; ++i) {
        auto v = static_cast<std::uint8_t>((src[i] * a + d[i] * (255U - a) + 127U) / 255U);
        if (m.a == 255) v = static_cast<std::uint8_t>(v ^ mask[i]);
        d[i] = v;
      }
      d[3] = static_cast<std::uint8_t>(a + (d[3] * (255U - a) + 127U) / 255U);
    }
  }
}

}  // namespace periscope::image
