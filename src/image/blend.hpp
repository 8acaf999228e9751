#pragma once
// Compositing one RGBA image onto another: text and panels drawn by the viewer's overlay, and
// the overlay onto a frame in the headless presenter.
#include <cstdint>

#include "image/rgba_image.hpp"

namespace periscope::image {

// Draws `src` with its top-left at (x, y) onto `dst`, "source over" with straight (not
// premultiplied) alpha, clipped to `dst` on every side (x and y may be negative, src may lie
// partly or wholly outside). `dst` is treated as opaque: only its RGB changes, its alpha is
// kept. Per channel, with a = src alpha:
//   out = (src * a + dst * (255 - a) + 127) / 255   (integer division)
// which is round-to-nearest of the exact blend (no ties exist for integer numerators), so
// a = 255 copies src and a = 0 leaves dst unchanged. Does nothing when either image's buffer
// does not match its size.
void blend_over(RgbaImage& dst, const RgbaImage& src, std::int32_t x, std::int32_t y);

}  // namespace periscope::image
