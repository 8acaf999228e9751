#pragma once
// `periscope view` with a window: SDL2 for the window, events and the GL context; the frames
// come from the receive thread through the consumer's FrameRing, the GL presenter draws them,
// and keyboard and mouse go to the VM through QMP when --qmp is given.
#include <atomic>
#include <optional>
#include <string>

#include "viewer/scaling.hpp"

namespace periscope::window {

struct WindowViewOptions {
  std::string shm_path;
  std::optional<double> seconds;  // until closed when empty
  std::string stats_json_path;    // empty: none
  std::string post_clock_path;    // empty: none
  viewer::ScaleMode scale{viewer::ScaleMode::kFit};
  bool overlay{false};
  bool fullscreen{false};
  bool auto_resize{false};  // the window follows the guest's resolution
  bool vsync{false};        // false: show each frame as soon as it is whole
  std::uint32_t window_width{1280};
  std::uint32_t window_height{720};
  std::string screenshot_path;  // with screenshot_after_frames
  std::uint64_t screenshot_after_frames{1};
  std::string qmp_path;  // empty: view only
  std::string escape_key{"scrolllock"};
  std::string title{"Periscope"};
  const std::atomic<bool>* stop{nullptr};
};

// Returns the exit code: 0 after a clean run, 1 when the region, an output or the GPU fails,
// 2 when no window can be opened (no display) or an option is wrong.
int run_window_view(const WindowViewOptions& options);

// The keyboard shortcuts, for --help and the README.
inline constexpr const char* kShortcutHelp =
    "Shortcuts (hold the escape key, Scroll Lock by default, then press):\n"
    "  F  fullscreen on/off      O  statistics overlay on/off\n"
    "  R  release every key      Q  quit\n"
    "  the escape key alone: capture the mouse and keyboard (relative mouse, for games) "
    "or release them";

}  // namespace periscope::window
