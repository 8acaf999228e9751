#include "window/window_view.hpp"

#include <SDL2/SDL.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "common/file_bytes.hpp"
#include "common/log.hpp"
#include "input/input_session.hpp"
#include "input/key_map.hpp"
#include "input/sdl_scancode_map.hpp"
#include "input/shortcut_keys.hpp"
#include "viewer/frame_feed.hpp"
#include "viewer/receiver.hpp"
#include "viewer/stats_report.hpp"
#include "viewer/text_renderer.hpp"
#include "viewer/view_core.hpp"
#include "viewer/view_source.hpp"
#include "window/gl_window.hpp"

namespace periscope::window {

namespace {

std::optional<input::Button> sdl_button(Uint8 button) {
  switch (button) {
    case SDL_BUTTON_LEFT:
      return input::Button::kLeft;
    case SDL_BUTTON_MIDDLE:
      return input::Button::kMiddle;
    case SDL_BUTTON_RIGHT:
      return input::Button::kRight;
    case SDL_BUTTON_X1:
      return input::Button::kSide;
    case SDL_BUTTON_X2:
      return input::Button::kExtra;
    default:
      return std::nullopt;
  }
}

// Everything the event handlers touch.
class WindowView {
 public:
  WindowView(const WindowViewOptions& options, SDL_Window* window, viewer::ViewCore& core,
             input::InputSession* session, std::uint16_t escape_evdev)
      : options_(options),
        window_(window),
        core_(core),
        session_(session),
        shortcuts_(escape_evdev) {}

  void handle(const SDL_Event& event);
  [[nodiscard]] bool quit() const { return quit_; }
  [[nodiscard]] bool captured() const { return captured_; }
  void follow_guest_size();
  [[nodiscard]] std::string input_line() const;
  // True unless the VM said it has no absolute pointing device (unknown counts as a tablet).
  [[nodiscard]] bool vm_has_tablet() const {
    return session_ == nullptr || session_->status().has_absolute_pointer.value_or(true);
  }

 private:
  void on_key(const SDL_KeyboardEvent& key);
  void set_captured(bool on);
  void toggle_fullscreen();
  void focus_lost();
  // Window points -> drawable pixels (they differ on HiDPI outputs).
  [[nodiscard]] std::pair<int, int> to_drawable(int x, int y) const;

