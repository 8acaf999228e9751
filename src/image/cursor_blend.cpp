#include "image/cursor_blend.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace periscope::image {
namespace {

// The part of the image the cursor covers, in image coordinates; empty when off screen.
struct Clip {
  std::uint32_t x0{0}, y0{0}, x1{0}, y1{0};
};

Clip clip(const RgbaImage& image, std::int64_t x, std::int64_t y, std::int64_t w, std::int64_t h) {
  const std::int64_t x0 = std::max<std::int64_t>(x, 0);
  const std::int64_t y0 = std::max<std::int64_t>(y, 0);
  const std::int64_t x1 = std::min<std::int64_t>(x + w, image.width);
  const std::int64_t y1 = std::min<std::int64_t>(y + h, image.height);
  if (x0 >= x1 || y0 >= y1) return {};
  return {static_cast<std::uint32_t>(x0), static_cast<std::uint32_t>(y0),
          static_cast<std::uint32_t>(x1), static_cast<std::uint32_t>(y1)};
}

// The shape's bytes as the guest sent them, with checked access.
class ShapeBytes {
 public:
  explicit ShapeBytes(const CursorShape& shape) : bytes_(shape.pixels), pitch_(shape.pitch) {}

  // Byte `col` of row `row`, or nullptr when it is beyond the pitch or the buffer.
  [[nodiscard]] const std::byte* at(std::uint64_t row, std::uint64_t col,
                                    std::uint64_t length) const {
    if (col + length > pitch_) return nullptr;
    const std::uint64_t offset = row * pitch_ + col;
    if (offset + length > bytes_.size()) return nullptr;
    return bytes_.data() + offset;
  }

 private:
  std::span<const std::byte> bytes_;
  std::uint64_t pitch_;
};

std::uint8_t u8(std::byte b) {
  return std::to_integer<std::uint8_t>(b);
}

// round((src * a + dst * (255 - a)) / 255), straight (not premultiplied) alpha.
std::uint8_t blend(std::uint8_t src, std::uint8_t dst, std::uint32_t a) {
  const std::uint32_t sum = src * a + dst * (255U - a);
  return static_cast<std::uint8_t>((sum + 127U) / 255U);
}

// Calls op(shape pixel bytes B,G,R,X, image pixel R,G,B,A) for every 32-bit shape pixel that
// lands on the image and lies inside the shape's bytes.
template <typename PixelOp>
void for_each_32bit_pixel(RgbaImage& image, const CursorShape& shape, const ShapeBytes& bytes,
                          std::int64_t cx, std::int64_t cy, PixelOp op) {
  const Clip c = clip(image, cx, cy, shape.width, shape.height);
  for (std::uint32_t y = c.y0; y < c.y1; ++y) {
    for (std::uint32_t x = c.x0; x < c.x1; ++x) {
      const auto* p =
          bytes.at(static_cast<std::uint64_t>(y - cy), static_cast<std::uint64_t>(x - cx) * 4, 4);
      if (p != nullptr) op(p, &image.rgba[image.offset(x, y)]);
    }
  }
}

void draw_colour(RgbaImage& image, const CursorShape& shape, const ShapeBytes& bytes,
                 std::int64_t cx, std::int64_t cy) {
  for_each_32bit_pixel(image, shape, bytes, cx, cy, [](const std::byte* p, std::uint8_t* d) {
    const std::uint32_t a = u8(p[3]);
    d[0] = blend(u8(p[2]), d[0], a);  // stored B, G, R, A
    d[1] = blend(u8(p[1]), d[1], a);
    d[2] = blend(u8(p[0]), d[2], a);
    d[3] = static_cast<std::uint8_t>(a + (d[3] * (255U - a) + 127U) / 255U);
  });
}

void draw_monochrome(RgbaImage& image, const CursorShape& shape, const ShapeBytes& bytes,
                     std::int64_t cx, std::int64_t cy) {
  // `height` counts the AND mask rows followed by as many XOR mask rows.
  const std::uint32_t rows = shape.height / 2;
  const Clip c = clip(image, cx, cy, shape.width, rows);
  for (std::uint32_t y = c.y0; y < c.y1; ++y) {
    const auto row = static_cast<std::uint64_t>(y - cy);
    for (std::uint32_t x = c.x0; x < c.x1; ++x) {
      const auto col = static_cast<std::uint64_t>(x - cx);
      const auto* and_byte = bytes.at(row, col / 8, 1);
      const auto* xor_byte = bytes.at(row + rows, col / 8, 1);
      if (and_byte == nullptr || xor_byte == nullptr) continue;
      const auto bit = static_cast<unsigned>(7 - col % 8);  // most significant bit first
      // Each mask bit stands for an all-ones or all-zeros byte in every RGB channel.
      const auto and_mask = static_cast<std::uint8_t>(((u8(*and_byte) >> bit) & 1U) ? 0xFF : 0);
      const auto xor_mask = static_cast<std::uint8_t>(((u8(*xor_byte) >> bit) & 1U) ? 0xFF : 0);
      std::uint8_t* d = &image.rgba[image.offset(x, y)];
      for (int i = 0; i < 3; ++i) d[i] = static_cast<std::uint8_t>((d[i] & and_mask) ^ xor_mask);
    }
  }
}

void draw_masked_colour(RgbaImage& image, const CursorShape& shape, const ShapeBytes& bytes,
                        std::int64_t cx, std::int64_t cy) {
  for_each_32bit_pixel(image, shape, bytes, cx, cy, [](const std::byte* p, std::uint8_t* d) {
    const std::uint8_t rgb[3] = {u8(p[2]), u8(p[1]), u8(p[0])};  // stored B, G, R, mask
    // Mask byte 0: the colour replaces the screen; non-zero: it is XORed onto it.
    const bool xor_onto = u8(p[3]) != 0;
    for (int i = 0; i < 3; ++i) d[i] = xor_onto ? static_cast<std::uint8_t>(d[i] ^ rgb[i]) : rgb[i];
  });
}

}  // namespace

void draw_cursor(RgbaImage& image, const CursorState& cursor) {
  if (!cursor.visible || !cursor.shape || !image.valid()) return;
  const CursorShape& shape = *cursor.shape;
  const ShapeBytes bytes(shape);
  switch (shape.type) {
    case b7::CursorType::kColor:
      draw_colour(image, shape, bytes, cursor.x, cursor.y);
      return;
    case b7::CursorType::kMonochrome:
      draw_monochrome(image, shape, bytes, cursor.x, cursor.y);
      return;
    case b7::CursorType::kMaskedColor:
      draw_masked_colour(image, shape, bytes, cursor.x, cursor.y);
      return;
  }
}

}  // namespace periscope::image
