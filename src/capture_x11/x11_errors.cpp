#include "capture_x11/x11_errors.hpp"

#include <atomic>
#include <mutex>
#include <set>

#include "common/log.hpp"

namespace periscope::capture::x11 {

namespace {

std::atomic<std::uint64_t> g_protocol_errors{0};

// Displays whose connection broke; few and short-lived, so a locked set is plenty.
std::mutex g_lost_mutex;
std::set<const Display*>& lost_displays() {
  static std::set<const Display*> lost;
  return lost;
}

int on_protocol_error(Display* /*display*/, XErrorEvent* event) {
  g_protocol_errors.fetch_add(1, std::memory_order_relaxed);
  // No Xlib call here (XGetErrorText may itself talk to the server): the numbers are enough.
  spdlog::debug("X error {} (request {}.{}, resource 0x{:x})", event->error_code,
                event->request_code, event->minor_code, event->resourceid);
  return 0;
}

// Xlib's default prints and exit()s before the exit handler below is ever reached, so a
// returning one is needed too; returning from both unwinds the call that hit the error.
int on_io_error(Display* /*display*/) {
  return 0;
}

void on_connection_lost(Display* display, void* /*user_data*/) {
  const std::scoped_lock lock(g_lost_mutex);
  lost_displays().insert(display);
}

}  // namespace

void install_error_handlers(Display* display) {
  XSetErrorHandler(&on_protocol_error);
  XSetIOErrorHandler(&on_io_error);
  XSetIOErrorExitHandler(display, &on_connection_lost, nullptr);
}

std::uint64_t protocol_errors() {
  return g_protocol_errors.load(std::memory_order_relaxed);
}

bool connection_lost(Display* display) {
  const std::scoped_lock lock(g_lost_mutex);
  return lost_displays().contains(display);
}

void close_display(Display* display) {
  XCloseDisplay(display);
  const std::scoped_lock lock(g_lost_mutex);
  lost_displays().erase(display);
}

}  // namespace periscope::capture::x11
