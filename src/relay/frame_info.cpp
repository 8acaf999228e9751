#include "relay/frame_info.hpp"

#include <algorithm>

#include "relay/frame_format.hpp"

namespace periscope::b7 {

namespace {

bool dim_ok(std::uint32_t value) {
  return value >= 1 && value <= kMaxFrameDim;
}

}  // namespace

Result<FrameInfo> validate_frame(const KvmfrFrame& f, std::uint64_t message_offset,
                                 std::uint64_t region_bytes) {
  if (!is_valid_frame_type(f.type)) return fail(ErrorCode::kProtocol, "frame type {}", f.type);
  FrameInfo info;
  info.type = static_cast<FrameType>(f.type);
  if (!dim_ok(f.data_width) || !dim_ok(f.data_height) || !dim_ok(f.frame_width) ||
      !dim_ok(f.frame_height) || f.screen_width > kMaxFrameDim || f.screen_height > kMaxFrameDim) {
    return fail(ErrorCode::kProtocol, "frame size {}x{} (data {}x{}) out of range", f.frame_width,
                f.frame_height, f.data_width, f.data_height);
  }
  if (f.rotation > 3) return fail(ErrorCode::kProtocol, "rotation {}", f.rotation);
  const std::uint32_t texel = texel_bytes(info.type);
  const std::uint64_t row_bytes = std::uint64_t{f.data_width} * texel;
  if (f.pitch < row_bytes || f.pitch > kMaxPitchBytes) {
    return fail(ErrorCode::kProtocol, "pitch {} for {} texels of {} bytes", f.pitch, f.data_width,
                texel);
  }
  // The stored texels must hold every pixel of a row.
  const std::uint64_t needed_texels =
      is_packed_24bit(info.type) ? packed_texels(f.frame_width) : f.frame_width;
  if (needed_texels > f.data_width) {
    return fail(ErrorCode::kProtocol, "{} texels per row cannot hold {} pixels", f.data_width,
                f.frame_width);
  }
  info.format_ver = f.format_ver;
  info.serial = f.frame_serial;
  info.screen_width = f.screen_width;
  info.screen_height = f.screen_height;
  info.data_width = f.data_width;
  info.data_height = f.data_height;
  info.frame_width = f.frame_width;
  info.frame_height = f.frame_height;
  info.rotation = static_cast<FrameRotation>(f.rotation);
  info.pitch = f.pitch;
  info.flags = f.flags;

  info.wp_offset = message_offset + f.offset;  // both < 2^32: no overflow in 64 bits
  info.data_offset = info.wp_offset + 4;
  info.data_bytes = std::uint64_t{f.data_height} * f.pitch;
  if (info.wp_offset % 4 != 0 || info.data_offset > region_bytes ||
      info.data_bytes > region_bytes - info.data_offset) {
    return fail(ErrorCode::kProtocol,
                "frame data ({} bytes at offset {}) lies outside the {}-byte region",
                info.data_bytes, info.data_offset, region_bytes);
  }

  // Damage: more than 64 rects cannot be real; treat as "everything changed".
  info.full_damage = f.damage_rects_count == 0 || f.damage_rects_count > kMaxDamageRects;
  if (!info.full_damage) {
    const std::uint32_t rows = info.visible_rows();
    for (std::uint32_t i = 0; i < f.damage_rects_count; ++i) {
      const DamageRect& r = f.damage_rects[i];
      if (r.x >= f.frame_width || r.y >= rows || r.width == 0 || r.height == 0) continue;
      const std::uint32_t x_end = r.x + std::min(r.width, f.frame_width - r.x);
      const std::uint32_t y_end = r.y + std::min(r.height, rows - r.y);
      TexelRect t{};
      if (is_packed_24bit(info.type)) {
        // Packed rows: pixel x maps to byte 3x, i.e. texel 3x/4.
        t.x = static_cast<std::uint32_t>(std::uint64_t{r.x} * 3 / 4);
        t.width = std::min(packed_texels(x_end), f.data_width) - t.x;
      } else {
        t.x = r.x;
        t.width = x_end - r.x;
      }
      t.y = r.y;
      t.height = y_end - r.y;
      info.damage[info.damage_count++] = t;
    }
  }
  return info;
}

}  // namespace periscope::b7
