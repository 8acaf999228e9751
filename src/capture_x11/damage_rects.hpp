#pragma once
// What the X server says changed, turned into what the B7 frame header can carry and into the
// rows the capture has to read back. Pure functions (no X): the X11 source feeds them the
// rectangles of an XFixes region.
#include <cstdint>
#include <span>
#include <vector>

#include "relay/layout.hpp"

namespace periscope::capture::x11 {

// A rectangle as X reports it: signed origin, may lie partly (or wholly) off the screen.
struct ScreenRect {
  std::int32_t x{0};
  std::int32_t y{0};
  std::uint32_t width{0};
  std::uint32_t height{0};
};

// Clips every rect to the width x height screen and drops the empty ones. More rects than a
// frame header holds (b7::kMaxDamageRects) become their one bounding box: a consumer copies a
// little more, but never misses a change. An empty result means "nothing on screen changed".
std::vector<b7::DamageRect> clip_damage(std::span<const ScreenRect> rects, std::uint32_t width,
                                        std::uint32_t height);

// A run of whole rows [y, y + rows).
struct RowBand {
  std::uint32_t y{0};
  std::uint32_t rows{0};
  friend bool operator==(const RowBand&, const RowBand&) = default;
};

// The rows the rects touch, as sorted, disjoint bands. Bands closer than `merge_gap_rows` are
// joined: one read-back request of a few extra rows costs less than a second round trip.
std::vector<RowBand> row_bands(std::span<const b7::DamageRect> rects, std::uint32_t merge_gap_rows);

}  // namespace periscope::capture::x11
