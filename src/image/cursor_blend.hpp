#pragma once
// Drawing the guest's cursor onto a converted frame, the way the B7 viewer and Windows do
// (spec section 5.3), so screenshots show the pointer where the guest's user sees it.
#include "image/rgba_image.hpp"
#include "relay/consumer.hpp"

namespace periscope::image {

// Draws cursor.shape with its top-left at (cursor.x, cursor.y), clipped to the image. Does
// nothing when the cursor is hidden or has no shape. The screen is treated as opaque: RGB is
// blended or combined, the screen's alpha is kept (raised by a colour cursor's own alpha).
// The shape came from the guest: bytes outside shape.pixels (or beyond its pitch) are never
// read and the pixels they would have described are left alone.
void draw_cursor(RgbaImage& image, const CursorState& cursor);

}  // namespace periscope::image
