#pragma once
// An 8-bit RGBA image in memory: what frames are converted to before they are saved as PNG or
// compared in tests. Rows are tightly packed (width * 4 bytes), top row first.
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <vector>

namespace periscope::image {

struct Rgba {
  std::uint8_t r{0};
  std::uint8_t g{0};
  std::uint8_t b{0};
  std::uint8_t a{0};
  friend bool operator==(const Rgba&, const Rgba&) = default;
};

inline constexpr Rgba kOpaqueBlack{0, 0, 0, 255};

// Prints {r,g,b,a}; for logs and test failure messages.
std::ostream& operator<<(std::ostream& os, const Rgba& colour);

struct RgbaImage {
  std::uint32_t width{0};
  std::uint32_t height{0};
  std::vector<std::uint8_t> rgba;  // width * height * 4 bytes: R, G, B, A

  // An image of the given size with every pixel set to `colour`.
  static RgbaImage filled(std::uint32_t w, std::uint32_t h, Rgba colour) {
    RgbaImage image;
    image.width = w;
    image.height = h;
    image.rgba.resize(static_cast<std::size_t>(w) * h * 4);
    for (std::size_t i = 0; i < image.rgba.size(); i += 4) {
      image.rgba[i] = colour.r;
      image.rgba[i + 1] = colour.g;
      image.rgba[i + 2] = colour.b;
      image.rgba[i + 3] = colour.a;
    }
    return image;
  }

  // False when the buffer does not match the size (a default or hand-built image).
  [[nodiscard]] bool valid() const {
    return rgba.size() == static_cast<std::size_t>(width) * height * 4;
  }

  // Byte offset of pixel (x, y); the caller keeps x < width and y < height.
  [[nodiscard]] std::size_t offset(std::uint32_t x, std::uint32_t y) const {
    assert(x < width && y < height);
    return (static_cast<std::size_t>(y) * width + x) * 4;
  }

  [[nodiscard]] Rgba at(std::uint32_t x, std::uint32_t y) const {
    const std::size_t i = offset(x, y);
    return Rgba{rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]};
  }

  void set(std::uint32_t x, std::uint32_t y, Rgba colour) {
    const std::size_t i = offset(x, y);
    rgba[i] = colour.r;
    rgba[i + 1] = colour.g;
    rgba[i + 2] = colour.b;
    rgba[i + 3] = colour.a;
  }
};

}  // namespace periscope::image
