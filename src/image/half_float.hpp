#pragma once
// IEEE 754 binary16 -> binary32, written out rather than relying on _Float16 or F16C so the
// result is the same on every compiler and CPU (RGBA16F frames are stored as halves).
#include <bit>
#include <cstdint>

namespace periscope::image {

constexpr float half_to_float(std::uint16_t half) {
  const std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000U) << 16;
  std::uint32_t exponent = (half >> 10) & 0x1FU;
  std::uint32_t mantissa = half & 0x3FFU;

  if (exponent == 0x1F) {  // infinity or NaN: keep the payload
    return std::bit_cast<float>(sign | 0x7F800000U | (mantissa << 13));
  }
  if (exponent == 0) {
    if (mantissa == 0) return std::bit_cast<float>(sign);  // +-0
    // Subnormal half: shift until the implicit bit appears; every half subnormal is a normal
    // float, so the result is exact.
    exponent = 1;
    while ((mantissa & 0x400U) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    mantissa &= 0x3FFU;
  }
  // Rebias the exponent from 15 to 127 (exponent may have wrapped below 1 for subnormals;
  // the unsigned sum still lands on the right value).
  const std::uint32_t float_exponent = exponent + (127U - 15U);
  return std::bit_cast<float>(sign | (float_exponent << 23) | (mantissa << 13));
}

}  // namespace periscope::image