  const WindowViewOptions& options_;
  SDL_Window* window_;
  viewer::ViewCore& core_;
  input::InputSession* session_;
  input::ShortcutKeys shortcuts_;
  bool quit_{false};
  bool captured_{false};
  bool fullscreen_{false};
  viewer::OutputSize followed_;
};

std::pair<int, int> WindowView::to_drawable(int x, int y) const {
  int ww = 0;
  int wh = 0;
  int dw = 0;
  int dh = 0;
  SDL_GetWindowSize(window_, &ww, &wh);
  SDL_GL_GetDrawableSize(window_, &dw, &dh);
  if (ww <= 0 || wh <= 0) return {x, y};
  return {static_cast<int>(static_cast<std::int64_t>(x) * dw / ww),
          static_cast<int>(static_cast<std::int64_t>(y) * dh / wh)};
}

void WindowView::set_captured(bool on) {
  if (on && session_ == nullptr) {
    spdlog::info("view only (no --qmp): nothing to capture input for");
    return;
  }
  captured_ = on;
  SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE);
  SDL_SetWindowKeyboardGrab(window_, on ? SDL_TRUE : SDL_FALSE);
  spdlog::info("input {}", on ? "captured (relative mouse)" : "released (absolute mouse)");
}

void WindowView::toggle_fullscreen() {
  fullscreen_ = !fullscreen_;
  SDL_SetWindowFullscreen(window_, fullscreen_ ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
  core_.invalidate();
}

void WindowView::focus_lost() {
  // Keys held now will have their ups delivered elsewhere: release them in the guest.
  if (session_ != nullptr) session_->release_all_keys();
  shortcuts_.reset();
  if (captured_) set_captured(false);
}

void WindowView::on_key(const SDL_KeyboardEvent& key) {
  const bool down = key.type == SDL_KEYDOWN;
  const auto evdev = input::evdev_for_sdl_scancode(static_cast<int>(key.keysym.scancode));
  if (!evdev) return;
  switch (shortcuts_.on_key(*evdev, down)) {
    case input::ShortcutAction::kForward:
      if (session_ != nullptr) {
        if (auto qcode = input::qcode_for_evdev(*evdev)) session_->key(*qcode, down);
      }
      return;
    case input::ShortcutAction::kToggleCapture:
      set_captured(!captured_);
      return;
    case input::ShortcutAction::kToggleFullscreen:
      toggle_fullscreen();
      return;
    case input::ShortcutAction::kToggleOverlay:
      core_.toggle_overlay();
      return;
    case input::ShortcutAction::kQuit:
      quit_ = true;
      return;
    case input::ShortcutAction::kReleaseInputs:
      if (session_ != nullptr) session_->release_all_keys();
      return;
    case input::ShortcutAction::kNone:
      return;
  }
}

void WindowView::handle(const SDL_Event& event) {
  switch (event.type) {
    case SDL_QUIT:
      quit_ = true;
      return;
    case SDL_WINDOWEVENT:
      switch (event.window.event) {
        case SDL_WINDOWEVENT_SIZE_CHANGED:
        case SDL_WINDOWEVENT_EXPOSED:
        case SDL_WINDOWEVENT_RESTORED:
          core_.invalidate();
          return;
        case SDL_WINDOWEVENT_FOCUS_LOST:
          focus_lost();
          return;
        default:
          return;
      }
    case SDL_KEYDOWN:
    case SDL_KEYUP:
      on_key(event.key);
      return;
    case SDL_MOUSEMOTION:
      if (session_ == nullptr) return;
      if (captured_ || !vm_has_tablet()) {
        // Without a tablet in the VM absolute positions would be ignored: relative motion at
        // least moves the guest's pointer (it may drift from ours with acceleration on).
        session_->move_relative(event.motion.xrel, event.motion.yrel);
      } else {
        const auto [x, y] = to_drawable(event.motion.x, event.motion.y);
        session_->move_absolute(input::window_to_absolute(x, y, core_.picture_rect_in_output()));
      }
      return;
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP:
      if (session_ == nullptr) return;
      if (auto button = sdl_button(event.button.button)) {
        if (!captured_ && vm_has_tablet()) {
          // Make sure the click lands where the host pointer is.
          const auto [x, y] = to_drawable(event.button.x, event.button.y);
          session_->move_absolute(input::window_to_absolute(x, y, core_.picture_rect_in_output()));
        }
        session_->button(*button, event.type == SDL_MOUSEBUTTONDOWN);
      }
      return;
    case SDL_MOUSEWHEEL: {
      if (session_ == nullptr || event.wheel.y == 0) return;
      const int y =
          event.wheel.direction == SDL_MOUSEWHEEL_FLIPPED ? -event.wheel.y : event.wheel.y;
      const auto button = y > 0 ? input::Button::kWheelUp : input::Button::kWheelDown;
      // A wheel step is a press and release of the wheel "button", as QEMU's own UIs send it.
      for (int i = 0; i < std::abs(y) && i < 16; ++i) {
        session_->button(button, true);
        session_->button(button, false);
      }
      return;
    }
    default:
      return;
  }
}

void WindowView::follow_guest_size() {
  if (!options_.auto_resize || fullscreen_) return;
  const viewer::OutputSize guest = core_.guest_size();
  if (guest.width == 0 || guest == followed_) return;
  followed_ = guest;
  SDL_SetWindowSize(window_, static_cast<int>(guest.width), static_cast<int>(guest.height));
  core_.invalidate();
}

std::string WindowView::input_line() const {
  if (session_ == nullptr) return "input: view only (no --qmp)";
  const input::InputSessionStatus status = session_->status();
  if (!status.connected) return "QMP: connecting...";
  if (captured_) return "input: captured (relative)";
  return status.has_absolute_pointer.value_or(true) ? "input: absolute (tablet)"
                                                    : "input: relative (no tablet in the VM)";
}

}  // namespace

int run_window_view(const WindowViewOptions& options) {
  const auto escape = input::parse_key_name(options.escape_key);
  if (!escape) {
    spdlog::error("--escape-key {}: not a key name (try scrolllock, pause, rightctrl, f12)",
                  options.escape_key);
    return 2;
  }
  auto source = viewer::open_view_source(options.shm_path, options.post_clock_path);
  if (!source) {
    spdlog::error("{}", source.error().message);
    return 1;
  }

  auto window =
      GlWindow::open(GlWindowOptions{options.title, options.window_width, options.window_height,
                                     options.fullscreen, options.vsync});
  if (!window) {
    spdlog::error("{}", window.error().message);
    return window.error().code == ErrorCode::kNotFound ? 2 : 1;
  }
  GlPresenter* presenter = &(*window)->presenter();
  spdlog::info("window: {}", (*window)->description());

  std::optional<viewer::TextRenderer> text;
  if (auto opened = viewer::TextRenderer::open(16)) {
    text.emplace(std::move(*opened));
  } else {
    spdlog::warn("no overlay text: {}", opened.error().message);
  }

  // The receive thread wakes the loop with one pending event at a time, so a burst of frames
  // cannot flood SDL's queue.
  const Uint32 wake_event = SDL_RegisterEvents(1);
  std::atomic<bool> wake_pending{false};
  viewer::FrameFeed feed([&] {
    if (wake_event != static_cast<Uint32>(-1) && !wake_pending.exchange(true)) {
      SDL_Event event{};
      event.type = wake_event;
      SDL_PushEvent(&event);
    }
  });
  viewer::Receiver receiver(SharedRegion(source->region.bytes()), viewer::ReceiverOptions{},
                            source->clock(), &feed);

  viewer::ViewCoreOptions core_options;
  core_options.mode = options.scale;
  core_options.overlay = options.overlay;
  if (!options.screenshot_path.empty()) {
    core_options.screenshot_path = options.screenshot_path;
    core_options.screenshot_after_frames =
        std::max<std::uint64_t>(1, options.screenshot_after_frames);
  }
  core_options.source_name = options.shm_path;
  viewer::ViewCore core(*presenter, receiver.frames(), feed, core_options, text ? &*text : nullptr);

  std::unique_ptr<input::InputSession> session;
  if (!options.qmp_path.empty()) {
    input::InputSessionOptions session_options;
    session_options.socket_path = options.qmp_path;
    session = std::make_unique<input::InputSession>(std::move(session_options));
    session->start();
  } else {
    spdlog::info("view only: no --qmp, so the keyboard and mouse stay with this desktop");
  }
  WindowView view(options, (*window)->sdl(), core, session.get(), *escape);

  receiver.start();
  const TimePoint start = Clock::now();
  const TimePoint deadline =
      options.seconds ? start + from_seconds(*options.seconds) : TimePoint::max();
  int exit_code = 0;
  while (!view.quit()) {
    if (options.stop != nullptr && options.stop->load()) break;
    const TimePoint now = Clock::now();
    if (now >= deadline) break;
    // Frames and cursor moves wake us at once; the timeout only refreshes the overlay and
    // status and notices --seconds.
    SDL_Event event;
    if (SDL_WaitEventTimeout(&event, core.overlay_visible() ? 50 : 100) != 0) {
      do {
        if (event.type != wake_event) view.handle(event);
      } while (SDL_PollEvent(&event) != 0);
    }
    wake_pending = false;
    core.set_input_line(view.input_line());
    if (auto stepped = core.step(Clock::now()); !stepped) {
      spdlog::error("{}", stepped.error().message);
      exit_code = 1;
      break;
    }
    view.follow_guest_size();
    if (const auto& shot = core.screenshot_result()) {
      if (!*shot) {
        spdlog::error("{}", shot->error().message);
        exit_code = 1;
      }
      break;
    }
  }
  receiver.stop();
  if (session) session->stop();
  const TimePoint end = Clock::now();

  const viewer::ReceiverStats stats = receiver.snapshot();
  nlohmann::json json = viewer::stats_to_json(stats, end - start, end);
  const viewer::ViewCoreStats& shown = core.stats();
  json["presenter"] = presenter->name();
  json["frames_presented"] = shown.frames_presented;
  json["presents"] = shown.presents;
  json["receive_to_present_ms"] = viewer::latency_to_json(shown.receive_to_present);
  json["upload_ms"] = viewer::latency_to_json(shown.upload_time);
  json["present_ms"] = viewer::latency_to_json(shown.present_time);
  if (const auto& shot = core.screenshot_info()) {
    json["screenshot"] = {
        {"serial", shot->serial},
        {"cursor",
         {{"visible", shot->cursor.visible}, {"x", shot->cursor.x}, {"y", shot->cursor.y}}},
        {"picture",
         {{"x", shot->picture.x},
          {"y", shot->picture.y},
          {"width", shot->picture.width},
          {"height", shot->picture.height}}},
        {"width", shot->output.width},
        {"height", shot->output.height}};
  }
  if (session) {
    const input::InputSessionStatus input = session->status();
    json["input"] = {
        {"connected", input.connected},         {"commands_sent", input.commands_sent},
        {"events_sent", input.events_sent},     {"events_dropped", input.events_dropped},
        {"send_failures", input.send_failures}, {"connects", input.connects},
        {"last_error", input.last_error}};
  } else {
    json["input"] = nullptr;
  }
  if (!options.stats_json_path.empty()) {
    if (auto written = write_text_atomic(options.stats_json_path, json.dump(2) + "\n"); !written) {
      spdlog::error("{}", written.error().message);
      exit_code = 1;
    }
  }
  if (!options.screenshot_path.empty() && !core.screenshot_result()) {
    spdlog::error("no screenshot: {} frames were shown, {} wanted", shown.frames_presented,
                  options.screenshot_after_frames);
    exit_code = 1;
  }
  std::fputs(fmt::format("{} frames received, {} shown; receive->present p50 {:.2f} p99 {:.2f} "
                         "ms\n",
                         stats.consumer.frames, shown.frames_presented,
                         to_ms(shown.receive_to_present.percentile(0.5)),
                         to_ms(shown.receive_to_present.percentile(0.99)))
                 .c_str(),
             stdout);
  return exit_code;
}

}  // namespace periscope::window
