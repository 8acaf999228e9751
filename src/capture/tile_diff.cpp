#include "capture/tile_diff.hpp"

#include <algorithm>
#include <cstring>

namespace periscope::capture {

namespace {

// Compares one tile row by row; on the first differing row copies the rest of the tile.
bool copy_tile_if_changed(PixelPlane live, MutablePixelPlane copy, std::uint32_t x_bytes,
                          std::uint32_t width_bytes, std::uint32_t y, std::uint32_t rows) {
  for (std::uint32_t r = 0; r < rows; ++r) {
    const std::byte* src = live.data + static_cast<std::size_t>(y + r) * live.pitch_bytes + x_bytes;
    std::byte* dst = copy.data + static_cast<std::size_t>(y + r) * copy.pitch_bytes + x_bytes;
    if (std::memcmp(src, dst, width_bytes) != 0) {
      for (std::uint32_t rest = r; rest < rows; ++rest) {
        std::memcpy(copy.data + static_cast<std::size_t>(y + rest) * copy.pitch_bytes + x_bytes,
                    live.data + static_cast<std::size_t>(y + rest) * live.pitch_bytes + x_bytes,
                    width_bytes);
      }
      return true;
    }
  }
  return false;
}

b7::DamageRect bounding_box(const std::vector<b7::DamageRect>& rects) {
  std::uint32_t x0 = UINT32_MAX;
  std::uint32_t y0 = UINT32_MAX;
  std::uint32_t x1 = 0;
  std::uint32_t y1 = 0;
  for (const auto& r : rects) {
    x0 = std::min(x0, r.x);
    y0 = std::min(y0, r.y);
    x1 = std::max(x1, r.x + r.width);
    y1 = std::max(y1, r.y + r.height);
  }
  return {x0, y0, x1 - x0, y1 - y0};
}

}  // namespace

std::vector<b7::DamageRect> copy_changed_tiles(PixelPlane live, MutablePixelPlane copy,
                                               const TileGrid& grid, std::size_t max_rects) {
  std::vector<b7::DamageRect> rects;
  if (grid.width == 0 || grid.height == 0 || grid.tile_columns == 0 || grid.tile_rows == 0) {
    return rects;
  }
  // Rects of the band above that may still grow downwards: [first, rects.size()) of the
  // previous band.
  std::size_t previous_band_begin = 0;
  std::size_t previous_band_end = 0;
  for (std::uint32_t y = 0; y < grid.height; y += grid.tile_rows) {
    const std::uint32_t rows = std::min(grid.tile_rows, grid.height - y);
    const std::size_t band_begin = rects.size();
    for (std::uint32_t x = 0; x < grid.width; x += grid.tile_columns) {
      const std::uint32_t columns = std::min(grid.tile_columns, grid.width - x);
      if (!copy_tile_if_changed(live, copy, x * grid.bytes_per_pixel,
                                columns * grid.bytes_per_pixel, y, rows)) {
        continue;
      }
      if (rects.size() > band_begin && rects.back().x + rects.back().width == x) {
        rects.back().width += columns;  // continues the run to its left
      } else {
        rects.push_back({x, y, columns, rows});
      }
    }
    // A run with exactly the columns of a run in the band above extends that one instead.
    std::vector<b7::DamageRect> kept(rects.begin() + static_cast<std::ptrdiff_t>(band_begin),
                                     rects.end());
    rects.resize(band_begin);
    std::size_t appended = 0;
    for (const auto& run : kept) {
      bool merged = false;
      for (std::size_t i = previous_band_begin; i < previous_band_end; ++i) {
        auto& above = rects[i];
        if (above.x == run.x && above.width == run.width && above.y + above.height == run.y) {
          above.height += run.height;
          merged = true;
          break;
        }
      }
      if (!merged) {
        rects.push_back(run);
        ++appended;
      }
    }
    // Rects that grew this band stay candidates; new ones too.
    std::size_t candidates_begin = rects.size() - appended;
    for (std::size_t i = previous_band_begin; i < previous_band_end; ++i) {
      if (rects[i].y + rects[i].height == y + rows) {
        candidates_begin = std::min(candidates_begin, i);
      }
    }
    previous_band_begin = candidates_begin;
    previous_band_end = rects.size();
  }
  if (rects.size() > max_rects) {
    return {bounding_box(rects)};
  }
  return rects;
}

}  // namespace periscope::capture
