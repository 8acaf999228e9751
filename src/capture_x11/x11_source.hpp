#pragma once
// The X11 capture source: the root window of an X display (a Linux desktop guest under X11),
// as BGRA frames with the damage since the previous frame, and the cursor.
//
//  - Frames: XDamage on the root tells what changed; only then are those rows read back
//    (MIT-SHM, or XGetImage on a remote display). An idle screen is a blocked poll() on the X
//    connection: no reads, no copies.
//  - Cursor: XFixes tells when the shape changes (and gives it, premultiplied ARGB, converted
//    to B7's straight-alpha BGRA); XInput2 raw motion wakes the loop when the pointer moves,
//    and XQueryPointer says where it is. capture_frame returns kTimeout early on those wakes so
//    that run_capture_loop calls poll_cursor at once.
//  - A root size change (RandR) is reported as kReinit; the next frame is the whole screen.
//
// Depth-24 TrueColor screens only (what every current X desktop runs). X headers stay out of
// this header (Xlib's macros clash with ours); the X state lives in x11_source.cpp.
// Not thread-safe: capture_frame and poll_cursor must run on one thread (as the loop does),
// Xlib is used without XInitThreads.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "capture/capture_source.hpp"
#include "common/result.hpp"

namespace periscope::capture {

struct X11SourceOptions {
  std::string display;  // e.g. ":0"; empty: $DISPLAY
  bool use_shm{true};   // false: always XGetImage (what a remote display gets anyway)
  // At most this many frames a second however fast the screen changes (0 = no limit): a
  // program redrawing without vsync must not make the agent read the screen thousands of
  // times a second. Damage that comes sooner waits and is merged into the next frame.
  double max_fps{120.0};
};

class X11Source final : public CaptureSource {
 public:
  // Connects and checks the screen; fails with a message a user can act on (no display, not
  // depth 24, no XDamage/XFixes).
  static Result<std::unique_ptr<X11Source>> open(const X11SourceOptions& options);
  ~X11Source() override;
  X11Source(const X11Source&) = delete;
  X11Source& operator=(const X11Source&) = delete;

  [[nodiscard]] std::string_view name() const override { return "x11"; }
  // The whole screen first (and after kReinit), then a frame whenever damage arrived. Returns
  // kTimeout early when the cursor changed, so the caller polls it.
  CaptureStatus capture_frame(Nanoseconds timeout, CapturedFrame& frame) override;
  std::optional<CapturedCursor> poll_cursor() override;

  // The screen size as last seen (changes after kReinit).
  [[nodiscard]] std::uint32_t width() const;
  [[nodiscard]] std::uint32_t height() const;
  // Whether the screen is read through MIT-SHM (false: XGetImage).
  [[nodiscard]] bool uses_shm() const;

 private:
  struct State;
  explicit X11Source(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The factory a capture agent uses for `--source x11`.
Result<std::unique_ptr<CaptureSource>> make_x11_source(const X11SourceOptions& options);

}  // namespace periscope::capture
