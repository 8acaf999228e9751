#include "viewer/text_renderer.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include <SDL.h>
#include <SDL_ttf.h>

namespace periscope::viewer {
namespace {

constexpr int kMaxPixelHeight = 1024;

struct SurfaceFree {
  void operator()(SDL_Surface* surface) const { SDL_FreeSurface(surface); }
};
using SurfacePtr = std::unique_ptr<SDL_Surface, SurfaceFree>;

// Locks a surface that needs it for direct pixel access (RLE surfaces), for one scope.
class SurfaceLock {
 public:
  explicit SurfaceLock(SDL_Surface* surface)
      : surface_(SDL_MUSTLOCK(surface) ? surface : nullptr),
        ok_(surface_ == nullptr || SDL_LockSurface(surface_) == 0) {}
  ~SurfaceLock() {
    if (surface_ != nullptr && ok_) SDL_UnlockSurface(surface_);
  }
  SurfaceLock(const SurfaceLock&) = delete;
  SurfaceLock& operator=(const SurfaceLock&) = delete;
  [[nodiscard]] bool ok() const { return ok_; }

 private:
  SDL_Surface* surface_;
  bool ok_;
};

// Where the font comes from, for the error message.
struct FontSource {
  std::string path;
  std::string origin;  // empty for the default
};

FontSource choose_font(std::string font_path) {
  if (!font_path.empty()) return {std::move(font_path), "the requested font"};
  if (const char* env = std::getenv("PERISCOPE_FONT"); env != nullptr && *env != '\0') {
    return {env, "$PERISCOPE_FONT"};
  }
  return {kDefaultFontPath, {}};
}

// SDL_ttf's messages do not say whether the file was missing or not a font.
ErrorCode open_error_code(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec) ? ErrorCode::kUnsupported : ErrorCode::kNotFound;
}

}  // namespace

void TextRenderer::FontCloser::operator()(_TTF_Font* font) const {
  TTF_CloseFont(font);
}

TextRenderer::TextRenderer(TtfLibrary library, FontPtr font, int pixel_height, int line_height)
    : library_(std::move(library)),
      font_(std::move(font)),
      pixel_height_(pixel_height),
      line_height_(line_height) {}

TextRenderer& TextRenderer::operator=(TextRenderer&& other) noexcept {
  if (this != &other) {
    font_.reset();  // before our SDL_ttf reference may be the last one to go
    library_ = std::move(other.library_);
    font_ = std::move(other.font_);
    pixel_height_ = other.pixel_height_;
    line_height_ = other.line_height_;
  }
  return *this;
}

Result<TextRenderer> TextRenderer::open(int pixel_height, std::string font_path) {
  if (pixel_height < 1 || pixel_height > kMaxPixelHeight) {
    return fail(ErrorCode::kInvalidArgument, "font size {} px is outside 1..{}", pixel_height,
                kMaxPixelHeight);
  }
  auto library = TtfLibrary::acquire();
  if (!library) return tl::unexpected(library.error());

  const FontSource source = choose_font(std::move(font_path));
  FontPtr font(TTF_OpenFont(source.path.c_str(), pixel_height));
  if (!font) {
    if (source.origin.empty()) {
      return fail(open_error_code(source.path),
                  "cannot open the default font {} ({}): install the package fonts-dejavu-core, "
                  "or set PERISCOPE_FONT to a TrueType font file",
                  source.path, TTF_GetError());
    }
    return fail(open_error_code(source.path), "cannot open {} {}: {}", source.origin, source.path,
                TTF_GetError());
  }
  const int line_height = TTF_FontLineSkip(font.get());
  return TextRenderer(std::move(*library), std::move(font), pixel_height, line_height);
}

int TextRenderer::text_width(std::string_view utf8) const {
  if (!font_ || utf8.empty()) return 0;
  const std::string text(utf8);  // SDL_ttf wants a NUL-terminated string
  int w = 0;
  int h = 0;
  if (TTF_SizeUTF8(font_.get(), text.c_str(), &w, &h) != 0) return 0;
  return w;
}

image::RgbaImage TextRenderer::render(std::string_view utf8, image::Rgba colour) const {
  if (!font_ || utf8.empty()) return {};
  const std::string text(utf8);
  const SDL_Color fg{colour.r, colour.g, colour.b, colour.a};
  const SurfacePtr rendered(TTF_RenderUTF8_Blended(font_.get(), text.c_str(), fg));
  if (!rendered) return {};  // e.g. zero width ("\0..."), or out of memory
  // SDL_ttf 2.20 gives ARGB8888, but that is not promised: convert whatever it gave into bytes
  // in R, G, B, A order (RGBA32 is that on either endianness). A format conversion copies
  // pixels and alpha as they are; it does not blend.
  const SurfacePtr converted(SDL_ConvertSurfaceFormat(rendered.get(), SDL_PIXELFORMAT_RGBA32, 0));
  if (!converted || converted->w <= 0 || converted->h <= 0) return {};
  const SurfaceLock lock(converted.get());
  if (!lock.ok()) return {};

  image::RgbaImage image;
  image.width = static_cast<std::uint32_t>(converted->w);
  image.height = static_cast<std::uint32_t>(converted->h);
  image.rgba.resize(static_cast<std::size_t>(image.width) * image.height * 4);
  const std::size_t row_bytes = static_cast<std::size_t>(image.width) * 4;
  const auto* pixels = static_cast<const std::uint8_t*>(converted->pixels);
  for (std::uint32_t y = 0; y < image.height; ++y) {
    std::memcpy(&image.rgba[y * row_bytes],
                pixels + static_cast<std::size_t>(y) * static_cast<std::size_t>(converted->pitch),
                row_bytes);
  }
  return image;
}

}  // namespace periscope::viewer
