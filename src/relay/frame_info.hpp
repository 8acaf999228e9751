#pragma once
// Validation of a KVMFR frame header copied out of shared memory. The result holds only
// values that were checked against the mapping, so the copy code can trust it.
#include <array>
#include <cstdint>

#include "common/result.hpp"
#include "relay/layout.hpp"

namespace periscope::b7 {

inline constexpr std::uint32_t kMaxFrameDim = 16384;
inline constexpr std::uint32_t kMaxPitchBytes = kMaxFrameDim * 8 * 2;

// A damage rectangle in stored-texel coordinates (x in texels, y in rows), clamped.
struct TexelRect {
  std::uint32_t x;
  std::uint32_t y;
  std::uint32_t width;
  std::uint32_t height;
};

struct FrameInfo {
  FrameType type{FrameType::kInvalid};
  std::uint32_t format_ver{0};
  std::uint32_t serial{0};
  std::uint32_t screen_width{0};
  std::uint32_t screen_height{0};
  std::uint32_t data_width{0};  // texels
  std::uint32_t data_height{0};
  std::uint32_t frame_width{0};  // pixels once unpacked
  std::uint32_t frame_height{0};
  FrameRotation rotation{FrameRotation::k0};
  std::uint32_t pitch{0};
  std::uint32_t flags{0};
  std::uint64_t wp_offset{0};    // of the atomic write pointer, from the start of the mapping
  std::uint64_t data_offset{0};  // of the first pixel byte
  std::uint64_t data_bytes{0};   // data_height * pitch
  bool full_damage{true};
  std::uint32_t damage_count{0};
  std::array<TexelRect, kMaxDamageRects> damage{};

  // Rows the image really has (a truncated frame has fewer stored rows than its height).
  [[nodiscard]] std::uint32_t visible_rows() const {
    return frame_height < data_height ? frame_height : data_height;
  }
  [[nodiscard]] bool same_format(const FrameInfo& other) const {
    return format_ver == other.format_ver && type == other.type && data_width == other.data_width &&
           data_height == other.data_height && frame_width == other.frame_width &&
           frame_height == other.frame_height && pitch == other.pitch;
  }
};

// `message_offset` is where the frame header sits in the mapping; `region_bytes` its size.
Result<FrameInfo> validate_frame(const KvmfrFrame& frame, std::uint64_t message_offset,
                                 std::uint64_t region_bytes);

}  // namespace periscope::b7
