#pragma once
// Where the guest's picture goes in the window for each scaling mode. Pure geometry, shared
// by every presenter and by the mouse mapping (input::window_to_absolute), so the guest
// cursor lands under the host cursor whatever the mode.
#include <cstdint>
#include <optional>
#include <string_view>

#include "input/input_events.hpp"

namespace periscope::viewer {

enum class ScaleMode {
  kFit,      // as large as fits, aspect kept, centred (letter/pillar boxes): the default
  kInteger,  // the largest whole multiple that fits, centred: sharp pixels for old games
  kStretch,  // fills the window, aspect ignored
  kNative,   // one guest pixel per window pixel, centred, cropped when the window is smaller
};

std::string_view scale_mode_name(ScaleMode mode);
std::optional<ScaleMode> parse_scale_mode(std::string_view name);

// Whether the mode samples between guest pixels (linear filtering) or maps whole pixels.
bool scale_mode_is_smooth(ScaleMode mode);

// The picture rectangle in window pixels. A guest or window of zero size gives an empty
// rectangle. Integer mode falls back to fit when even 1x does not fit (a big guest in a small
// window is shrunk rather than cropped; native mode is the way to see it 1:1).
input::PictureRect picture_rect(ScaleMode mode, std::uint32_t window_width,
                                std::uint32_t window_height, std::uint32_t guest_width,
                                std::uint32_t guest_height);

}  // namespace periscope::viewer
