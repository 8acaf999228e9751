#include "capture_x11/x11_source.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "capture_x11/cursor_convert.hpp"
#include "capture_x11/damage_rects.hpp"
#include "capture_x11/root_grabber.hpp"
#include "capture_x11/x11_errors.hpp"
#include "capture_x11/x11_handles.hpp"
#include "common/log.hpp"

namespace periscope::capture {

using namespace x11;

namespace {

// Row bands this close are read in one request: a round trip costs more than a few rows.
constexpr std::uint32_t kMergeGapRows = 32;
constexpr std::uint32_t kDepth = 24;

std::int16_t clamp_i16(int value) {
  return static_cast<std::int16_t>(std::clamp<int>(value, std::numeric_limits<std::int16_t>::min(),
                                                   std::numeric_limits<std::int16_t>::max()));
}

// B7's hotspot is a signed byte; a bigger one is cut (the image still lands in the right
// place: B7 positions the image's top-left, the hotspot only maps the host's pointer).
std::int8_t clamp_hotspot(int value) {
  return static_cast<std::int8_t>(std::clamp(value, 0, 127));
}

// Depth-24 TrueColor, 8 bits a channel at 0xFF0000/0xFF00/0xFF, 32 bits a pixel, little-endian:
// then the bytes in memory are B, G, R, pad, which is B7's BGRA once the pad is made opaque.
Result<RootScreen> check_screen(Display* display, const std::string& name) {
  const int screen = DefaultScreen(display);
  RootScreen out;
  out.display = display;
  out.root = RootWindow(display, screen);
  out.visual = DefaultVisual(display, screen);
  out.depth = DefaultDepth(display, screen);
  const auto unsupported = [&](std::string_view what) {
    return fail(ErrorCode::kUnsupported,
                "X display '{}': {}; the x11 source reads depth-24 TrueColor screens only (run "
                "the X server at depth 24, e.g. `Xorg -depth 24` or DefaultDepth 24 in xorg.conf)",
                name, what);
  };
  if (out.depth != static_cast<int>(kDepth)) {
    return unsupported(fmt::format("the root window is depth {}", out.depth));
  }
  if (out.visual->c_class != TrueColor || out.visual->red_mask != 0xFF0000UL ||
      out.visual->green_mask != 0xFF00UL || out.visual->blue_mask != 0xFFUL) {
    return unsupported(fmt::format("the default visual is class {} with masks {:x}/{:x}/{:x}",
                                   out.visual->c_class, out.visual->red_mask,
                                   out.visual->green_mask, out.visual->blue_mask));
  }
  if (ImageByteOrder(display) != LSBFirst) {
    return unsupported("the server's image byte order is big-endian");
  }
  int count = 0;
  const XFreePtr<XPixmapFormatValues> formats(XListPixmapFormats(display, &count));
  const bool bpp32 = std::any_of(
      formats.get(), formats.get() + (formats ? count : 0), [](const XPixmapFormatValues& f) {
        return f.depth == static_cast<int>(kDepth) && f.bits_per_pixel == 32;
      });
  if (!bpp32) return unsupported("depth-24 pixels are not stored in 32 bits");
  XWindowAttributes attributes{};
  if (XGetWindowAttributes(display, out.root, &attributes) == 0) {
    return fail(ErrorCode::kIo, "X display '{}': cannot read the root window's size", name);
  }
  out.width = static_cast<std::uint32_t>(attributes.width);
  out.height = static_cast<std::uint32_t>(attributes.height);
  return out;
}

}  // namespace

struct X11Source::State {
  // The connection is declared first so it is closed last, after everything made on it.
  DisplayPtr display;
  std::string display_name;
  RootScreen screen;
  bool try_shm{true};
  Nanoseconds min_frame_interval{0};
  int damage_event_base{0};
  int xfixes_event_base{0};
  int xi_opcode{-1};  // -1: no XInput2, the pointer is only polled
  std::optional<RootGrabber> grabber;
  DamageHandle damage;
  RegionHandle region;

  bool need_full{true};  // the next frame is the whole screen (first, and after kReinit)
  bool damage_pending{false};
  bool cursor_wake{false};
  bool cursor_shape_dirty{true};
  std::optional<std::pair<std::uint32_t, std::uint32_t>> new_size;
  std::uint64_t frames{0};
  TimePoint next_grab{TimePoint::min()};  // the frame-rate limit

