#include "capture_x11/cursor_convert.hpp"

#include <algorithm>

#include "relay/layout.hpp"

namespace periscope::capture::x11 {

namespace {

std::byte straight(std::uint32_t premultiplied, std::uint32_t alpha) {
  const std::uint32_t value = (premultiplied * 255U + alpha / 2U) / alpha;
  return static_cast<std::byte>(std::min<std::uint32_t>(value, 255U));
}

}  // namespace

void unpremultiply_argb(std::uint32_t argb, std::byte* bgra_out) {
  const std::uint32_t a = argb >> 24U;
  if (a == 0) {
    std::fill_n(bgra_out, 4, std::byte{0});
    return;
  }
  bgra_out[0] = straight(argb & 0xFFU, a);
  bgra_out[1] = straight((argb >> 8U) & 0xFFU, a);
  bgra_out[2] = straight((argb >> 16U) & 0xFFU, a);
  bgra_out[3] = static_cast<std::byte>(a);
}

ConvertedCursor convert_xfixes_cursor(std::span<const unsigned long> words, std::uint32_t width,
                                      std::uint32_t height) {
  ConvertedCursor out;
  out.width = std::min(width, b7::kMaxCursorDim);
  out.height = std::min(height, b7::kMaxCursorDim);
  if (words.size() <
      std::size_t{width} * height) {  // a short reply: send nothing rather than garbage
    out.width = 0;
    out.height = 0;
    return out;
  }
  out.bgra.resize(std::size_t{out.width} * out.height * 4);
  for (std::uint32_t y = 0; y < out.height; ++y) {
    for (std::uint32_t x = 0; x < out.width; ++x) {
      // Only the low 32 bits carry the pixel; on LP64 the upper half of the word is padding.
      const auto argb =
          static_cast<std::uint32_t>(words[std::size_t{y} * width + x] & 0xFFFFFFFFUL);
      unpremultiply_argb(argb, &out.bgra[(std::size_t{y} * out.width + x) * 4]);
      out.any_visible_pixel = out.any_visible_pixel || (argb >> 24U) != 0;
    }
  }
  return out;
}

}  // namespace periscope::capture::x11
