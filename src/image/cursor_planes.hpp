#pragma once
// A cursor shape of any B7 type as two RGBA planes that a GPU can apply with one formula:
//   out = mix(screen, blend.rgb, blend.a)          (straight alpha)
//   out = out XOR xor.rgb   where xor.a == 255       (per channel, 8-bit)
// Colour cursors only blend; monochrome and masked-colour cursors replace (blend alpha 255)
// or XOR onto the screen. apply_cursor_planes() is the CPU form of that formula and matches
// draw_cursor() exactly, which is how the GL presenter's shader is known to draw what the
// guest's user sees.
#include <cstdint>

#include "image/rgba_image.hpp"
#include "relay/consumer.hpp"

namespace periscope::image {

struct CursorPlanes {
  RgbaImage blend;     // colour and straight alpha; alpha 0 where the screen shows through
  RgbaImage xor_mask;  // rgb XORed onto the screen where alpha is 255 (else alpha 0)
};

// Both planes are width x visible-height (a monochrome shape's height counts both masks, so
// half of it). Bytes the guest did not send (beyond the pitch or the buffer) are transparent.
CursorPlanes cursor_planes(const CursorShape& shape);

// Applies the planes with their top-left at (x, y), clipped to the image.
void apply_cursor_planes(RgbaImage& image, const CursorPlanes& planes, std::int64_t x,
                         std::int64_t y);

}  // namespace periscope::image
