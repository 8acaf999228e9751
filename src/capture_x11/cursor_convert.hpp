#pragma once
// XFixes cursor images -> the B7 colour cursor. XFixes gives one ARGB word per pixel, alpha in
// the top byte, colours PRE-multiplied by alpha (XFixes protocol, GetCursorImage); B7's colour
// cursor is BGRA bytes with STRAIGHT alpha (the viewer blends src*a + dst*(1-a)), so the
// colours are divided back by alpha. Pure functions (no X): Xlib's `unsigned long` words are
// passed in as a span.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace periscope::capture::x11 {

// One premultiplied 0xAARRGGBB word -> straight-alpha B, G, R, A bytes, each colour
// round(c * 255 / a) clamped to 255 (a premultiplied colour above its alpha is malformed);
// alpha 0 gives 0, 0, 0, 0.
void unpremultiply_argb(std::uint32_t argb, std::byte* bgra_out);

// A width x height cursor (row-major words, Xlib hands them over as unsigned long) as B7
// colour-cursor bytes, pitch width * 4. Images larger than B7's 512 x 512 are cut to their
// top-left 512 x 512 (the hotspot is nearly always there).
struct ConvertedCursor {
  std::uint32_t width{0};
  std::uint32_t height{0};
  std::vector<std::byte> bgra;    // height * width * 4
  bool any_visible_pixel{false};  // false for the blank cursors programs use to hide it
};
ConvertedCursor convert_xfixes_cursor(std::span<const unsigned long> words, std::uint32_t width,
                                      std::uint32_t height);

}  // namespace periscope::capture::x11
