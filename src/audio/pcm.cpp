#include "audio/pcm.hpp"

#include <algorithm>
#include <cmath>

namespace periscope::audio {

namespace {

constexpr float kScale16 = 32768.0F;
constexpr float kScale24 = 8388608.0F;
constexpr double kScale32 = 2147483648.0;

std::uint32_t byte_at(std::span<const std::byte> pcm, std::size_t i) {
  return std::to_integer<std::uint32_t>(pcm[i]);
}

// Scales, rounds to nearest and clips to [-scale, scale - 1] in integer steps.
std::int64_t quantize(float sample, double scale) {
  if (std::isnan(sample)) return 0;
  const double scaled = std::nearbyint(static_cast<double>(sample) * scale);
  return static_cast<std::int64_t>(std::clamp(scaled, -scale, scale - 1.0));
}

void put_le(std::span<std::byte> out, std::size_t at, std::uint32_t value, std::size_t bytes) {
  for (std::size_t b = 0; b < bytes; ++b) {
    out[at + b] = static_cast<std::byte>((value >> (8 * b)) & 0xffU);
  }
}

}  // namespace

std::size_t pcm_sample_bytes(std::uint8_t bits) {
  return bits == 16 || bits == 24 || bits == 32 ? std::size_t{bits} / 8 : 0;
}

std::size_t decode_pcm(std::uint8_t bits, std::span<const std::byte> pcm, std::span<float> out) {
  const std::size_t step = pcm_sample_bytes(bits);
  if (step == 0) return 0;
  const std::size_t samples = std::min(pcm.size() / step, out.size());
  for (std::size_t i = 0; i < samples; ++i) {
    const std::size_t at = i * step;
    switch (bits) {
      case 16: {
        const auto v = static_cast<std::int16_t>(byte_at(pcm, at) | (byte_at(pcm, at + 1) << 8));
        out[i] = static_cast<float>(v) / kScale16;
        break;
      }
      case 24: {
        // Place the 24 bits at the top of an int32 so the sign extends, then shift back.
        const std::uint32_t raw =
            (byte_at(pcm, at) << 8) | (byte_at(pcm, at + 1) << 16) | (byte_at(pcm, at + 2) << 24);
        out[i] = static_cast<float>(static_cast<std::int32_t>(raw) >> 8) / kScale24;
        break;
      }
      default: {
        const std::uint32_t raw = byte_at(pcm, at) | (byte_at(pcm, at + 1) << 8) |
                                  (byte_at(pcm, at + 2) << 16) | (byte_at(pcm, at + 3) << 24);
        out[i] = static_cast<float>(static_cast<double>(static_cast<std::int32_t>(raw)) / kScale32);
        break;
      }
    }
  }
  return samples;
}

std::size_t encode_pcm(std::uint8_t bits, std::span<const float> samples,
                       std::span<std::byte> out) {
  const std::size_t step = pcm_sample_bytes(bits);
  if (step == 0) return 0;
  const std::size_t count = std::min(samples.size(), out.size() / step);
  const double scale = static_cast<double>(std::uint64_t{1} << (bits - 1));
  for (std::size_t i = 0; i < count; ++i) {
    const auto value = static_cast<std::uint32_t>(quantize(samples[i], scale));
    put_le(out, i * step, value, step);
  }
  return count * step;
}

}  // namespace periscope::audio
