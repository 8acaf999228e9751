#pragma once
// One reference to SDL_ttf's global state. TTF_Init and TTF_Quit count (SDL_ttf >= 2.0.18):
// each holder calls TTF_Init once and TTF_Quit once, so FreeType is shut down only when the
// last holder goes, and never under a font that is still open. Not thread-safe (neither is
// SDL_ttf's counter): acquire and release on the thread that renders text.
#include "common/result.hpp"

namespace periscope::viewer {

class TtfLibrary {
 public:
  static Result<TtfLibrary> acquire();

  TtfLibrary(TtfLibrary&& other) noexcept;
  TtfLibrary& operator=(TtfLibrary&& other) noexcept;
  TtfLibrary(const TtfLibrary&) = delete;
  TtfLibrary& operator=(const TtfLibrary&) = delete;
  ~TtfLibrary();

  // SDL_ttf's count of unreleased TTF_Init calls (all holders, and anyone else's); for tests.
  static int references();

 private:
  TtfLibrary() = default;
  void release();

  bool held_{false};
};

}  // namespace periscope::viewer
