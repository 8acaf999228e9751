#include "image/png_io.hpp"

#include <png.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

namespace periscope::image {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

// Refuse to allocate more than this for a PNG from disk (16384 x 16384, the frame limit).
constexpr std::uint64_t kMaxReadPixels = std::uint64_t{16384} * 16384;

png_image new_png_image() {
  png_image png;
  std::memset(&png, 0, sizeof png);  // the simplified API requires a zeroed struct
  png.version = PNG_IMAGE_VERSION;
  return png;
}

// Writes the PNG into `tmp`; the caller removes it on failure.
Status write_file(const std::string& tmp, const RgbaImage& image) {
  File file(std::fopen(tmp.c_str(), "wb"));
  if (!file) return fail_errno(errno, "cannot create " + tmp);

  png_image png = new_png_image();
  png.width = image.width;
  png.height = image.height;
  png.format = PNG_FORMAT_RGBA;
  if (png_image_write_to_stdio(&png, file.get(), 0, image.rgba.data(), 0, nullptr) == 0) {
    return fail(ErrorCode::kIo, "cannot write PNG {}: {}", tmp, png.message);
  }
  // fclose reports write errors (a full disk) that buffering hid until now.
  if (std::fclose(file.release()) != 0) return fail_errno(errno, "cannot write " + tmp);
  return {};
}

}  // namespace

Status write_png(const std::string& path, const RgbaImage& image) {
  if (image.width == 0 || image.height == 0 || !image.valid()) {
    return fail(ErrorCode::kInvalidArgument,
                "cannot write {}: image is {}x{} with {} bytes (needs non-zero size and "
                "width*height*4 bytes)",
                path, image.width, image.height, image.rgba.size());
  }
  const std::string tmp = path + ".tmp";
  if (Status written = write_file(tmp, image); !written) {
    std::remove(tmp.c_str());
    return written;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    return fail_errno(err, "cannot rename " + tmp + " to " + path);
  }
  return {};
}

Result<RgbaImage> read_png(const std::string& path) {
  File file(std::fopen(path.c_str(), "rb"));
  if (!file) return fail_errno(errno, "cannot open " + path);

  png_image png = new_png_image();
  if (png_image_begin_read_from_stdio(&png, file.get()) == 0) {
    // On failure libpng has already freed its state.
    return fail(ErrorCode::kProtocol, "cannot read PNG {}: {}", path, png.message);
  }
  if (static_cast<std::uint64_t>(png.width) * png.height > kMaxReadPixels) {
    const std::uint32_t w = png.width;
    const std::uint32_t h = png.height;
    png_image_free(&png);
    return fail(ErrorCode::kUnsupported, "PNG {} is {}x{}, larger than we accept", path, w, h);
  }
  // Ask for 8-bit RGBA; libpng expands palettes, grey and 16-bit samples to it.
  png.format = PNG_FORMAT_RGBA;
  RgbaImage image;
  image.width = png.width;
  image.height = png.height;
  image.rgba.resize(static_cast<std::size_t>(png.width) * png.height * 4);
  // finish_read frees libpng's state whether it succeeds or not.
  if (png_image_finish_read(&png, nullptr, image.rgba.data(), 0, nullptr) == 0) {
    return fail(ErrorCode::kProtocol, "cannot decode PNG {}: {}", path, png.message);
  }
  return image;
}

}  // namespace periscope::image
