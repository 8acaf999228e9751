#include "viewer/ttf_library.hpp"

#include <utility>

#include <SDL_ttf.h>

namespace periscope::viewer {

Result<TtfLibrary> TtfLibrary::acquire() {
  if (TTF_Init() != 0) return fail(ErrorCode::kUnsupported, "TTF_Init failed: {}", TTF_GetError());
  TtfLibrary library;
  library.held_ = true;
  return library;
}

TtfLibrary::TtfLibrary(TtfLibrary&& other) noexcept : held_(std::exchange(other.held_, false)) {}

TtfLibrary& TtfLibrary::operator=(TtfLibrary&& other) noexcept {
  if (this != &other) {
    release();
    held_ = std::exchange(other.held_, false);
  }
  return *this;
}

TtfLibrary::~TtfLibrary() {
  release();
}

void TtfLibrary::release() {
  if (held_) TTF_Quit();
  held_ = false;
}

int TtfLibrary::references() {
  return TTF_WasInit();
}

}  // namespace periscope::viewer
