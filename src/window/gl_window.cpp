#include "window/gl_window.hpp"

#include <SDL2/SDL.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

#include "common/log.hpp"

namespace periscope::window {

Result<std::unique_ptr<GlWindow>> GlWindow::open(const GlWindowOptions& options) {
  // Native Wayland when the desktop is Wayland (SDL 2.26 would pick XWayland first).
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  if (wayland != nullptr && *wayland != '\0' && std::getenv("SDL_VIDEODRIVER") == nullptr) {
    SDL_SetHint(SDL_HINT_VIDEODRIVER, "wayland,x11");
  }
  SDL_SetHint(SDL_HINT_MOUSE_FOCUS_CLICKTHROUGH, "1");
  SDL_SetHint(SDL_HINT_VIDEO_MINIMIZE_ON_FOCUS_LOSS, "0");
  std::unique_ptr<GlWindow> w(new GlWindow);
  if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
    return fail(ErrorCode::kNotFound,
                "cannot open a window ({}). Is there a display (DISPLAY or WAYLAND_DISPLAY)? "
                "Without one, use `periscope view --headless`.",
                SDL_GetError());
  }
  w->sdl_up_ = true;
  // With no display SDL falls back to drawing off screen, which would be a window nobody
  // sees; only take that when asked for (SDL_VIDEODRIVER=offscreen, for benchmarks).
  const std::string_view driver = SDL_GetCurrentVideoDriver();
  if ((driver == "offscreen" || driver == "dummy") && std::getenv("SDL_VIDEODRIVER") == nullptr) {
    return fail(ErrorCode::kNotFound,
                "cannot open a window: no display (DISPLAY and WAYLAND_DISPLAY are not set or "
                "not reachable). Without one, use `periscope view --headless`.");
  }
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_ES);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 0);
  SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
  Uint32 flags = SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI;
  if (options.fullscreen) flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
  w->window_ =
      SDL_CreateWindow(options.title.c_str(), SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                       static_cast<int>(options.width), static_cast<int>(options.height), flags);
  if (w->window_ == nullptr) {
    return fail(ErrorCode::kNotFound, "cannot open a window: {}", SDL_GetError());
  }
  w->context_ = SDL_GL_CreateContext(w->window_);
  if (w->context_ == nullptr) {
    return fail(ErrorCode::kUnsupported, "no OpenGL ES 3.0 context: {}", SDL_GetError());
  }
  // Vsync off: a frame is shown the moment it is whole (the lowest latency; the compositor
  // still paces the desktop). On: presents wait for the display, late frames are skipped.
  if (SDL_GL_SetSwapInterval(options.vsync ? 1 : 0) != 0) {
    spdlog::warn("cannot set the swap interval: {}", SDL_GetError());
  }
  SDL_Window* window = w->window_;
  auto presenter = GlPresenter::create(GlHooks{[window] {
                                                 int dw = 0;
                                                 int dh = 0;
                                                 SDL_GL_GetDrawableSize(window, &dw, &dh);
                                                 return viewer::OutputSize{
                                                     static_cast<std::uint32_t>(std::max(dw, 0)),
                                                     static_cast<std::uint32_t>(std::max(dh, 0))};
                                               },
                                               [window] { SDL_GL_SwapWindow(window); }});
  if (!presenter) return tl::unexpected(presenter.error());
  w->presenter_ = std::move(*presenter);
  w->description_ =
      fmt::format("{} via {} ({})", reinterpret_cast<const char*>(glGetString(GL_RENDERER)), driver,
                  reinterpret_cast<const char*>(glGetString(GL_VERSION)));
  return w;
}

GlWindow::~GlWindow() {
  presenter_.reset();  // its GL objects go while the context is still current
  if (context_ != nullptr) SDL_GL_DeleteContext(context_);
  if (window_ != nullptr) SDL_DestroyWindow(window_);
  if (sdl_up_) SDL_Quit();
}

}  // namespace periscope::window
