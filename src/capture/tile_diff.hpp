#pragma once
// Damage detection for sources that can only be polled (a framebuffer): compare the live
// picture with the last copy in tiles, copy only the tiles that changed, and describe them as
// a few rectangles. An idle screen costs one read of the picture and no writes.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "relay/layout.hpp"

namespace periscope::capture {

struct PixelPlane {
  const std::byte* data{nullptr};
  std::uint32_t pitch_bytes{0};
};

struct MutablePixelPlane {
  std::byte* data{nullptr};
  std::uint32_t pitch_bytes{0};
};

struct TileGrid {
  std::uint32_t width{0};  // pixels
  std::uint32_t height{0};
  std::uint32_t bytes_per_pixel{4};
  // A tile is a band of `tile_rows` rows, `tile_columns` pixels wide: wide and short so a
  // changed line of console text makes a thin rectangle.
  std::uint32_t tile_columns{64};
  std::uint32_t tile_rows{16};
};

// Copies every tile of `live` that differs from `copy` into `copy` and returns the changed
// area as rectangles: tiles merged along each band, then bands with the same columns merged
// downwards. At most `max_rects` rectangles; beyond that the bounding box of all changes.
std::vector<b7::DamageRect> copy_changed_tiles(PixelPlane live, MutablePixelPlane copy,
                                               const TileGrid& grid,
                                               std::size_t max_rects = b7::kMaxDamageRects);

}  // namespace periscope::capture
