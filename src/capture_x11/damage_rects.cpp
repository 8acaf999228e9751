#include "capture_x11/damage_rects.hpp"

#include <algorithm>

namespace periscope::capture::x11 {

std::vector<b7::DamageRect> clip_damage(std::span<const ScreenRect> rects, std::uint32_t width,
                                        std::uint32_t height) {
  std::vector<b7::DamageRect> out;
  out.reserve(rects.size());
  for (const ScreenRect& r : rects) {
    // 64-bit so that an origin near INT32_MAX plus a width cannot wrap.
    const std::int64_t x0 = std::max<std::int64_t>(r.x, 0);
    const std::int64_t y0 = std::max<std::int64_t>(r.y, 0);
    const std::int64_t x1 = std::min<std::int64_t>(std::int64_t{r.x} + r.width, width);
    const std::int64_t y1 = std::min<std::int64_t>(std::int64_t{r.y} + r.height, height);
    if (x1 <= x0 || y1 <= y0) continue;
    out.push_back({static_cast<std::uint32_t>(x0), static_cast<std::uint32_t>(y0),
                   static_cast<std::uint32_t>(x1 - x0), static_cast<std::uint32_t>(y1 - y0)});
  }
  if (out.size() <= b7::kMaxDamageRects) return out;
  std::uint32_t x0 = width;
  std::uint32_t y0 = height;
  std::uint32_t x1 = 0;
  std::uint32_t y1 = 0;
  for (const b7::DamageRect& r : out) {
    x0 = std::min(x0, r.x);
    y0 = std::min(y0, r.y);
    x1 = std::max(x1, r.x + r.width);
    y1 = std::max(y1, r.y + r.height);
  }
  return {{x0, y0, x1 - x0, y1 - y0}};
}

std::vector<RowBand> row_bands(std::span<const b7::DamageRect> rects,
                               std::uint32_t merge_gap_rows) {
  std::vector<RowBand> bands;
  for (const b7::DamageRect& r : rects) {
    if (r.height > 0 && r.width > 0) bands.push_back({r.y, r.height});
  }
  std::sort(bands.begin(), bands.end(),
            [](const RowBand& a, const RowBand& b) { return a.y < b.y; });
  std::vector<RowBand> merged;
  for (const RowBand& band : bands) {
    if (!merged.empty()) {
      RowBand& last = merged.back();
      const std::uint64_t last_end = std::uint64_t{last.y} + last.rows;
      if (std::uint64_t{band.y} <= last_end + merge_gap_rows) {
        const std::uint64_t end = std::max(last_end, std::uint64_t{band.y} + band.rows);
        last.rows = static_cast<std::uint32_t>(end - last.y);
        continue;
      }
    }
    merged.push_back(band);
  }
  return merged;
}

}  // namespace periscope::capture::x11
