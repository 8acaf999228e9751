#pragma once
// Xlib's default handlers end the process: on any protocol error (a refused XShmAttach on a
// remote display, a window that went away) and when the connection breaks. A capture agent
// must instead fall back or report kError, so these handlers count and log errors, and the
// connection loss is recorded instead of exiting.
#include <cstdint>

#include "capture_x11/x11_includes.hpp"

namespace periscope::capture::x11 {

// Installs the non-fatal protocol-error and I/O-error handlers (process-wide, idempotent) and
// the non-exiting I/O-error exit handler on `display`.
void install_error_handlers(Display* display);

// Protocol errors seen so far, by any display of this process.
std::uint64_t protocol_errors();

// Whether `display`'s connection broke (after which every Xlib call on it is a no-op).
bool connection_lost(Display* display);

// XCloseDisplay, forgetting whether its connection broke (the address may be reused).
void close_display(Display* display);

// Counts the protocol errors caused by the requests issued in its lifetime: ok() syncs with
// the server first, so the replies to everything sent are in.
class ErrorTrap {
 public:
  explicit ErrorTrap(Display* display) : display_(display), before_(protocol_errors()) {}
  [[nodiscard]] bool ok() const {
    XSync(display_, False);
    return protocol_errors() == before_ && !connection_lost(display_);
  }

 private:
  Display* display_;
  std::uint64_t before_;
};

}  // namespace periscope::capture::x11
