#pragma once
// An SDL2 window with an OpenGL ES 3.0 context and the GL presenter drawing into it: what the
// viewer and the benchmark both open. Owns SDL's video subsystem, the window and the context,
// and tears them down in the right order.
#include <cstdint>
#include <memory>
#include <string>

#include "common/result.hpp"
#include "window/gl_presenter.hpp"

struct SDL_Window;

namespace periscope::window {

struct GlWindowOptions {
  std::string title{"Periscope"};
  std::uint32_t width{1280};
  std::uint32_t height{720};
  bool fullscreen{false};
  bool vsync{false};
};

class GlWindow {
 public:
  // kNotFound when there is no display (the message says to use --headless); other errors
  // when the display has no usable OpenGL ES 3.0.
  static Result<std::unique_ptr<GlWindow>> open(const GlWindowOptions& options);

  GlWindow(const GlWindow&) = delete;
  GlWindow& operator=(const GlWindow&) = delete;
  ~GlWindow();

  [[nodiscard]] SDL_Window* sdl() const { return window_; }
  [[nodiscard]] GlPresenter& presenter() const { return *presenter_; }
  // "llvmpipe (LLVM 15.0.6, 256 bits) via x11", for logs and benchmark reports.
  [[nodiscard]] const std::string& description() const { return description_; }

 private:
  GlWindow() = default;

  bool sdl_up_{false};
  SDL_Window* window_{nullptr};
  void* context_{nullptr};
  std::unique_ptr<GlPresenter> presenter_;
  std::string description_;
};

}  // namespace periscope::window