  ConvertedCursor cursor;
  int hot_x{0};
  int hot_y{0};
  std::optional<unsigned long> cursor_serial;
  std::optional<std::pair<std::int16_t, std::int16_t>> last_position;

  [[nodiscard]] Display* dpy() const { return display.get(); }
  void handle(XEvent& event);
  bool drain_events();
  bool wait_readable(Nanoseconds timeout);
  CaptureStatus reinit();
  bool grab_everything(CapturedFrame& frame);
  bool grab_damage(CapturedFrame& frame);
  void fill(CapturedFrame& frame);
  void fetch_cursor_shape();
};

void X11Source::State::handle(XEvent& event) {
  if (event.type == damage_event_base + XDamageNotify) {
    damage_pending = true;
  } else if (event.type == xfixes_event_base + XFixesCursorNotify) {
    cursor_shape_dirty = true;
    cursor_wake = true;
  } else if (event.type == ConfigureNotify && event.xconfigure.window == screen.root) {
    const auto w = static_cast<std::uint32_t>(event.xconfigure.width);
    const auto h = static_cast<std::uint32_t>(event.xconfigure.height);
    if (w != screen.width || h != screen.height) new_size = {w, h};
  } else if (event.type == GenericEvent && event.xcookie.extension == xi_opcode) {
    cursor_wake = true;  // raw motion; Xlib frees the unclaimed event data itself
  }
}

bool X11Source::State::drain_events() {
  // XPending flushes our requests and reads what has arrived, without blocking.
  while (XPending(dpy()) > 0) {
    XEvent event{};
    XNextEvent(dpy(), &event);
    handle(event);
  }
  return !connection_lost(dpy());
}

bool X11Source::State::wait_readable(Nanoseconds timeout) {
  pollfd fd{ConnectionNumber(dpy()), POLLIN, 0};
  const auto ms = std::chrono::ceil<Milliseconds>(timeout).count();
  const int ready = ::poll(&fd, 1, static_cast<int>(std::min<std::int64_t>(ms, 60'000)));
  if (ready < 0) return errno == EINTR;
  // Readable (events, or the end of the stream, which the next XPending reports) or nothing.
  return (fd.revents & (POLLERR | POLLNVAL)) == 0;
}

CaptureStatus X11Source::State::reinit() {
  const auto [w, h] = *new_size;
  new_size.reset();
  spdlog::info("X screen resized from {}x{} to {}x{}", screen.width, screen.height, w, h);
  grabber.reset();  // the old segment goes before the new one is made
  screen.width = w;
  screen.height = h;
  auto made = RootGrabber::create(screen, try_shm);
  if (!made) {
    spdlog::error("{}", made.error().message);
    return CaptureStatus::kError;
  }
  grabber.emplace(std::move(*made));
  need_full = true;
  return CaptureStatus::kReinit;
}

void X11Source::State::fill(CapturedFrame& frame) {
  frame.type = b7::FrameType::kBgra;
  frame.width = screen.width;
  frame.height = screen.height;
  frame.pitch = grabber->pitch();
  frame.pixels = grabber->pixels();
  frame.index = frames++;
  next_grab = Clock::now() + min_frame_interval;
}

bool X11Source::State::grab_everything(CapturedFrame& frame) {
  // Forget the damage first: whatever is drawn from now on is damage for the next frame, so
  // nothing drawn while we read is lost.
  XDamageSubtract(dpy(), damage.get(), None, None);
  damage_pending = false;
  if (!grabber->grab_rows(0, screen.height)) return false;
  need_full = false;
  fill(frame);
  frame.damage.clear();
  return true;
}

bool X11Source::State::grab_damage(CapturedFrame& frame) {
  damage_pending = false;
  XDamageSubtract(dpy(), damage.get(), None, region.get());
  int count = 0;
  const XFreePtr<XRectangle> rects(XFixesFetchRegion(dpy(), region.get(), &count));
  std::vector<ScreenRect> changed;
  changed.reserve(static_cast<std::size_t>(std::max(count, 0)));
  for (int i = 0; rects && i < count; ++i) {
    const XRectangle& r = rects.get()[i];
    changed.push_back({r.x, r.y, r.width, r.height});
  }
  std::vector<b7::DamageRect> clipped = clip_damage(changed, screen.width, screen.height);
  if (clipped.empty()) return false;  // an event for damage an earlier frame already took
  for (const RowBand& band : row_bands(clipped, kMergeGapRows)) {
    if (!grabber->grab_rows(band.y, band.rows)) return false;
  }
  fill(frame);
  frame.damage = std::move(clipped);
  return true;
}

void X11Source::State::fetch_cursor_shape() {
  cursor_shape_dirty = false;
  const XFreePtr<XFixesCursorImage> image(XFixesGetCursorImage(dpy()));
  if (!image) return;
  if (cursor_serial && *cursor_serial == image->cursor_serial) return;  // the same image again
  cursor_serial = image->cursor_serial;
  const std::size_t words = std::size_t{image->width} * image->height;
  cursor = convert_xfixes_cursor({image->pixels, words}, image->width, image->height);
  hot_x = image->xhot;
  hot_y = image->yhot;
  last_position.reset();  // send the new shape with a position
}

X11Source::X11Source(std::unique_ptr<State> state) : state_(std::move(state)) {}
X11Source::~X11Source() = default;

std::uint32_t X11Source::width() const {
  return state_->screen.width;
}
std::uint32_t X11Source::height() const {
  return state_->screen.height;
}
bool X11Source::uses_shm() const {
  return state_->grabber && state_->grabber->uses_shm();
}

Result<std::unique_ptr<X11Source>> X11Source::open(const X11SourceOptions& options) {
  auto state = std::make_unique<State>();
  const char* env = std::getenv("DISPLAY");
  state->display_name = !options.display.empty() ? options.display : (env != nullptr ? env : "");
  if (state->display_name.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "no X display: set DISPLAY or pass --display (e.g. --display :0)");
  }
  state->display.reset(XOpenDisplay(state->display_name.c_str()));
  if (!state->display) {
    return fail(ErrorCode::kNotFound,
                "cannot open X display '{}': is the X server running, and may this user "
                "connect to it (XAUTHORITY, `xhost +si:localuser:$USER`)?",
                state->display_name);
  }
  Display* dpy = state->dpy();
  install_error_handlers(dpy);
  auto screen = check_screen(dpy, state->display_name);
  if (!screen) return tl::unexpected(screen.error());
  state->screen = *screen;
  state->try_shm = options.use_shm;
  if (options.max_fps > 0 && std::isfinite(options.max_fps)) {
    state->min_frame_interval = from_seconds(1.0 / options.max_fps);
  }

  int error_base = 0;
  if (XDamageQueryExtension(dpy, &state->damage_event_base, &error_base) == False) {
    return fail(ErrorCode::kUnsupported, "X display '{}' has no DAMAGE extension",
                state->display_name);
  }
  int major = 2;
  int minor = 0;
  if (XFixesQueryExtension(dpy, &state->xfixes_event_base, &error_base) == False ||
      XFixesQueryVersion(dpy, &major, &minor) == 0 || major < 2) {
    return fail(ErrorCode::kUnsupported, "X display '{}' has no XFIXES 2 extension",
                state->display_name);
  }
  int xi_event = 0;
  int xi_error = 0;
  // 2.1 at least: a 2.0 client gets raw events only while it grabs the device.
  int xi_major = 2;
  int xi_minor = 2;
  if (XQueryExtension(dpy, "XInputExtension", &state->xi_opcode, &xi_event, &xi_error) == False ||
      XIQueryVersion(dpy, &xi_major, &xi_minor) != Success || (xi_major == 2 && xi_minor < 1)) {
    spdlog::warn("X display '{}' has no XInput 2: pointer moves are seen only between frames",
                 state->display_name);
    state->xi_opcode = -1;
  }

  const ErrorTrap trap(dpy);
  state->damage = DamageHandle(dpy, XDamageCreate(dpy, state->screen.root, XDamageReportNonEmpty));
  state->region = RegionHandle(dpy, XFixesCreateRegion(dpy, nullptr, 0));
  XFixesSelectCursorInput(dpy, state->screen.root, XFixesDisplayCursorNotifyMask);
  XSelectInput(dpy, state->screen.root, StructureNotifyMask);
  if (state->xi_opcode >= 0) {
    unsigned char bits[XIMaskLen(XI_LASTEVENT)] = {};
    XISetMask(bits, XI_RawMotion);
    XIEventMask mask{XIAllMasterDevices, static_cast<int>(sizeof bits), bits};
    XISelectEvents(dpy, state->screen.root, &mask, 1);
  }
  if (!trap.ok()) {
    return fail(ErrorCode::kIo, "X display '{}' refused to report damage and cursor changes",
                state->display_name);
  }
  auto grabber = RootGrabber::create(state->screen, state->try_shm);
  if (!grabber) return tl::unexpected(grabber.error());
  state->grabber.emplace(std::move(*grabber));
  spdlog::info("X display '{}': {}x{}, read through {}", state->display_name, state->screen.width,
               state->screen.height, state->grabber->uses_shm() ? "MIT-SHM" : "XGetImage");
  return std::unique_ptr<X11Source>(new X11Source(std::move(state)));
}

CaptureStatus X11Source::capture_frame(Nanoseconds timeout, CapturedFrame& frame) {
  State& s = *state_;
  const TimePoint deadline = Clock::now() + timeout;
  for (;;) {
    if (!s.drain_events()) {
      spdlog::error("lost the connection to X display '{}'", s.display_name);
      return CaptureStatus::kError;
    }
    if (s.new_size) return s.reinit();
    const TimePoint now = Clock::now();
    const bool wanted = s.need_full || s.damage_pending;
    // Damage that comes before next_grab (the frame-rate limit) waits and merges.
    if (wanted && now >= s.next_grab) {
      if (s.need_full ? s.grab_everything(frame) : s.grab_damage(frame)) return CaptureStatus::kOk;
      // A full read failed: the screen is shrinking under us and its resize event is on the
      // way. Try again shortly rather than spin.
      if (s.need_full) s.next_grab = now + Milliseconds(10);
    }
    if (s.cursor_wake) {
      s.cursor_wake = false;
      return CaptureStatus::kTimeout;  // nothing new on screen, but poll_cursor has news
    }
    if (now >= deadline) return CaptureStatus::kTimeout;
    TimePoint wake = deadline;
    if (s.need_full || s.damage_pending) wake = std::clamp(s.next_grab, now, deadline);
    if (!s.wait_readable(wake - now)) return CaptureStatus::kError;
  }
}

std::optional<CapturedCursor> X11Source::poll_cursor() {
  State& s = *state_;
  if (s.cursor_shape_dirty) s.fetch_cursor_shape();
  Window root = 0;
  Window child = 0;
  int root_x = 0;
  int root_y = 0;
  int window_x = 0;
  int window_y = 0;
  unsigned int buttons = 0;
  if (XQueryPointer(s.dpy(), s.screen.root, &root, &child, &root_x, &root_y, &window_x, &window_y,
                    &buttons) == False) {
    return std::nullopt;  // the pointer is on another screen of this display
  }
  const std::pair position{clamp_i16(root_x - s.hot_x), clamp_i16(root_y - s.hot_y)};
  const bool shape_changed = !s.last_position.has_value();
  if (!shape_changed && *s.last_position == position) return std::nullopt;
  s.last_position = position;
  CapturedCursor cursor;
  cursor.visible = s.cursor.any_visible_pixel;
  cursor.x = position.first;
  cursor.y = position.second;
  if (shape_changed && s.cursor.width > 0) {
    CapturedCursorShape shape;
    shape.type = b7::CursorType::kColor;
    shape.width = s.cursor.width;
    shape.height = s.cursor.height;
    shape.pitch = s.cursor.width * 4;
    shape.hotspot_x = clamp_hotspot(s.hot_x);
    shape.hotspot_y = clamp_hotspot(s.hot_y);
    shape.pixels = s.cursor.bgra;
    cursor.shape = shape;
  }
  return cursor;
}

Result<std::unique_ptr<CaptureSource>> make_x11_source(const X11SourceOptions& options) {
  auto source = X11Source::open(options);
  if (!source) return tl::unexpected(source.error());
  return std::unique_ptr<CaptureSource>(std::move(*source));
}

}  // namespace periscope::capture
