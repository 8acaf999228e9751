#pragma once
// Text as RGBA images, for the viewer's stats overlay and status screens: SDL_ttf renders a
// line, the result is converted into an image::RgbaImage that the GL presenter uploads and the
// headless presenter blends. SDL_ttf.h stays out of this header (it is linked privately).
#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "image/rgba_image.hpp"
#include "viewer/ttf_library.hpp"

struct _TTF_Font;  // SDL_ttf's TTF_Font

namespace periscope::viewer {

// Debian's fonts-dejavu-core: monospaced, so numbers that change do not make lines jump.
inline constexpr const char* kDefaultFontPath =
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";

// One font at one size. Movable, not copyable. Rendering fills SDL_ttf's glyph cache, so one
// renderer must not be used from two threads at once (and SDL_ttf's init count is not
// thread-safe: open and destroy renderers on the thread that uses them).
class TextRenderer {
 public:
  // pixel_height: the font size in pixels (1..1024). font_path empty: $PERISCOPE_FONT when it
  // is set and non-empty, else kDefaultFontPath.
  static Result<TextRenderer> open(int pixel_height, std::string font_path = {});

  // One line of text, antialiased, in `colour` (its alpha scales the glyphs' coverage) on a
  // transparent background, straight alpha, line_height() rows high. Invalid UTF-8 sequences
  // are drawn as U+FFFD; text stops at an embedded NUL. Empty text, text SDL_ttf cannot
  // render and a moved-from renderer give a 0x0 image.
  [[nodiscard]] image::RgbaImage render(std::string_view utf8, image::Rgba colour) const;

  // The width render() would give, without drawing; 0 when it would give a 0x0 image.
  [[nodiscard]] int text_width(std::string_view utf8) const;

  // Rows between the tops of two consecutive lines (SDL_ttf's line skip).
  [[nodiscard]] int line_height() const { return line_height_; }

  // The size passed to open(): the overlay scales its layout with it.
  [[nodiscard]] int pixel_height() const { return pixel_height_; }

  TextRenderer(TextRenderer&& other) noexcept = default;
  TextRenderer& operator=(TextRenderer&& other) noexcept;
  TextRenderer(const TextRenderer&) = delete;
  TextRenderer& operator=(const TextRenderer&) = delete;
  ~TextRenderer() = default;

 private:
  struct FontCloser {
    void operator()(_TTF_Font* font) const;
  };
  using FontPtr = std::unique_ptr<_TTF_Font, FontCloser>;

  TextRenderer(TtfLibrary library, FontPtr font, int pixel_height, int line_height);

  // Declared before font_, so destroyed after it: a font is closed while SDL_ttf is still up.
  TtfLibrary library_;
  FontPtr font_;
  int pixel_height_{0};
  int line_height_{0};
};

}  // namespace periscope::viewer
