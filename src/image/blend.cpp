#include "image/blend.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace periscope::image {
namespace {

std::uint8_t over(std::uint8_t src, std::uint8_t dst, std::uint32_t a) {
  const std::uint32_t sum = src * a + dst * (255U - a);
  return static_cast<std::uint8_t>((sum + 127U) / 255U);
}

}  // namespace

void blend_over(RgbaImage& dst, const RgbaImage& src, std::int32_t x, std::int32_t y) {
  if (!dst.valid() || !src.valid()) return;
  // 64-bit so that x + src.width cannot overflow.
  const std::int64_t x0 = std::max<std::int64_t>(x, 0);
  const std::int64_t y0 = std::max<std::int64_t>(y, 0);
  const std::int64_t x1 = std::min<std::int64_t>(std::int64_t{x} + src.width, dst.width);
  const std::int64_t y1 = std::min<std::int64_t>(std::int64_t{y} + src.height, dst.height);
  for (std::int64_t dy = y0; dy < y1; ++dy) {
    for (std::int64_t dx = x0; dx < x1; ++dx) {
      const std::uint8_t* s = &src.rgba[src.offset(static_cast<std::uint32_t>(dx - x),
                                                   static_cast<std::uint32_t>(dy - y))];
      std::uint8_t* d =
          &dst.rgba[dst.offset(static_cast<std::uint32_t>(dx), static_cast<std::uint32_t>(dy))];
      const std::uint32_t a = s[3];
      if (a == 0) continue;
      d[0] = over(s[0], d[0], a);
      d[1] = over(s[1], d[1], a);
      d[2] = over(s[2], d[2], a);
    }
  }
}

}  // namespace periscope::image
