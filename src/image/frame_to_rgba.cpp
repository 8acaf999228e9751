#include "image/frame_to_rgba.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "image/half_float.hpp"

namespace periscope::image {
namespace {

using b7::FrameType;

std::uint8_t byte_at(const std::byte* p, std::size_t i) {
  return std::to_integer<std::uint8_t>(p[i]);
}

// Pixels are little-endian whatever the host; assembling bytes also avoids unaligned loads.
std::uint32_t load_le32(const std::byte* p) {
  return static_cast<std::uint32_t>(byte_at(p, 0)) |
         (static_cast<std::uint32_t>(byte_at(p, 1)) << 8) |
         (static_cast<std::uint32_t>(byte_at(p, 2)) << 16) |
         (static_cast<std::uint32_t>(byte_at(p, 3)) << 24);
}

std::uint16_t load_le16(const std::byte* p) {
  return static_cast<std::uint16_t>(byte_at(p, 0) | (byte_at(p, 1) << 8));
}

// round(v * 255 / max) in integers.
std::uint8_t scale_to_8bit(std::uint32_t v, std::uint32_t max) {
  return static_cast<std::uint8_t>((v * 255 + max / 2) / max);
}

float clamp_unit(float v) {
  // NaN compares false both ways and becomes 0 rather than poisoning the lookup.
  if (!(v > 0.0F)) return 0.0F;
  return v < 1.0F ? v : 1.0F;
}

// The sRGB OETF (IEC 61966-2-1): linear light in [0, 1] to the encoded value.
float srgb_oetf(float linear) {
  if (linear <= 0.0031308F) return linear * 12.92F;
  return 1.055F * std::pow(linear, 1.0F / 2.4F) - 0.055F;
}

std::uint8_t unit_to_8bit(float v) {
  return static_cast<std::uint8_t>(std::lround(v * 255.0F));
}

// A half has only 65536 values, so a table per channel kind replaces a pow() per pixel.
struct HalfTables {
  std::array<std::uint8_t, 65536> colour{};  // linear -> sRGB 8 bit
  std::array<std::uint8_t, 65536> alpha{};   // linear -> 8 bit (alpha is not gamma-encoded)
};

const HalfTables& half_tables() {
  static const HalfTables tables = [] {
    HalfTables t;
    for (std::uint32_t h = 0; h < 65536; ++h) {
      const float v = clamp_unit(half_to_float(static_cast<std::uint16_t>(h)));
      t.colour[h] = unit_to_8bit(srgb_oetf(v));
      t.alpha[h] = unit_to_8bit(v);
    }
    return t;
  }();
  return tables;
}

// Bytes a pixel occupies in a row; 24-bit types are packed back to back (pixel x at 3x).
std::size_t bytes_per_pixel(FrameType type) {
  switch (type) {
    case FrameType::kRgba16f:
      return 8;
    case FrameType::kBgr32:
    case FrameType::kRgb24:
      return 3;
    default:
      return 4;
  }
}

void put(std::uint8_t* out, std::uint8_t r, std::uint8_t g, std::uint8_t b, std::uint8_t a) {
  out[0] = r;
  out[1] = g;
  out[2] = b;
  out[3] = a;
}

// Converts the first `count` pixels of a row; the caller has checked they lie in the span.
void convert_pixels(FrameType type, const std::byte* src, std::size_t count, std::uint8_t* out) {
  switch (type) {
    case FrameType::kBgra:
      for (std::size_t x = 0; x < count; ++x, src += 4, out += 4)
        put(out, byte_at(src, 2), byte_at(src, 1), byte_at(src, 0), byte_at(src, 3));
      return;
    case FrameType::kRgba:
      for (std::size_t x = 0; x < count; ++x, src += 4, out += 4)
        put(out, byte_at(src, 0), byte_at(src, 1), byte_at(src, 2), byte_at(src, 3));
      return;
    case FrameType::kRgba10:
      for (std::size_t x = 0; x < count; ++x, src += 4, out += 4) {
        const std::uint32_t w = load_le32(src);
        put(out, scale_to_8bit(w & 0x3FFU, 1023), scale_to_8bit((w >> 10) & 0x3FFU, 1023),
            scale_to_8bit((w >> 20) & 0x3FFU, 1023), scale_to_8bit(w >> 30, 3));
      }
      return;
    case FrameType::kRgba16f: {
      const HalfTables& t = half_tables();
      for (std::size_t x = 0; x < count; ++x, src += 8, out += 4)
        put(out, t.colour[load_le16(src)], t.colour[load_le16(src + 2)],
            t.colour[load_le16(src + 4)], t.alpha[load_le16(src + 6)]);
      return;
    }
    case FrameType::kBgr32:
      for (std::size_t x = 0; x < count; ++x, src += 3, out += 4)
        put(out, byte_at(src, 2), byte_at(src, 1), byte_at(src, 0), 255);
      return;
    case FrameType::kRgb24:
      for (std::size_t x = 0; x < count; ++x, src += 3, out += 4)
        put(out, byte_at(src, 0), byte_at(src, 1), byte_at(src, 2), 255);
      return;
    case FrameType::kInvalid:
      break;
  }
  for (std::size_t x = 0; x < count; ++x, out += 4) put(out, 0, 0, 0, 255);
}

// Fills `out` (width pixels) from stored row `y`, black where the bytes are not there.
void convert_row(const b7::FrameInfo& info, std::span<const std::byte> pixels, std::uint32_t y,
                 std::uint8_t* out) {
  std::size_t converted = 0;
  if (y < info.visible_rows()) {
    const std::uint64_t start = static_cast<std::uint64_t>(y) * info.pitch;
    if (start < pixels.size()) {
      // Only bytes within both the pitch and the span belong to this row.
      const std::uint64_t available = std::min<std::uint64_t>(info.pitch, pixels.size() - start);
      converted = static_cast<std::size_t>(
          std::min<std::uint64_t>(available / bytes_per_pixel(info.type), info.frame_width));
      convert_pixels(info.type, pixels.data() + start, converted, out);
    }
  }
  for (std::size_t x = converted; x < info.frame_width; ++x) put(out + x * 4, 0, 0, 0, 255);
}

}  // namespace

RgbaImage frame_to_rgba(const b7::FrameInfo& info, std::span<const std::byte> pixels) {
  const std::uint32_t w = info.frame_width;
  const std::uint32_t h = info.frame_height;
  const bool swap =
      info.rotation == b7::FrameRotation::k90 || info.rotation == b7::FrameRotation::k270;
  RgbaImage image;
  image.width = swap ? h : w;
  image.height = swap ? w : h;
  image.rgba.resize(static_cast<std::size_t>(w) * h * 4);
  if (image.rgba.empty()) return image;

  // An out-of-range value (validate_frame rejects those) is drawn unrotated.
  if (!swap && info.rotation != b7::FrameRotation::k180) {
    for (std::uint32_t y = 0; y < h; ++y)
      convert_row(info, pixels, y, &image.rgba[image.offset(0, y)]);
    return image;
  }

  // Convert a row at a time, then scatter it to where the clockwise rotation puts it.
  std::vector<std::uint8_t> row(static_cast<std::size_t>(w) * 4);
  for (std::uint32_t y = 0; y < h; ++y) {
    convert_row(info, pixels, y, row.data());
    for (std::uint32_t x = 0; x < w; ++x) {
      std::uint32_t ox = x;
      std::uint32_t oy = y;
      switch (info.rotation) {
        case b7::FrameRotation::k90:
          ox = h - 1 - y;
          oy = x;
          break;
        case b7::FrameRotation::k180:
          ox = w - 1 - x;
          oy = h - 1 - y;
          break;
        case b7::FrameRotation::k270:
          ox = y;
          oy = w - 1 - x;
          break;
        case b7::FrameRotation::k0:
          break;
      }
      std::copy_n(&row[static_cast<std::size_t>(x) * 4], 4, &image.rgba[image.offset(ox, oy)]);
    }
  }
  return image;
}

void make_opaque(RgbaImage& image) {
  for (std::size_t i = 3; i < image.rgba.size(); i += 4) image.rgba[i] = 255;
}

}  // namespace periscope::image
