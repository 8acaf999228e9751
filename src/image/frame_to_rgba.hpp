#pragma once
// Turning a received KVMFR frame into an upright 8-bit RGBA image (for screenshots, tests and
// anything else that wants plain pixels rather than the guest's storage format).
#include <cstddef>
#include <span>

#include "image/rgba_image.hpp"
#include "relay/frame_info.hpp"

namespace periscope::image {

// Converts `pixels` (info.data_height rows of info.pitch bytes, as periscope::Frame holds
// them) to RGBA and applies info.rotation.
//
// Rotation: the value says how far the guest's display is rotated clockwise, and the stored
// frame_width x frame_height image is in the display's unrotated orientation. We rotate the
// image clockwise by that angle so the result is what the guest's user sees upright: for 90
// the stored top-left pixel ends up top-right, for 270 bottom-left. 90 and 270 swap width and
// height.
//
// The bytes come from an untrusted guest: nothing outside `pixels` is read, and any pixel
// whose bytes are missing (beyond the pitch, the span, or visible_rows()) comes out opaque
// black. RGBA16F is mapped to SDR: clamp to [0, 1], sRGB OETF, 8 bits.
RgbaImage frame_to_rgba(const b7::FrameInfo& info, std::span<const std::byte> pixels);

// What a viewer shows: the desktop is opaque whatever its alpha bytes say (a Linux framebuffer
// leaves the X byte of XRGB at 0; B7 clients and our window draw frames opaque), so the
// picture's alpha is set to 255.
void make_opaque(RgbaImage& image);

}  // namespace periscope::image
