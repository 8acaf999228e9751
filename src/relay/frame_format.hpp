#pragma once
// Facts about KVMFR frame types: bytes per stored texel, packing, the region-size rule.
#include <cstdint>
#include <optional>
#include <string_view>

#include "relay/layout.hpp"

namespace periscope::b7 {

inline bool is_valid_frame_type(std::uint32_t type) {
  return type >= 1 && type < kFrameTypeCount;
}

// Bytes of one stored texel: 8 for RGBA16F, 4 for everything else (the 24-bit types pack
// 4/3 pixels into each 32-bit texel).
inline std::uint32_t texel_bytes(FrameType type) {
  return type == FrameType::kRgba16f ? 8 : 4;
}

inline bool is_packed_24bit(FrameType type) {
  return type == FrameType::kBgr32 || type == FrameType::kRgb24;
}

// 32-bit texels needed to hold `pixels` 24-bit pixels (3 bytes each), rounded up.
inline std::uint32_t packed_texels(std::uint32_t pixels) {
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(pixels) * 3 + 3) / 4);
}

std::string_view frame_type_name(FrameType type);
std::optional<FrameType> parse_frame_type(std::string_view name);

// The B7 sizing rule: W x H x bytes-per-pixel x 2 frames, in MiB, plus 10 MiB, rounded up to a
// power of two. bytes_per_pixel is 4 for SDR and 8 for HDR.
std::uint64_t recommended_region_bytes(std::uint32_t width, std::uint32_t height,
                                       std::uint32_t bytes_per_pixel);

}  // namespace periscope::b7
