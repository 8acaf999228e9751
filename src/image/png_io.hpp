#pragma once
// Saving and loading 8-bit RGBA images as PNG (screenshots, reference images in tests).
#include <string>

#include "common/result.hpp"
#include "image/rgba_image.hpp"

namespace periscope::image {

// Writes `image` as an 8-bit RGBA PNG. The data goes to `path + ".tmp"` first and is renamed
// over `path` only when complete, so a reader never sees half a file. kInvalidArgument for an
// empty or inconsistent image, kIo (with errno where there is one) when the file cannot be
// written.
Status write_png(const std::string& path, const RgbaImage& image);

// Reads any PNG libpng understands (palette, grey, 16-bit, with or without alpha) and converts
// it to 8-bit RGBA.
Result<RgbaImage> read_png(const std::string& path);

}  // namespace periscope::image
